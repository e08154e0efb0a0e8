using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // Implicit GEMM for strided layers whose kernel is wider than the stride (the AlexNets' 11×11 stride-4 first
    // layers). im2col there writes each input ~KH·KW/(SH·SW) times (7.6 for 11×11/4) into a column matrix the GEMM then
    // reads once per 6 output channels; with only 64–96 output channels that writing was a third of the layer's time.
    // Instead each input channel is split once into SH·SW phase planes,
    //   plane(c, rp, cp)[a, b] = x[c, a·SH + rp − PadTop, b·SW + cp − PadLeft]   (zero outside the image),
    // each PlaneHeight × PlaneWidth. An output pixel (oh, ow) taken at column oh·PlaneWidth + ow then reads weight tap
    // (c, kh, kw) at plane(c, kh mod SH, kw mod SW)[oh + kh div SH, ow + kw div SW], i.e. at a fixed offset per tap plus
    // the pixel's column: the column matrix's row k, for NR consecutive pixels, is NR consecutive floats of the planes.
    // The micro-kernel reads its B rows there through a table of those offsets (IIndirectKernel; on AVX2 the rows of a
    // tile are first gathered into one aligned block, ImplicitTilesCopied). The price is
    // PlaneWidth − OutWidth garbage columns per output row (2 of 57 for the AlexNets), computed and dropped.

    /// <summary>Whether the layer runs as an implicit GEMM over phase planes (see above): strided, with a kernel wider than
    /// the stride.</summary>
    internal static bool UsesImplicitGemm(in Geometry g) => g.StrideWidth > 1 && g.KernelWidth > g.StrideWidth;

    /// <summary>Sizes of the implicit GEMM at the current SIMD width.</summary>
    internal readonly struct ImplicitPlan
    {
        /// <summary>The micro-kernel's tile (<see cref="IIndirectKernel"/>).</summary>
        public readonly int Mr, Nr;
        public readonly int PlaneHeight, PlaneWidth;
        /// <summary>Output columns computed per sample (OutHeight · PlaneWidth), in tiles of Nr.</summary>
        public readonly int Width, Tiles, PaddedWidth;
        /// <summary>Output channels of a group rounded up to whole Mr tiles.</summary>
        public readonly int OutRows;
        /// <summary>Floats of one lane's planes (one sample, one group), the slack the last tiles read past them, and
        /// one input row split into phases.</summary>
        public readonly int PlanesSize;
        /// <summary>Floats of one input row split into its column phases (BuildPlanes' scratch).</summary>
        public readonly int RowPhasesSize;
        /// <summary>Floats of one lane's output block [OutRows × PaddedWidth].</summary>
        public readonly int BlockOutputSize;
        /// <summary>Floats of the packed weights of all groups.</summary>
        public readonly int PackedWeightsSize;
        /// <summary>Floats of one lane's copy of a tile's B rows (AVX2 path, <see cref="ImplicitTilesCopied"/>), with room
        /// to align it to a cache line; 0 for the other widths, which read the rows in place.</summary>
        public readonly int TileCopySize;

        public ImplicitPlan(in Geometry g)
        {
            (Mr, Nr) = Gemm.VectorWidth switch
            {
                16 => (IndirectKernel12x32.MR, IndirectKernel12x32.NR),
                8 => (Kernel6x16.MR, Kernel6x16.NR), // rows copied per tile (ImplicitTilesCopied)
                _ => (IndirectKernel4x4.MR, IndirectKernel4x4.NR),
            };
            PlaneHeight = g.OutHeight + (g.KernelHeight - 1) / g.StrideHeight;
            PlaneWidth = g.OutWidth + (g.KernelWidth - 1) / g.StrideWidth;
            Width = checked(g.OutHeight * PlaneWidth);
            Tiles = (Width + Nr - 1) / Nr;
            PaddedWidth = checked(Tiles * Nr);
            OutRows = (g.OutPerGroup + Mr - 1) / Mr * Mr;
            // The last tile of the last tap reads up to PlaneWidth − 1 + Nr − 1 floats past the last plane.
            RowPhasesSize = checked(g.StrideWidth * PhaseWidth(g));
            PlanesSize = checked(PlanesFloats(g) + PlaneWidth + Nr + RowPhasesSize);
            BlockOutputSize = checked(OutRows * PaddedWidth);
            PackedWeightsSize = checked(g.Groups * OutRows * g.Depth);
            TileCopySize = Nr == 16 ? checked(g.Depth * 16 + 16) : 0;
        }

        /// <summary>Floats of the planes of one sample's group.</summary>
        public int PlanesFloats(in Geometry g) => checked(g.InPerGroup * g.StrideHeight * g.StrideWidth * PlaneHeight * PlaneWidth);
    }

    /// <summary>The forward pass as an implicit GEMM (see above); samples per lane, or one sample's tiles split over lanes.</summary>
    private static unsafe void ImplicitForward(in Geometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, int batch, Workspace workspace)
    {
        var plan = new ImplicitPlan(g);
        bool perSample = SplitsSamples(batch);
        int lanes = perSample ? StaticParallel.ThreadCount : 1;
        // A lone sample's tiles are split over the threads; each output column is computed the same way either way.
        int tileLanes = perSample ? 1 : Math.Min(StaticParallel.ThreadCount, plan.Tiles);
        float[] packedBuffer = workspace.GetArray(Gemm.SlotPackA, plan.PackedWeightsSize);
        float[] rowBuffer = workspace.GetArray(Gemm.SlotImplicitRows, g.Depth); // int offsets, stored in a float buffer
        int planesStride = LaneStride(plan.PlanesSize, lanes), blockStride = LaneStride(plan.BlockOutputSize, lanes);
        // One sample's tiles split over the threads: its planes built by all of them, the others' row scratch after the planes.
        int rowScratch = perSample ? 0 : (tileLanes - 1) * plan.RowPhasesSize;
        float[] planeBuffer = workspace.GetArray(Gemm.SlotColumns, lanes * planesStride + rowScratch);
        float[] blockBuffer = workspace.GetArray(Gemm.SlotBlockMatrix, lanes * blockStride);
        float[] tileBuffer = workspace.GetArray(Gemm.SlotImplicitTile, Math.Max(1, Math.Max(lanes, tileLanes) * plan.TileCopySize));
        fixed (float* pIn = input)
        fixed (float* pW = weight)
        fixed (float* pB = bias)
        fixed (float* pOut = output)
        fixed (float* pPacked = packedBuffer)
        fixed (float* pRows = rowBuffer)
        fixed (float* pPlanes = planeBuffer)
        fixed (float* pBlock = blockBuffer)
        fixed (float* pTile = tileBuffer)
        {
            PackImplicitWeights(g, plan, pW, pPacked);
            ImplicitRows(g, plan, (int*)pRows, g.Depth);
            var body = new ImplicitBody
            {
                G = g, Plan = plan, Input = pIn, Packed = pPacked, Rows = (int*)pRows, Bias = g.HasBias ? pB : null, Output = pOut,
                Planes = pPlanes, BlockOutput = pBlock, TileCopies = pTile, Batch = batch, Lanes = lanes, TileLanes = tileLanes,
                PlanesStride = planesStride, BlockStride = blockStride,
            };
            if (lanes > 1)
            {
                StaticParallel.For(lanes, lanes, body);
                return;
            }
            if (tileLanes == 1)
            {
                body.Run(0, 1);
                return;
            }
            for (int n = 0; n < batch; n++)
                for (int group = 0; group < g.Groups; group++)
                {
                    BuildPlanesParallel(g, plan, body.GroupInput(n, group), pPlanes, pPlanes + planesStride, tileLanes);
                    body.Sample = n;
                    body.Group = group;
                    StaticParallel.For(tileLanes, tileLanes, body);
                }
        }
    }

    private unsafe struct ImplicitBody : IParallelBody
    {
        public Geometry G;
        public ImplicitPlan Plan;
        public float* Input, Packed, Bias, Output, Planes, BlockOutput, TileCopies;
        public int* Rows;
        public int Batch, Lanes, TileLanes, PlanesStride, BlockStride;
        /// <summary>With <see cref="TileLanes"/> &gt; 1: the sample and group whose planes are built.</summary>
        public int Sample, Group;

        public void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                if (TileLanes > 1)
                {
                    // One sample's tiles [t0, t1) into the shared output block, then the pixels they cover.
                    var (t0, t1) = StaticParallel.Partition(Plan.Tiles, TileLanes, lane);
                    if (WritesTilesToOutput(G, Plan)) TilesToOutput(Planes, Sample, Group, t0, t1);
                    else
                    {
                        Tiles(Planes, Group, BlockOutput, t0, t1, TileCopy(lane));
                        Scatter(Sample, Group, BlockOutput, t0 * Plan.Nr, t1 * Plan.Nr);
                    }
                    continue;
                }
                var (n0, n1) = StaticParallel.Partition(Batch, Lanes, lane);
                float* planes = Planes + (nint)lane * PlanesStride;
                float* block = BlockOutput + (nint)lane * BlockStride;
                for (int n = n0; n < n1; n++)
                    for (int group = 0; group < G.Groups; group++)
                    {
                        BuildPlanes(G, Plan, GroupInput(n, group), planes);
                        Tiles(planes, group, block, 0, Plan.Tiles, TileCopy(lane));
                        Scatter(n, group, block, 0, Plan.Width);
                    }
            }
        }

        public readonly float* GroupInput(int n, int group) => Input + (nint)n * G.InputSize + (nint)group * G.InPerGroup * G.InPixels;

        /// <summary>The lane's tile copy (<see cref="ImplicitPlan.TileCopySize"/>), at a cache-line boundary.</summary>
        private readonly float* TileCopy(int lane) => (float*)(((nint)(TileCopies + (nint)lane * Plan.TileCopySize) + 63) & ~(nint)63);

        private readonly void Tiles(float* planes, int group, float* block, int t0, int t1, float* tileCopy)
        {
            float* packed = Packed + (nint)group * Plan.OutRows * G.Depth;
            switch (Plan.Nr)
            {
                case 32: ImplicitTiles<IndirectKernel12x32>(G, Plan, planes, packed, Rows, block, t0, t1); break;
                case 16: ImplicitTilesCopied(G, Plan, planes, packed, Rows, block, t0, t1, tileCopy); break;
                default: ImplicitTiles<IndirectKernel4x4>(G, Plan, planes, packed, Rows, block, t0, t1); break;
            }
        }

        /// <summary>Tiles [t0, t1) of sample n's group straight into the output (<see cref="ImplicitTilesToOutput"/>).</summary>
        private readonly void TilesToOutput(float* planes, int n, int group, int t0, int t1) =>
            ImplicitTilesToOutput(G, Plan, planes, Packed + (nint)group * Plan.OutRows * G.Depth, Rows,
                Output + (nint)n * G.OutputSize + (nint)group * G.OutPerGroup * G.Pixels, Bias == null ? null : Bias + group * G.OutPerGroup, t0, t1);

        /// <summary>Output columns [p0, p1) of the block to NCHW (dropping the columns past OutWidth), adding the bias (and a fused ReLU).</summary>
        private readonly void Scatter(int n, int group, float* block, int p0, int p1)
        {
            Geometry g = G;
            int wp = Plan.PlaneWidth, ow = g.OutWidth;
            p1 = Math.Min(p1, Plan.Width);
            float* y = Output + (nint)n * g.OutputSize + (nint)group * g.OutPerGroup * g.Pixels;
            for (int oc = 0; oc < g.OutPerGroup; oc++)
            {
                float* src = block + (nint)oc * Plan.PaddedWidth;
                float* dst = y + (nint)oc * g.Pixels;
                for (int oh = p0 / wp; oh * wp < p1; oh++)
                {
                    int s = Math.Max(p0 - oh * wp, 0), e = Math.Min(p1 - oh * wp, ow);
                    if (s >= e) continue;
                    FinishRow(src + (nint)oh * wp + s, dst + (nint)oh * ow + s, e - s, Bias == null ? null : Bias + group * g.OutPerGroup + oc, g.Relu);
                }
            }
        }
    }

    /// <summary>Tiles [t0, t1) of one sample's group: every Mr-row weight panel against each Nr-column tile.</summary>
    private static unsafe void ImplicitTiles<TK>(in Geometry g, in ImplicitPlan plan, float* planes, float* packed, int* rows,
        float* block, int t0, int t1) where TK : struct, IIndirectKernel
    {
        int depth = g.Depth, mr = TK.MR, nr = TK.NR, ldc = plan.PaddedWidth;
        // Tile-major: the tile's Depth B rows stay in L1 while all the weight panels (in L2) pass over them.
        for (int t = t0; t < t1; t++)
        {
            float* b = planes + (nint)t * nr;
            float* c = block + (nint)t * nr;
            for (int i = 0; i < plan.OutRows; i += mr)
            {
                // A short last panel (64 channels: 4 rows) without the padding rows' multiply-adds; their block rows are never read.
                int count = g.OutPerGroup - i;
                if (typeof(TK) == typeof(IndirectKernel12x32) && count <= 8)
                    ShortPanelKernel.Run<TableBRows>(count, depth, packed + (nint)i * depth, b, rows, c + (nint)i * ldc, ldc, false);
                else
                    TK.Run(depth, packed + (nint)i * depth, b, rows, c + (nint)i * ldc, ldc);
            }
        }
    }

    /// <summary>
    /// Whether a lone sample's AVX-512 tiles go straight to the output (<see cref="ImplicitTilesToOutput"/>): their 32
    /// columns then span at most two output rows (planes at least 32 wide). Samples per lane keep the block: writing each
    /// sample's cold output tile by tile was 3–4 % slower at batch 16 than the block (in L2, reused every sample) and its
    /// sequential scatter.
    /// </summary>
    private static bool WritesTilesToOutput(in Geometry g, in ImplicitPlan plan) =>
        plan.Nr == 32 && plan.PlaneWidth >= 32 && Fused.HasMaskedMemory && TilesToOutputEnabled;

    /// <summary>For tests: whether the forward pass at <paramref name="batch"/> writes some sample's tiles straight to the output.</summary>
    internal static bool WritesTilesToOutput(in Geometry g, int batch) =>
        UsesImplicitGemm(g) && !SplitsSamples(batch) && StaticParallel.ThreadCount > 1 && WritesTilesToOutput(g, new ImplicitPlan(g));

    /// <summary>Test switch: false computes every tile into the output block and scatters it, as on AVX2.</summary>
    internal static bool TilesToOutputEnabled = true;

    /// <summary>
    /// <see cref="ImplicitTiles{TK}"/> for the AVX-512 kernel with each tile's rows finished (bias, ReLU) and stored to
    /// their output pixels as the kernel ends (<see cref="TileOutput"/>), instead of into the output block that
    /// <c>Scatter</c> then copied: the block (OutRows × PaddedWidth, 0.9 MB for torchvision's conv1) was written and read
    /// back through L2 (torchvision's conv1 at batch 1: 0.62–0.65 → 0.58–0.59 ms median alone). Same arithmetic, so the
    /// same bits. <paramref name="y"/> and <paramref name="bias"/>: the sample's group.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void ImplicitTilesToOutput(in Geometry g, in ImplicitPlan plan, float* planes, float* packed, int* rows,
        float* y, float* bias, int t0, int t1)
    {
        int depth = g.Depth, wp = plan.PlaneWidth, ow = g.OutWidth;
        float* scratch = stackalloc float[12 * 32 + 16];
        scratch = (float*)(((nint)scratch + 63) & ~(nint)63);
        var output = new TileOutput { Pixels = g.Pixels, Relu = g.Relu };
        for (int t = t0; t < t1; t++)
        {
            // Column j is pixel p0 + j of the planes' rows (wp ≥ 32 wide): row oh0's while j < wp − s0, row oh0 + 1's
            // after; only a row's first OutWidth columns are output, and nothing past Width.
            int p0 = t * 32, oh0 = p0 / wp, s0 = p0 - oh0 * wp, end = Math.Min(32, plan.Width - p0);
            output.SetColumns(Math.Min(end, ow - s0), wp - s0, Math.Min(end, wp - s0 + ow));
            output.OffsetA = (nint)oh0 * ow + s0;
            output.OffsetB = (nint)(oh0 + 1) * ow + s0 - wp;
            float* b = planes + (nint)t * 32;
            for (int i = 0; i < plan.OutRows; i += 12)
            {
                int count = g.OutPerGroup - i;
                output.Y = y + (nint)i * g.Pixels;
                output.Bias = bias == null ? null : bias + i;
                if (count >= 12) IndirectKernel12x32.RunToOutput(depth, packed + (nint)i * depth, b, rows, ref output);
                else
                {
                    // The last panel's rows into scratch (a short one without its padding rows' multiply-adds), then out.
                    if (count <= 8) ShortPanelKernel.Run<TableBRows>(count, depth, packed + (nint)i * depth, b, rows, scratch, 32, false);
                    else IndirectKernel12x32.Run(depth, packed + (nint)i * depth, b, rows, scratch, 32);
                    output.FromScratch(scratch, count);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ImplicitTiles{TK}"/> for the AVX2 kernel, each tile's Depth B rows first copied into one aligned block
    /// that the packed-B kernel (<see cref="Kernel6x16"/>, the same FMAs in the same order) then reads for every weight
    /// panel. Read in place, the rows sit at arbitrary offsets of the planes: each 16-float row straddles two cache lines,
    /// so a tile's rows took twice their size of L1 (46 KB for 11×11×3, more than L1 holds) and the kernel waited on
    /// them every panel.
    /// </summary>
    private static unsafe void ImplicitTilesCopied(in Geometry g, in ImplicitPlan plan, float* planes, float* packed, int* rows,
        float* block, int t0, int t1, float* copy)
    {
        int depth = g.Depth, ldc = plan.PaddedWidth;
        for (int t = t0; t < t1; t++)
        {
            float* b = planes + (nint)t * 16;
            for (int p = 0; p < depth; p++)
            {
                float* row = b + rows[p];
                Vector256.Store(Vector256.Load(row), copy + (nint)p * 16);
                Vector256.Store(Vector256.Load(row + 8), copy + (nint)p * 16 + 8);
            }
            float* c = block + (nint)t * 16;
            for (int i = 0; i < plan.OutRows; i += 6)
                Kernel6x16.Run(depth, packed + (nint)i * depth, copy, c + (nint)i * ldc, ldc, false);
        }
    }

    /// <summary>
    /// packed[(group·OutRows + i)·Depth + p·Mr + r] = w[group·OutPerGroup + i + r, p] for each Mr-row panel starting at i
    /// (zero rows past the group's channels).
    /// </summary>
    private static unsafe void PackImplicitWeights(in Geometry g, in ImplicitPlan plan, float* w, float* packed)
    {
        int depth = g.Depth, mr = plan.Mr;
        if (mr == 12)
        {
            // The GEMM's own 12-row packing (register transposes; the element loop below had been 4 % of torchvision conv1's
            // batch-1 time, on one thread).
            for (int group = 0; group < g.Groups; group++)
                Gemm.PackRowPanels12(w + (nint)group * g.OutPerGroup * depth, depth, g.OutPerGroup, 0, depth, packed + (nint)group * plan.OutRows * depth);
            return;
        }
        for (int group = 0; group < g.Groups; group++)
            for (int i = 0; i < plan.OutRows; i += mr)
            {
                float* panel = packed + ((nint)group * plan.OutRows + i) * depth;
                for (int r = 0; r < mr; r++)
                {
                    int oc = i + r;
                    float* src = oc < g.OutPerGroup ? w + ((nint)group * g.OutPerGroup + oc) * depth : null;
                    for (int p = 0; p < depth; p++) panel[(nint)p * mr + r] = src == null ? 0f : src[p];
                }
            }
    }

    /// <summary>
    /// rows[(c·KH + kh)·KW + kw]: where tap (c, kh, kw) of output column 0 sits in the planes; entries from Depth to
    /// <paramref name="count"/> (the weight gradient's padding rows, whose results are discarded) read column 0.
    /// </summary>
    internal static unsafe void ImplicitRows(in Geometry g, in ImplicitPlan plan, int* rows, int count)
    {
        for (int k = g.Depth; k < count; k++) rows[k] = 0;
        int sh = g.StrideHeight, sw = g.StrideWidth, planeSize = plan.PlaneHeight * plan.PlaneWidth;
        for (int c = 0; c < g.InPerGroup; c++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
                for (int kw = 0; kw < g.KernelWidth; kw++)
                    rows[(c * g.KernelHeight + kh) * g.KernelWidth + kw] =
                        ((c * sh + kh % sh) * sw + kw % sw) * planeSize + kh / sh * plan.PlaneWidth + kw / sw;
    }

    /// <summary>The phase planes of one sample's group (see above), then zeros over the slack the last tiles read.</summary>
    private static unsafe void BuildPlanes(in Geometry g, in ImplicitPlan plan, float* x, float* planes) =>
        BuildPlanesParallel(g, plan, x, planes, null, 1);

    /// <summary>
    /// <see cref="BuildPlanes"/> on <paramref name="lanes"/> threads, for one sample's tiles split over them (batch 1): each
    /// builds the planes of a range of (channel, row phase) pairs; the main thread had built them alone while the others
    /// waited, 8 % of the torchvision conv1's batch-1 time. <paramref name="rowScratch"/>: <see cref="ImplicitPlan.RowPhasesSize"/>
    /// floats per thread after the first (which uses the planes' own). With one lane (or inside a parallel loop) it runs on
    /// the calling thread.
    /// </summary>
    private static unsafe void BuildPlanesParallel(in Geometry g, in ImplicitPlan plan, float* x, float* planes, float* rowScratch, int lanes)
    {
        var body = new PlanesBody { G = g, Plan = plan, X = x, Planes = planes, RowScratch = rowScratch, Lanes = lanes };
        StaticParallel.For(lanes, lanes, body);
        new Span<float>(planes + plan.PlanesFloats(g), plan.PlaneWidth + plan.Nr).Clear();
    }

    private unsafe struct PlanesBody : IParallelBody
    {
        public Geometry G;
        public ImplicitPlan Plan;
        public float* X, Planes, RowScratch;
        public int Lanes;

        public readonly void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                var (u0, u1) = StaticParallel.Partition(G.InPerGroup * G.StrideHeight, Lanes, lane);
                float* rowPhases = lane == 0 ? Planes + Plan.PlanesFloats(G) + Plan.PlaneWidth + Plan.Nr
                    : RowScratch + (nint)(lane - 1) * Plan.RowPhasesSize;
                BuildPlaneRows(G, Plan, X, Planes, rowPhases, u0, u1);
            }
        }
    }

    /// <summary>The planes of (channel, row phase) pairs [u0, u1) (pair c·SH + rp), splitting each input row into
    /// <paramref name="rowPhases"/> (<see cref="ImplicitPlan.RowPhasesSize"/> floats of scratch).</summary>
    private static unsafe void BuildPlaneRows(in Geometry g, in ImplicitPlan plan, float* x, float* planes, float* rowPhases, int u0, int u1)
    {
        int sh = g.StrideHeight, sw = g.StrideWidth, hp = plan.PlaneHeight, wp = plan.PlaneWidth, planeSize = hp * wp;
        int phaseWidth = PhaseWidth(g);
        for (int u = u0; u < u1; u++)
        {
            int c = u / sh, rp = u % sh;
            float* xc = x + (nint)c * g.InPixels;
            float* pc = planes + (nint)c * sh * sw * planeSize;
            for (int a = 0; a < hp; a++)
            {
                int ih = a * sh + rp - g.PadTop;
                if ((uint)ih >= (uint)g.InHeight)
                {
                    for (int cp = 0; cp < sw; cp++) new Span<float>(pc + (nint)(rp * sw + cp) * planeSize + (nint)a * wp, wp).Clear();
                    continue;
                }
                // Input row ih split once into its column phases; plane column b of phase cp is phase q, entry b + shift.
                SplitColumnPhases(xc + (nint)ih * g.InWidth, g.InWidth, sw, rowPhases, phaseWidth);
                for (int cp = 0; cp < sw; cp++)
                {
                    int offset = cp - g.PadLeft;
                    int q = (offset % sw + sw) % sw, shift = (offset - q) / sw;
                    int count = (g.InWidth - q + sw - 1) / sw;
                    int b0 = Math.Max(0, -shift), b1 = Math.Min(wp, count - shift);
                    float* dst = pc + (nint)(rp * sw + cp) * planeSize + (nint)a * wp;
                    if (b1 <= b0)
                    {
                        new Span<float>(dst, wp).Clear();
                        continue;
                    }
                    new Span<float>(dst, b0).Clear();
                    CopyRun(rowPhases + (nint)q * phaseWidth + b0 + shift, dst + b0, b1 - b0);
                    new Span<float>(dst + b1, wp - b1).Clear();
                }
            }
        }
    }
}
