using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// 2-D convolution over NCHW data as im2col + GEMM, per sample and group:
/// output_g [Cout/g × OH·OW] = weight_g [Cout/g × Cin/g·KH·KW] · columns_g [Cin/g·KH·KW × OH·OW].
/// Input coordinates outside [0, InHeight)×[0, InWidth) read as zero, which covers both the explicit
/// top/left padding and the bottom/right padding implied by OutHeight/OutWidth (TensorFlow SAME included).
/// </summary>
/// <remarks>
/// Parallelism: whole samples per thread when the batch splits evenly (each lane owns its im2col panel and
/// GEMM scratch), otherwise one block of samples at a time with the GEMM itself split. Small feature maps put the
/// columns of several samples side by side in one GEMM (<see cref="Geometry.BlockSamples"/>). Either way every
/// output element is computed by the same arithmetic, so the result does not depend on
/// <see cref="StaticParallel.ThreadCount"/>. The columns are written straight into the GEMM's packed layout
/// (<see cref="Im2ColPacked"/>, <see cref="Gemm.MultiplyPrepacked"/>). Workspace slots: see <see cref="Gemm"/> (0, 1
/// packing; 2 packed columns; 3 gradient partials; 4 column gradients; 5 block output or gathered output gradients;
/// 6 im2col staging rows).
/// </remarks>
public static partial class Conv2d
{
    /// <summary>Fixed number of batch chunks whose weight/bias gradients are summed separately, then added in
    /// chunk order: enough to keep up to this many threads busy, and independent of the thread count.</summary>
    internal const int GradientChunks = 4;

    /// <summary>Columns a blocked convolution GEMM aims for (see <see cref="Geometry.BlockSamples"/>).</summary>
    internal const int BlockColumns = 384;

    /// <summary>input [batch, InChannels, InHeight, InWidth] → output [batch, OutChannels, OutHeight, OutWidth].</summary>
    public static unsafe void Forward<T>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> output, int batch, Workspace workspace) where T : struct, IConv2dConfig
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var g = Geometry.Of<T>();
        g.CheckBatch(batch);
        g.CheckInput(input.Length, batch);
        g.CheckWeight(weight.Length, "weight");
        g.CheckBias(bias.Length, "bias");
        g.CheckOutput(output.Length, batch, "output");
        if (batch == 0) return;
        if (UsesWinogradForward(g))
        {
            WinogradForward(LayerKey<T>.Value, g, input, weight, bias, output, batch, workspace);
            return;
        }
        if (UsesImplicitGemm(g))
        {
            ImplicitForward(g, input, weight, bias, output, batch, workspace);
            return;
        }

        bool perSample = SplitsSamples(batch);
        int lanes = perSample ? StaticParallel.ThreadCount : 1;
        int block = Math.Min(g.BlockSamples, (batch + lanes - 1) / lanes);
        int width = block * g.Pixels;
        int gemmLanes = perSample ? 1 : Gemm.ChooseLanes(g.OutPerGroup, width, g.Depth);
        int packA = Gemm.PackASize(g.OutPerGroup, g.Depth);
        // A pointwise sample is its own column matrix, which the GEMM packs (also a lone remainder sample when blocks
        // are wider); otherwise im2col writes packed columns.
        bool direct = g.IsPointwise && block == 1;
        int packB = g.IsPointwise ? Gemm.PackBSize(g.Pixels, g.Depth) : 0;
        int columns = direct ? 0 : Gemm.PackedBSize(g.Depth, width);
        int staging = direct ? 0 : StagingSize(g, block);
        int blockOutput = block > 1 ? g.OutPerGroup * width : 0;
        // Per-lane strides (LaneStride); one lane's GEMM lanes also split its im2col, each with staging rows of its own.
        int packAStride = LaneStride(gemmLanes * packA, lanes), packBStride = LaneStride(gemmLanes * packB, lanes);
        int columnsStride = LaneStride(columns, lanes), stagingStride = LaneStride(gemmLanes * staging, lanes);
        int blockStride = LaneStride(blockOutput, lanes);

        float[] packABuffer = workspace.GetArray(Gemm.SlotPackA, lanes * packAStride);
        float[] packBBuffer = workspace.GetArray(Gemm.SlotPackB, Math.Max(1, lanes * packBStride));
        float[] columnBuffer = workspace.GetArray(Gemm.SlotColumns, Math.Max(1, lanes * columnsStride));
        float[] stagingBuffer = workspace.GetArray(Gemm.SlotStaging, Math.Max(1, lanes * stagingStride));
        float[] blockBuffer = workspace.GetArray(Gemm.SlotBlockMatrix, Math.Max(1, lanes * blockStride));
        fixed (float* pIn = input)
        fixed (float* pW = weight)
        fixed (float* pB = bias)
        fixed (float* pOut = output)
        fixed (float* pPackA = packABuffer)
        fixed (float* pPackB = packBBuffer)
        fixed (float* pCols = columnBuffer)
        fixed (float* pStaging = stagingBuffer)
        fixed (float* pBlock = blockBuffer)
        {
            var body = new ForwardBody
            {
                G = g, Input = pIn, Weight = pW, Bias = g.HasBias ? pB : null, Output = pOut, Batch = batch, Lanes = lanes,
                Block = block, GemmLanes = gemmLanes, Columns = pCols, ColumnsStride = columnsStride, Staging = pStaging, StagingSize = staging,
                StagingStride = stagingStride, BlockOutput = pBlock, BlockOutputStride = blockStride, PackA = pPackA, PackAStride = packAStride,
                PackB = pPackB, PackBStride = packBStride,
            };
            if (lanes > 1) StaticParallel.For(lanes, lanes, body);
            else body.Run(0, 1);
        }
    }

    /// <summary>
    /// Floats from one lane's scratch region to the next when <paramref name="lanes"/> threads each take whole samples:
    /// the region and a gap of 1 MB that is never touched (an unused region, 0 floats, gets none). With the regions back
    /// to back, the thread on the second region of a small layer ran slower than the other on the same work (the 32 →
    /// 64-channel 14×14 layer at batch 16: its Winograd output transform 2–3× as long in perf, whichever thread took that
    /// lane; 0.40–0.49 ms a forward pass instead of 0.26; its backward pass 5–10 % slower); gaps of 64 B to 256 KB did not
    /// help, 600 KB, 1 and 2 MB did. Large layers are unaffected either way. The cost: (lanes − 1) MB of address space
    /// per buffer in use.
    /// </summary>
    internal static int LaneStride(int floats, int lanes) => lanes > 1 && floats > 0 ? checked(floats + LaneGap) : floats;

    private const int LaneGap = Workspace.TrailingGap;

    /// <summary>Whole samples per lane when that balances; else samples in turn with a parallel GEMM.</summary>
    private static bool SplitsSamples(int batch)
    {
        int threads = StaticParallel.ThreadCount;
        return threads > 1 && batch >= threads && (batch % threads == 0 || batch >= 4 * threads);
    }

    private unsafe struct ForwardBody : IParallelBody
    {
        public Geometry G;
        public float* Input, Weight, Bias, Output, Columns, Staging, BlockOutput, PackA, PackB;
        public int Batch, Lanes, Block, GemmLanes, StagingSize, ColumnsStride, StagingStride, BlockOutputStride, PackAStride, PackBStride;

        public void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                var (n0, n1) = StaticParallel.Partition(Batch, Lanes, lane);
                float* cols = Columns + (nint)lane * ColumnsStride;
                float* staging = Staging + (nint)lane * StagingStride;
                float* blockOutput = BlockOutput + (nint)lane * BlockOutputStride;
                float* packA = PackA + (nint)lane * PackAStride;
                float* packB = PackB + (nint)lane * PackBStride;
                for (int n = n0; n < n1; n += Block)
                {
                    int count = Math.Min(Block, n1 - n);
                    if (count == 1) Sample(n, cols, staging, packA, packB);
                    else Samples(n, count, cols, staging, blockOutput, packA);
                }
            }
        }

        private readonly void Sample(int n, float* cols, float* staging, float* packA, float* packB)
        {
            Geometry g = G;
            float* x = Input + (nint)n * g.InputSize;
            float* y = Output + (nint)n * g.OutputSize;
            for (int group = 0; group < g.Groups; group++)
            {
                float* xg = x + (nint)group * g.InPerGroup * g.InPixels;
                float* wg = Weight + (nint)group * g.OutPerGroup * g.Depth;
                float* yg = y + (nint)group * g.OutPerGroup * g.Pixels;
                if (g.IsPointwise)
                {
                    // A 1×1 stride-1 unpadded convolution reads the input as its own column matrix.
                    Gemm.MultiplyCore(false, false, g.OutPerGroup, g.Pixels, g.Depth, wg, g.Depth, xg, g.Pixels, yg, g.Pixels,
                        false, packA, packB, GemmLanes);
                }
                else
                {
                    Im2ColPacked(g, xg, cols, staging, 1, lanes: GemmLanes, stagingSize: StagingSize);
                    Gemm.MultiplyPrepacked(g.OutPerGroup, g.Pixels, g.Depth, wg, g.Depth, cols, yg, g.Pixels, false, packA, GemmLanes);
                }
            }
            if (Bias != null || g.Relu)
                for (int oc = 0; oc < g.OutChannels; oc++)
                {
                    float* row = y + (nint)oc * g.Pixels;
                    FinishRow(row, row, g.Pixels, Bias == null ? null : Bias + oc, g.Relu);
                }
        }

        /// <summary>
        /// <paramref name="count"/> samples in one GEMM: their columns side by side ([depth × count·P]), so small
        /// feature maps still give the micro-kernel wide panels and the weights are packed once per block. Each
        /// output element goes through the same arithmetic in the same k order as in <see cref="Sample"/>.
        /// </summary>
        private readonly void Samples(int n, int count, float* cols, float* staging, float* blockOutput, float* packA)
        {
            Geometry g = G;
            int p = g.Pixels, width = count * p, outG = g.OutPerGroup;
            for (int group = 0; group < g.Groups; group++)
            {
                Im2ColPacked(g, Input + (nint)n * g.InputSize + (nint)group * g.InPerGroup * g.InPixels, cols, staging, count,
                    lanes: GemmLanes, stagingSize: StagingSize);
                float* wg = Weight + (nint)group * outG * g.Depth;
                Gemm.MultiplyPrepacked(outG, width, g.Depth, wg, g.Depth, cols, blockOutput, width, false, packA, GemmLanes);
                // Scatter [outG × count·P] back to NCHW, adding the bias (and a fused ReLU) on the way.
                for (int oc = 0; oc < outG; oc++)
                {
                    int channel = group * outG + oc;
                    for (int i = 0; i < count; i++)
                        FinishRow(blockOutput + (nint)oc * width + (nint)i * p, Output + (nint)(n + i) * g.OutputSize + (nint)channel * p, p,
                            Bias == null ? null : Bias + channel, g.Relu);
                }
            }
        }
    }

    /// <summary>
    /// columns[(c·KH + kh)·KW + kw, s·P + oh·OW + ow] = x_s[c, oh·SH + kh − PadTop, ow·SW + kw − PadLeft] for the
    /// <paramref name="samples"/> samples s (<paramref name="sampleStride"/> floats apart, P = OH·OW), zero outside the
    /// image. Rows are <paramref name="rowStride"/> floats apart (default P), so several samples' columns sit side by
    /// side in one wider matrix. Only column rows [<paramref name="firstRow"/>, + <paramref name="rowCount"/>) are
    /// written (all by default), the first of them at <paramref name="cols"/>.
    /// </summary>
    /// <remarks>
    /// Narrow stride-1 rows (OW ≤ <see cref="MaskedRowLimit"/>, the small feature maps where a copy call per output
    /// row costs more than the copy) take one masked 8-wide load per 8 outputs: lanes outside the image read as zero
    /// without touching memory. Their full-width stores may run up to 7 floats past a row segment, into the next
    /// segment of the same matrix row (written later: samples and output rows go in increasing order) or past the
    /// matrix row into the next one (written later too) or, after the last row, into the
    /// <see cref="ColumnSlack"/> floats every buffer it writes keeps at its end (the staging rows of <see cref="Im2ColPacked"/>). Other rows are filled in runs: zeros,
    /// the valid span (a copy when the stride is 1, else gathers), zeros. Strided layers with kernels wider than the
    /// stride, where the gathers would read each input many times, run as implicit GEMMs instead (Conv2d.Implicit.cs).
    /// </remarks>
    internal static unsafe void Im2Col(in Geometry g, float* x, float* cols, int rowStride = 0, int samples = 1, int sampleStride = 0,
        int firstRow = 0, int rowCount = -1)
    {
        if (rowStride == 0) rowStride = g.Pixels;
        if (sampleStride == 0) sampleStride = g.InputSize;
        if (rowCount < 0) rowCount = g.Depth - firstRow;
        if (Avx.IsSupported && g.StrideWidth == 1 && g.OutWidth <= MaskedRowLimit && g.KernelWidth <= 64)
        {
            Im2ColMasked(g, x, cols, rowStride, samples, sampleStride, firstRow, rowCount);
            return;
        }
        int window = g.KernelHeight * g.KernelWidth;
        for (int row = firstRow; row < firstRow + rowCount; row++)
        {
            int c = row / window, kh = row % window / g.KernelWidth, kw = row % g.KernelWidth;
            g.ValidColumns(kw, out int ow0, out int ow1);
            int iw0 = ow0 * g.StrideWidth + kw - g.PadLeft;
            for (int s = 0; s < samples; s++)
            {
                float* plane = x + (nint)s * sampleStride + (nint)c * g.InPixels;
                float* d = cols + (nint)(row - firstRow) * rowStride + (nint)s * g.Pixels;
                for (int oh = 0; oh < g.OutHeight; oh++, d += g.OutWidth)
                {
                    int ih = oh * g.StrideHeight + kh - g.PadTop;
                    if ((uint)ih >= (uint)g.InHeight || ow0 >= ow1)
                    {
                        new Span<float>(d, g.OutWidth).Clear();
                        continue;
                    }
                    for (int ow = 0; ow < ow0; ow++) d[ow] = 0f;
                    float* src = plane + (nint)ih * g.InWidth + iw0;
                    int count = ow1 - ow0;
                    if (g.StrideWidth == 1) CopyRun(src, d + ow0, count);
                    else GatherRow(src, g.StrideWidth, d + ow0, count);
                    for (int ow = ow1; ow < g.OutWidth; ow++) d[ow] = 0f;
                }
            }
        }
    }

    /// <summary>Widest output row that <see cref="Im2Col"/> fills with masked loads.</summary>
    internal const int MaskedRowLimit = 32;

    /// <summary>Floats a column buffer keeps past its matrix for the masked im2col's overhanging stores.</summary>
    internal const int ColumnSlack = 16;

    [SkipLocalsInit]
    private static unsafe void Im2ColMasked(in Geometry g, float* x, float* cols, int rowStride, int samples, int sampleStride,
        int firstRow, int rowCount)
    {
        int chunks = (g.OutWidth + 7) / 8;
        int kernelWidth = g.KernelWidth;
        // masks[kw·chunks + t], lane j: output column ow = 8t + j reads inside the image for this kw.
        Vector256<float>* masks = stackalloc Vector256<float>[kernelWidth * chunks];
        for (int kw = 0; kw < kernelWidth; kw++)
        {
            g.ValidColumns(kw, out int ow0, out int ow1);
            for (int t = 0; t < chunks; t++)
            {
                Vector256<int> lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create(8 * t);
                Vector256<int> inside = Vector256.GreaterThanOrEqual(lane, Vector256.Create(ow0)) & Vector256.LessThan(lane, Vector256.Create(ow1));
                masks[kw * chunks + t] = inside.AsSingle();
            }
        }
        int window = g.KernelHeight * kernelWidth;
        for (int row = firstRow; row < firstRow + rowCount; row++)
        {
            int c = row / window, kh = row % window / kernelWidth, kw = row % kernelWidth;
            Vector256<float>* mask = masks + kw * chunks;
            int shift = kw - g.PadLeft;
            for (int s = 0; s < samples; s++)
            {
                float* xc = x + (nint)s * sampleStride + (nint)c * g.InPixels;
                float* d = cols + (nint)(row - firstRow) * rowStride + (nint)s * g.Pixels;
                for (int oh = 0; oh < g.OutHeight; oh++, d += g.OutWidth)
                {
                    int ih = oh * g.StrideHeight + kh - g.PadTop;
                    if ((uint)ih >= (uint)g.InHeight)
                    {
                        for (int t = 0; t < chunks; t++) Vector256.Store(Vector256<float>.Zero, d + 8 * t);
                        continue;
                    }
                    float* src = xc + (nint)ih * g.InWidth + shift;
                    for (int t = 0; t < chunks; t++) Vector256.Store(Avx.MaskLoad(src + 8 * t, mask[t]), d + 8 * t);
                }
            }
        }
    }

    /// <summary>dst[i] = src[i·stride] for i in [0, count): AVX2 gathers (8 per instruction) when available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GatherRow(float* src, int stride, float* dst, int count)
    {
        if (Avx2.IsSupported && count >= 8)
        {
            Vector256<int> index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * stride;
            int i = 0;
            for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx2.GatherVector256(src + (nint)i * stride, index, 4));
            if (i < count)
            {
                int t = count - 8;
                Avx.Store(dst + t, Avx2.GatherVector256(src + (nint)t * stride, index, 4));
            }
            return;
        }
        for (int i = 0; i < count; i++) dst[i] = src[(nint)i * stride];
    }

    /// <summary>dst[i] = src[i] for i in [0, count), inline: short runs (an output row) cost less than a Memmove call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRun(float* src, float* dst, int count)
    {
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            int i = 0;
            for (; i + 8 <= count; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
            // The last, overlapping vector rewrites some floats with the same values.
            if (i < count) Vector256.Store(Vector256.Load(src + count - 8), dst + count - 8);
            return;
        }
        for (int i = 0; i < count; i++) dst[i] = src[i];
    }

    /// <summary>
    /// dst = src + *bias (no bias: a copy, or nothing in place), then max(0, ·) with <paramref name="relu"/>: the layer's
    /// output row as the separate bias add and ReLU pass would leave it (TensorPrimitives either way, so the same bits).
    /// </summary>
    internal static unsafe void FinishRow(float* src, float* dst, int count, float* bias, bool relu)
    {
        var row = new Span<float>(dst, count);
        if (bias != null) TensorPrimitives.Add(new ReadOnlySpan<float>(src, count), *bias, row);
        else if (src != dst) new ReadOnlySpan<float>(src, count).CopyTo(row);
        if (relu) TensorPrimitives.Max(row, 0f, row);
    }

    /// <summary>
    /// dst[i] = max(0, src[i]) for i in [0, count), inline (<see cref="CopyRun"/> with a fused ReLU). Vector256.Max and
    /// MathF.Max are IEEE 754 maximum, as TensorPrimitives.Max in the ReLU kernel: NaN stays NaN, −0 becomes +0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyRunRelu(float* src, float* dst, int count)
    {
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            int i = 0;
            for (; i + 8 <= count; i += 8) Vector256.Store(Vector256.Max(Vector256.Load(src + i), Vector256<float>.Zero), dst + i);
            if (i < count) Vector256.Store(Vector256.Max(Vector256.Load(src + count - 8), Vector256<float>.Zero), dst + count - 8);
            return;
        }
        for (int i = 0; i < count; i++) dst[i] = MathF.Max(src[i], 0f);
    }

    /// <summary>dst[i] += src[i] for i in [0, count): element-wise, so identical bits at any vector width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(float* src, float* dst, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
        for (; i < count; i++) dst[i] += src[i];
    }

    /// <summary>The constants of a convolution config, plus derived sizes, as plain fields for the parallel bodies.</summary>
    internal readonly struct Geometry
    {
        public readonly int InChannels, InHeight, InWidth, OutChannels, OutHeight, OutWidth;
        public readonly int KernelHeight, KernelWidth, StrideHeight, StrideWidth, PadTop, PadLeft, Groups;
        public readonly bool HasBias;
        /// <summary>The forward pass writes max(0, ·) (<see cref="IConv2dConfig.FusedRelu"/>); no effect on gradients.</summary>
        public readonly bool Relu;

        public Geometry(int inChannels, int inHeight, int inWidth, int outChannels, int outHeight, int outWidth, int kernelHeight,
            int kernelWidth, int strideHeight, int strideWidth, int padTop, int padLeft, int groups, bool hasBias, bool relu = false)
        {
            InChannels = inChannels; InHeight = inHeight; InWidth = inWidth;
            OutChannels = outChannels; OutHeight = outHeight; OutWidth = outWidth;
            KernelHeight = kernelHeight; KernelWidth = kernelWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
            PadTop = padTop; PadLeft = padLeft; Groups = groups; HasBias = hasBias; Relu = relu;
            Validate();
        }

        public static Geometry Of<T>() where T : struct, IConv2dConfig => new(T.InChannels, T.InHeight, T.InWidth, T.OutChannels,
            T.OutHeight, T.OutWidth, T.KernelHeight, T.KernelWidth, T.StrideHeight, T.StrideWidth, T.PadTop, T.PadLeft, T.Groups, T.HasBias, T.FusedRelu);

        public int InPerGroup => InChannels / Groups;
        public int OutPerGroup => OutChannels / Groups;
        public int InPixels => InHeight * InWidth;
        public int Pixels => OutHeight * OutWidth;
        /// <summary>
        /// Samples whose columns go side by side into one GEMM: enough for about <see cref="BlockColumns"/>
        /// columns (small feature maps otherwise leave the micro-kernel narrow panels and repack the weights per
        /// sample), at most 16, and at most 4 Mi floats of columns. Depends on the shape only, never on the thread
        /// count, because the weight gradient's summation order follows it.
        /// </summary>
        public int BlockSamples
        {
            get
            {
                int byWidth = (BlockColumns + Pixels - 1) / Pixels;
                long byMemory = (4L << 20) / Math.Max(1L, (long)Depth * Pixels);
                return (int)Math.Max(1, Math.Min(Math.Min(byWidth, 16), byMemory));
            }
        }

        /// <summary>GEMM depth: weights per output channel (Cin/g·KH·KW).</summary>
        public int Depth => InPerGroup * KernelHeight * KernelWidth;
        public int InputSize => InChannels * InPixels;
        public int OutputSize => OutChannels * Pixels;
        public int WeightSize => OutChannels * Depth;

        /// <summary>1×1, stride 1, no padding, same size: the input already is the column matrix.</summary>
        public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1
            && PadTop == 0 && PadLeft == 0 && OutHeight == InHeight && OutWidth == InWidth;

        /// <summary>Output columns [ow0, ow1) whose input column ow·SW + kw − PadLeft lies inside the image.</summary>
        public void ValidColumns(int kw, out int ow0, out int ow1)
        {
            int offset = kw - PadLeft;
            // smallest ow with ow·SW + offset ≥ 0, and the first ow with ow·SW + offset ≥ InWidth
            ow0 = offset >= 0 ? 0 : (-offset + StrideWidth - 1) / StrideWidth;
            int limit = InWidth - offset;
            ow1 = limit <= 0 ? 0 : Math.Min(OutWidth, (limit + StrideWidth - 1) / StrideWidth);
            if (ow0 > OutWidth) ow0 = OutWidth;
        }

        private void Validate()
        {
            Positive(InChannels, "InChannels"); Positive(InHeight, "InHeight"); Positive(InWidth, "InWidth");
            Positive(OutChannels, "OutChannels"); Positive(OutHeight, "OutHeight"); Positive(OutWidth, "OutWidth");
            Positive(KernelHeight, "KernelHeight"); Positive(KernelWidth, "KernelWidth");
            Positive(StrideHeight, "StrideHeight"); Positive(StrideWidth, "StrideWidth"); Positive(Groups, "Groups");
            if (PadTop < 0 || PadLeft < 0)
                throw new ArgumentException($"conv config has negative padding (PadTop {PadTop}, PadLeft {PadLeft}).");
            if (InChannels % Groups != 0 || OutChannels % Groups != 0)
                throw new ArgumentException($"conv config: Groups {Groups} must divide InChannels {InChannels} and OutChannels {OutChannels}.");
            if (PadTop >= KernelHeight + (long)(OutHeight - 1) * StrideHeight || PadLeft >= KernelWidth + (long)(OutWidth - 1) * StrideWidth)
                throw new ArgumentException($"conv config: padding ({PadTop}, {PadLeft}) leaves every window outside the input.");
            long elements = (long)InChannels * InHeight * InWidth;
            long outputs = (long)OutChannels * OutHeight * OutWidth;
            long columns = (long)InChannels / Groups * KernelHeight * KernelWidth * OutHeight * OutWidth;
            if (elements > int.MaxValue || outputs > int.MaxValue || columns > int.MaxValue)
                throw new ArgumentException("conv config: a per-sample tensor exceeds int.MaxValue elements.");
        }

        private static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentException($"conv config {name} must be positive but is {value}.");
        }

        public void CheckBatch(int batch)
        {
            if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "conv batch must not be negative.");
            if ((long)batch * Math.Max(InputSize, OutputSize) > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(batch), batch, "conv batch × per-sample size exceeds int.MaxValue.");
        }

        public void CheckInput(int length, int batch) => CheckActivation(length, batch, InChannels, InHeight, InWidth, "input", "input");

        public void CheckOutput(int length, int batch, string parameter) =>
            CheckActivation(length, batch, OutChannels, OutHeight, OutWidth, parameter == "output" ? "output" : "output gradient", parameter);

        public void CheckActivation(int length, int batch, int c, int h, int w, string what, string parameter)
        {
            long need = (long)batch * c * h * w;
            if (length < need)
                throw new ArgumentException($"conv {what} has {length} floats but batch {batch} × {c}×{h}×{w} needs {need}.", parameter);
        }

        public void CheckWeight(int length, string parameter)
        {
            if (length != WeightSize)
                throw new ArgumentException($"conv {parameter} has {length} floats but {OutChannels}×{InPerGroup}×{KernelHeight}×{KernelWidth} needs {WeightSize}.", parameter);
        }

        public void CheckBias(int length, string parameter)
        {
            int need = HasBias ? OutChannels : 0;
            if (length != need)
                throw new ArgumentException(HasBias
                    ? $"conv {parameter} has {length} floats but {OutChannels} output channels need {need}."
                    : $"conv {parameter} must be empty for a layer without bias but has {length} floats.", parameter);
        }
    }
}
