using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // Winograd F(2×2, 3×3) (Lavin & Gray, 2015) for 3×3 stride-1 convolutions with enough channels: each 2×2 output
    // tile takes 16 multiplies per (input, output) channel pair instead of 36, as 16 GEMMs
    //   M_ξ [Cout/g × tiles] = U_ξ [Cout/g × Cin/g] · V_ξ [Cin/g × tiles],  ξ = 0..15,
    // with U = G·w·Gᵀ (weights), V = Bᵀ·d·B (4×4 input patches) and the output tile Aᵀ·M·A. The input transform runs
    // on 8 tiles at once, loading them from a zero-padded copy of the input split into column phases
    // (Conv2d.WinogradPatches.cs), and writes V straight into the GEMM's packed layout. The input gradient of such a
    // layer is the same kind of convolution of the output gradient with the weights flipped and transposed, so the
    // backward pass uses it too; the weight gradient is the adjoint of the transforms, again 16 GEMMs per block
    // (Conv2d.WinogradGradient.cs), taken from a higher channel count (WinogradWeightGradientMinChannels).
    // The forward pass and input gradient take F(4×4, 3×3) instead where its 4×4 tiles need fewer multiplies
    // (ForwardTile: 36 GEMMs over 6×6 patches, a quarter as many tiles), and 5×5 layers F(2×2, 5×5), both with 6×6
    // transforms (Conv2d.Winograd6.cs), or likewise F(4×4, 5×5) with 8×8 ones (Conv2d.Winograd8.cs: 64 GEMMs, torchvision's
    // conv2 forward 43 % faster at batch 1). The weight gradient stays on 2×2 tiles: its GEMMs sum over a chunk's few
    // tiles, and 36 dU planes instead of 16 cost it more than the fewer products save.
    // The forward pass (Conv2d.WinogradForward.cs) keeps each layer's transformed weights, packed for the GEMMs, across
    // calls (Conv2d.WinogradWeights.cs), so it runs on Winograd at any batch.

    /// <summary>Test switch: false sends every convolution through im2col + GEMM.</summary>
    internal static bool WinogradEnabled = true;

    /// <summary>Smallest batch for the input gradient on Winograd: its weight transform is paid per call. The forward pass
    /// keeps its transformed weights across calls (<see cref="PackedWinogradWeights"/>) and takes Winograd at any batch.</summary>
    internal const int WinogradMinBatch = 4;

    /// <summary>
    /// Smallest channel count (per group, in and out) for which the 3×3 forward pass and input gradient take Winograd
    /// (their GEMMs run over whole blocks of tiles): on Winograd the compact net's 32→64 (14×14), 64→128 and 128→64
    /// (7×7) layers ran 38 %, 19–24 % and 10–23 % faster forward than on im2col, and 4–24 % faster backward with the
    /// input gradient on Winograd (batch 16 and 128, fastest of alternating runs). Tests lower it to reach small shapes.
    /// </summary>
    internal static int WinogradMinChannels = 32;

    /// <summary>
    /// The same for the 3×3 weight gradient, whose GEMMs sum over a gradient chunk's few tiles: a 64→128-channel 7×7
    /// layer's backward pass at batch 16 took 33 % longer with it on Winograd than on im2col, a 192→384 one on 13×13
    /// ran faster. Tests lower it.
    /// </summary>
    internal static int WinogradWeightGradientMinChannels = 128;

    /// <summary>Tiles a Winograd GEMM aims for (samples are blocked to reach it).</summary>
    private const int WinogradBlockTiles = 384;

    /// <summary>
    /// Smallest channel count (per group, in and out) for F(2×2, 5×5), whose 36 products per tile replace 100
    /// multiplies (torchvision's conv2 has 64 → 192, the paper's 48 → 128 per group), forward and backward. Tests lower it.
    /// </summary>
    internal static int Winograd5MinChannels = 32;

    /// <summary>
    /// Whether the input gradient runs on Winograd: a Winograd shape (<see cref="UsesWinogradForward"/>) and a batch of at
    /// least <see cref="WinogradMinBatch"/> (its weight transform is paid per call).
    /// </summary>
    internal static bool UsesWinograd(in Geometry g, int batch) => batch >= WinogradMinBatch && WinogradShape(g, WinogradMinChannels);

    /// <summary>
    /// Whether the forward pass runs on Winograd, at any batch: 3×3 (or 5×5) kernels, stride 1, padding below the kernel
    /// size, wide enough channels, AVX2 gathers and panels of whole 8-float vectors.
    /// </summary>
    internal static bool UsesWinogradForward(in Geometry g) => WinogradShape(g, WinogradMinChannels);

    /// <summary>As <see cref="UsesWinograd(in Geometry, int)"/> for the weight gradient (its own 3×3 channel threshold).</summary>
    internal static bool UsesWinogradWeightGradient(in Geometry g, int batch) =>
        batch >= WinogradMinBatch && WinogradShape(g, WinogradWeightGradientMinChannels);

    private static bool WinogradShape(in Geometry g, int minChannels3)
    {
        if (!WinogradEnabled || !Avx2.IsSupported || Gemm.PanelWidth % 8 != 0) return false;
        int k = g.KernelHeight;
        int channels = k == 3 ? minChannels3 : k == 5 ? Winograd5MinChannels : int.MaxValue;
        return g.KernelWidth == k && g.StrideHeight == 1 && g.StrideWidth == 1 && g.PadTop < k && g.PadLeft < k
            && g.InPerGroup >= channels && g.OutPerGroup >= channels;
    }

    /// <summary>The convolution whose output is the input gradient of <paramref name="g"/> (square kernel, stride 1).</summary>
    internal static Geometry InputGradientGeometry(in Geometry g) => new(g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels,
        g.InHeight, g.InWidth, g.KernelHeight, g.KernelWidth, 1, 1, g.KernelHeight - 1 - g.PadTop, g.KernelWidth - 1 - g.PadLeft,
        g.Groups, hasBias: false);

    /// <summary>
    /// Output tile size m of the Winograd forward pass of <paramref name="g"/> (a layer's, or the input-gradient
    /// convolution's) over <paramref name="batchPerLane"/> samples a lane: 4 (F(4×4, 3×3), F(4×4, 5×5)) when its GEMMs
    /// run fewer multiply-adds per sample than on 2×2 tiles, counting the columns that pad a block's tiles to whole
    /// panels, else 2. For 3×3 over whole blocks that is 36 per 4×4 tile against 16 per 2×2 tile (1.36× fewer on 13×13
    /// and 14×14 maps, 1.78× on 7×7); one 13×13 sample has 16 tiles of 4×4, which fill half a 32-column panel, against
    /// 49 of 2×2 in two: 36·32 against 16·64, so batch 1 takes F(2×2, 3×3). For 5×5, 64 per 4×4 tile against 36 per
    /// 2×2 (a 27×27 sample: 64·64 against 36·224). The weight gradient's plan keeps 2.
    /// </summary>
    internal static int ForwardTile(in Geometry g, int batchPerLane)
    {
        if (g.KernelHeight is not (3 or 5) || Winograd4x4 == false) return 2;
        if (Winograd4x4 == true) return 4;
        WinogradPlan f4 = new(g, batchPerLane, 4), f2 = new(g, batchPerLane, 2);
        long columns4 = Gemm.PackedBWidth(f4.Block * f4.TilesPerSample), columns2 = Gemm.PackedBWidth(f2.Block * f2.TilesPerSample);
        return (long)f4.Elements * columns4 * f2.Block < (long)f2.Elements * columns2 * f4.Block ? 4 : 2;
    }

    /// <summary>Test switch: null chooses (<see cref="ForwardTile"/>); false keeps every layer on 2×2 output tiles
    /// (F(2×2, 3×3), F(2×2, 5×5)), true puts every one on 4×4 (F(4×4, 3×3), F(4×4, 5×5)).</summary>
    internal static bool? Winograd4x4;

    /// <summary>
    /// Test switch: null pairs the 6×6 input transform's channels (two per Vector512, Conv2d.Winograd6.cs) where Vector512 is
    /// in hardware; true or false forces it on (in software Vector512 on other machines) or off. The values are the same bits.
    /// </summary>
    internal static bool? PairedInputTransforms;

    /// <summary>Sizes of one Winograd plan: tiles per sample, samples per GEMM block, per-lane buffers.</summary>
    internal readonly struct WinogradPlan
    {
        public readonly int TilesHigh, TilesWide, TilesPerSample, Block, TransformedTiles, Transformed, Products, Weights;

        /// <summary>Kernel size r (3 or 5), output tile size m (2 or 4), the m + r − 1 wide input patch and transformed
        /// tile (4, 6 or 8) and its element count (16, 36 or 64).</summary>
        public readonly int Kernel, Tile, Patch, Elements;

        public WinogradPlan(in Geometry g, int batchPerLane, int tile = 2)
        {
            Kernel = g.KernelHeight;
            Tile = tile;
            Patch = tile + Kernel - 1;
            Elements = Patch * Patch;
            TilesHigh = (g.OutHeight + tile - 1) / tile;
            TilesWide = (g.OutWidth + tile - 1) / tile;
            TilesPerSample = TilesHigh * TilesWide;
            long byMemory = (4L << 20) / Math.Max(1L, (long)Elements * Math.Max(g.InPerGroup, g.OutPerGroup) * TilesPerSample);
            int byTiles = (WinogradBlockTiles + TilesPerSample - 1) / TilesPerSample;
            Block = (int)Math.Max(1, Math.Min(Math.Min(byTiles, 16), Math.Min(byMemory, Math.Max(1, batchPerLane))));
            int tiles = Block * TilesPerSample;
            TransformedTiles = checked(Elements * TransformedPlane(g, tiles));
            // The input transform's padded copy of the block's input follows the transformed tiles.
            Transformed = checked(TransformedTiles + PaddedPatchesSize(g, this, Block));
            // + 8: the output transform's last loads overhang a row; then its tile rows (TileRows).
            Products = checked(Elements * g.OutPerGroup * tiles + 8 + TileRowsSize(tiles, tile));
            Weights = checked(Elements * g.Groups * TransformedWeightPlane(g));
        }
    }

    /// <summary>
    /// Floats from one transformed weight matrix U_ξ to the next: Cout/g × Cin/g and one cache line more. The weight
    /// transforms store to all 16 or 36 of them in turn, and at power-of-two channel counts unpadded planes are a
    /// multiple of 4 KB apart, so every store fell in the same L1 set (F(4×4, 3×3)'s transform took 14 % of a 64 →
    /// 128-channel 7×7 layer's forward and backward time).
    /// </summary>
    internal static int TransformedWeightPlane(in Geometry g) => checked(g.OutPerGroup * g.InPerGroup + 16);

    /// <summary>
    /// Floats from one packed V_ξ to the next: the packed Cin/g × tiles and one cache line more. Packed panels are whole
    /// multiples of 32 floats, so at channel counts like 384 the 16 or 36 planes the input transform stores to in turn were
    /// multiples of 4 KB apart, all in one L1 set (the transform had taken 12 % of a 384 → 256-channel 13×13 layer's
    /// batch-1 time, as long as a third of its GEMMs).
    /// </summary>
    private static int TransformedPlane(in Geometry g, int tiles) => checked(Gemm.PackedBSize(g.InPerGroup, tiles) + 16);

    /// <summary>
    /// U_ξ[k, c] = (G·w_kc·Gᵀ)[ξ] for every group, laid out [group][ξ][Cout/g][Cin/g], each ξ's matrix
    /// <see cref="TransformedWeightPlane"/> floats from the next (A operands of the 16 or 36 GEMMs); <paramref name="tile"/>:
    /// the plan's output tile size (4 for F(4×4, 3×3)).
    /// <paramref name="flipped"/>: the weights of the input-gradient convolution (w'[c, k] = w[k, c] rotated 180°).
    /// Split over output channels on all threads (each element is computed the same way on any thread).
    /// </summary>
    internal static unsafe void TransformWeights(in Geometry g, int tile, float* w, float* u, bool flipped)
    {
        int rows = g.Groups * g.OutPerGroup;
        int lanes = Math.Min(StaticParallel.ThreadCount, rows);
        var body = new WeightTransformBody { G = g, W = w, U = u, Flipped = flipped, Rows = rows, Lanes = lanes, Tile = tile };
        // Both threads from 64 K transformed floats (4,096 channel pairs on 4×4 tiles, 1,821 on 6×6: a 32 → 64-channel
        // layer's F(4×4, 3×3) transform had run on one thread while the other waited).
        int elements = (tile + g.KernelHeight - 1) * (tile + g.KernelHeight - 1);
        if (lanes > 1 && (long)rows * g.InPerGroup * elements >= 65536) StaticParallel.For(lanes, lanes, body);
        else { body.Lanes = 1; body.Run(0, 1); }
    }

    private unsafe struct WeightTransformBody : IParallelBody
    {
        public Geometry G;
        public float* W, U;
        public bool Flipped;
        public int Rows, Lanes, Tile;

        public void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                var (r0, r1) = StaticParallel.Partition(Rows, Lanes, lane);
                for (int r = r0; r < r1; r++)
                {
                    if (G.KernelHeight == 5) TransformWeightRow5(G, W, U, Flipped, r / G.OutPerGroup, r % G.OutPerGroup, Tile == 4 ? G45 : G5);
                    else if (Tile == 4) TransformWeightRow43(G, W, U, Flipped, r / G.OutPerGroup, r % G.OutPerGroup);
                    else TransformWeightRow(G, W, U, Flipped, r / G.OutPerGroup, r % G.OutPerGroup);
                }
            }
        }
    }

    /// <summary>
    /// Where the weight transforms read and write one output channel k of one group of the transformed layer: tap e of
    /// its input channel c at First[c·Step + e] of the original weights [Cout][Cin/g][r][r] (w[c, k] if flipped), and
    /// U_ξ[k, c] at Row[ξ·Plane + c].
    /// </summary>
    private readonly unsafe struct WeightRow
    {
        public readonly float* First, Row;
        public readonly int Step, Columns;
        public readonly nint Plane;

        public WeightRow(in Geometry g, float* w, float* u, bool flipped, int group, int k, int elements)
        {
            int taps = g.KernelHeight * g.KernelWidth;
            // Of the original layer: outG output channels, inG inputs per group.
            int outG = flipped ? g.InPerGroup : g.OutPerGroup, inG = flipped ? g.OutPerGroup : g.InPerGroup;
            float* wg = w + (nint)group * outG * inG * taps;
            First = flipped ? wg + (nint)k * taps : wg + (nint)k * inG * taps;
            Step = flipped ? inG * taps : taps;
            Columns = g.InPerGroup;
            Plane = TransformedWeightPlane(g);
            Row = u + (nint)group * elements * Plane + (nint)k * Columns;
        }
    }

    /// <summary>U_ξ[k, c] for one output channel k of one group and every c: 8 channels at a time with gathers.</summary>
    [SkipLocalsInit]
    private static unsafe void TransformWeightRow(in Geometry g, float* w, float* u, bool flipped, int group, int k)
    {
        var source = new WeightRow(g, w, u, flipped, group, k, 16);
        float* first = source.First, uk = source.Row;
        int step = source.Step, columns = source.Columns;
        nint plane = source.Plane;
        int c = 0;
        if (Avx2.IsSupported)
        {
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * step;
            Vector256<float>* t = stackalloc Vector256<float>[12];
            Vector256<float> half = Vector256.Create(0.5f);
            for (; c + 8 <= columns; c += 8)
            {
                float* base0 = first + (nint)c * step;
                for (int j = 0; j < 3; j++)
                {
                    Vector256<float> w0 = Avx2.GatherVector256(base0 + TapOffset(0, j, flipped), lanes, 4);
                    Vector256<float> w1 = Avx2.GatherVector256(base0 + TapOffset(1, j, flipped), lanes, 4);
                    Vector256<float> w2 = Avx2.GatherVector256(base0 + TapOffset(2, j, flipped), lanes, 4);
                    t[j] = w0;
                    t[3 + j] = half * (w0 + w1 + w2);
                    t[6 + j] = half * (w0 - w1 + w2);
                    t[9 + j] = w2;
                }
                for (int r = 0; r < 4; r++)
                {
                    Vector256<float> a = t[r * 3], b = t[r * 3 + 1], d = t[r * 3 + 2];
                    Vector256.Store(a, uk + (r * 4) * plane + c);
                    Vector256.Store(half * (a + b + d), uk + (r * 4 + 1) * plane + c);
                    Vector256.Store(half * (a - b + d), uk + (r * 4 + 2) * plane + c);
                    Vector256.Store(d, uk + (r * 4 + 3) * plane + c);
                }
            }
        }
        float* ts = stackalloc float[12];
        for (; c < columns; c++)
        {
            float* src = first + (nint)c * step;
            for (int j = 0; j < 3; j++)
            {
                float w0 = src[TapOffset(0, j, flipped)], w1 = src[TapOffset(1, j, flipped)], w2 = src[TapOffset(2, j, flipped)];
                ts[j] = w0;
                ts[3 + j] = 0.5f * (w0 + w1 + w2);
                ts[6 + j] = 0.5f * (w0 - w1 + w2);
                ts[9 + j] = w2;
            }
            for (int r = 0; r < 4; r++)
            {
                float a = ts[r * 3], b = ts[r * 3 + 1], d = ts[r * 3 + 2];
                uk[(r * 4) * plane + c] = a;
                uk[(r * 4 + 1) * plane + c] = 0.5f * (a + b + d);
                uk[(r * 4 + 2) * plane + c] = 0.5f * (a - b + d);
                uk[(r * 4 + 3) * plane + c] = d;
            }
        }
    }

    /// <summary>Offset of tap (i, j) of the transformed layer's 3×3 kernel in the original weights (rotated if flipped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TapOffset(int i, int j, bool flipped) => flipped ? (2 - i) * 3 + (2 - j) : i * 3 + j;

    /// <summary>
    /// y = conv(x) + bias for <paramref name="count"/> samples of one group on the calling thread: x and y point at the
    /// group's first channel of the first sample (samples g.InputSize / g.OutputSize floats apart), packedU at the group's
    /// 16 (6×6 tiles: 36) transformed weight matrices packed whole (<see cref="PackTransformedWeights"/>), or with
    /// <paramref name="packA"/> (<see cref="Gemm.PackASize"/> floats) at the group's first plane of <see cref="TransformWeights"/>,
    /// packed by the GEMMs as they go. <paramref name="v"/> and <paramref name="m"/> hold the plan's Transformed and
    /// Products floats; the products are laid out [k][ξ][tile].
    /// </summary>
    internal static unsafe void WinogradBlock(in Geometry g, in WinogradPlan plan, float* x, int count, float* packedU, float* bias,
        float* y, float* v, float* m, float* packA = null)
    {
        int tiles = count * plan.TilesPerSample;
        TransformBlockInput(g, plan, x, tiles, v, 0, g.InPerGroup);
        BlockProducts(g, plan, tiles, packedU, v, m, 0, plan.Elements, packA);
        TransformBlockOutput(g, plan, m, tiles, bias, y, 0, g.OutPerGroup, TileRows(g, plan, m, tiles));
    }

    /// <summary>V of input channels [<paramref name="c0"/>, <paramref name="c1"/>) of a block's tiles, in the GEMMs' packed
    /// layout at <paramref name="v"/> (its padded copy after the plan's TransformedTiles).</summary>
    private static unsafe void TransformBlockInput(in Geometry g, in WinogradPlan plan, float* x, int tiles, float* v, int c0, int c1) =>
        TransformInput(g, plan, x, tiles, v, TransformedPlane(g, tiles), v + plan.TransformedTiles, WeightOperand.None, c0, c1);

    /// <summary>M_ξ = U_ξ · V_ξ for ξ in [<paramref name="xi0"/>, <paramref name="xi1"/>) on the calling thread, the U_ξ packed
    /// whole (<see cref="PackTransformedWeights"/>, <paramref name="packedU"/>: the group's first), or planes packed per GEMM
    /// into <paramref name="packA"/>.</summary>
    private static unsafe void BlockProducts(in Geometry g, in WinogradPlan plan, int tiles, float* packedU, float* v, float* m, int xi0, int xi1,
        float* packA = null)
    {
        int inG = g.InPerGroup, outG = g.OutPerGroup, vSize = TransformedPlane(g, tiles);
        int uSize = packA == null ? PackedWeightPlane(g) : TransformedWeightPlane(g);
        for (int xi = xi0; xi < xi1; xi++)
        {
            float* u = packedU + (nint)xi * uSize, vx = v + (nint)xi * vSize, mx = m + (nint)xi * tiles;
            if (packA == null) Gemm.MultiplyPacked(outG, tiles, inG, u, vx, mx, plan.Elements * tiles, false);
            else Gemm.MultiplyPrepacked(outG, tiles, inG, u, inG, vx, mx, plan.Elements * tiles, false, packA, 1);
        }
    }

    /// <summary>Output channels [<paramref name="k0"/>, <paramref name="k1"/>) of a block from its products, through
    /// <paramref name="rows"/> (<see cref="TileRowsSize"/> floats of scratch).</summary>
    private static unsafe void TransformBlockOutput(in Geometry g, in WinogradPlan plan, float* m, int tiles, float* bias, float* y,
        int k0, int k1, float* rows)
    {
        float* mk = m + (nint)k0 * plan.Elements * tiles, yk = y + (nint)k0 * g.Pixels, bk = bias == null ? null : bias + k0;
        if (plan.Patch == 8) TransformOutput4x4<Rows8>(g, plan, mk, tiles, bk, yk, k1 - k0, rows);
        else if (plan.Kernel == 5) TransformOutput5(g, plan, mk, tiles, bk, yk, k1 - k0, rows);
        else if (plan.Tile == 4) TransformOutput4x4<Rows6>(g, plan, mk, tiles, bk, yk, k1 - k0, rows);
        else TransformOutput(g, plan, mk, tiles, bk, yk, k1 - k0, rows);
    }

    /// <summary>
    /// V_ξ[c, t] = (Bᵀ·d·B)[ξ] of tile t's 4×4 (F(4×4, 3×3) and 5×5 kernels: 6×6) input patch in channel c, into the packed layout
    /// (planes <paramref name="vSize"/> floats apart), or into the weight gradient's <paramref name="operand"/> layout.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void TransformInput(in Geometry g, in WinogradPlan plan, float* x, int tiles, float* v, int vSize,
        float* padded, WeightOperand operand = WeightOperand.None, int c0 = 0, int c1 = -1)
    {
        if (c1 < 0) c1 = g.InPerGroup;
        // Sized for the 8×8 patches of F(4×4, 5×5); the 4×4 and 6×6 ones use the first 16 or 36 entries.
        int* patch = stackalloc int[64];
        int* lanes = stackalloc int[16];
        Vector256<int>* index = stackalloc Vector256<int>[64];
        Vector256<float>* mask = stackalloc Vector256<float>[64];
        Vector256<float>* scratch = stackalloc Vector256<float>[72]; // 36 Vector512 for the paired 6×6 transform, 64 for the 8×8 one
        var input = PatchOperands.Prepare(g, plan, plan.Patch, x, tiles, padded, patch, index, mask, lanes, c0, c1);
        int channels = g.InPerGroup;
        switch (operand)
        {
            case WeightOperand.Plain:
                TransformInput(plan, input, new PlainDestination(v, vSize, TileStride(tiles)), TileOrder.ChannelsOuter, scratch, tiles, channels, c0, c1);
                break;
            case WeightOperand.Transposed:
                float* blocks = stackalloc float[plan.Elements * TransposedDestination.ScratchPerElement];
                TransformInput(plan, input, new TransposedDestination(v, blocks, plan.Elements, channels, tiles), TileOrder.ChannelPanels,
                    scratch, tiles, channels, c0, c1);
                break;
            default:
                TransformInput(plan, input, new PackedDestination(v, vSize, channels, tiles), TileOrder.Panels, scratch, tiles, channels, c0, c1);
                break;
        }
    }

    private static unsafe void TransformInput<TOut>(in WinogradPlan plan, in PatchOperands input, TOut output, TileOrder order,
        Vector256<float>* scratch, int tiles, int channels, int c0, int c1) where TOut : struct, ITransformDestination
    {
        if (plan.Patch == 8)
        {
            var body = new InputTransform8x8<TOut> { In = input, Out = output, Scratch = scratch };
            ForEachTileGroup(plan, tiles, channels, order, ref body, c0, c1);
        }
        else if (plan.Patch == 6)
        {
            var body = new InputTransform6x6<TOut> { In = input, Out = output, Scratch = scratch };
            ForEachTileGroup(plan, tiles, channels, order, ref body, c0, c1);
        }
        else
        {
            var body = new InputTransform4x4<TOut> { In = input, Out = output, Col = scratch };
            ForEachTileGroup(plan, tiles, channels, order, ref body, c0, c1);
        }
    }

    private unsafe struct InputTransform4x4<TOut> : ITileTransform where TOut : struct, ITransformDestination
    {
        public PatchOperands In;
        public TOut Out;
        public Vector256<float>* Col;

        public readonly void PrepareGathers(int t0) => In.PrepareGathers(t0);

        public readonly bool Pairs => false;

        public readonly void RunPair(in PatchSource source, int c, int t0)
        {
            Run(source, c, t0);
            Run(source, c + 1, t0);
        }

        /// <summary>V of tiles t0..t0+7 of input channel c.</summary>
        // Not inlined: ForEachTileGroup calls it from five loops, and inlined into all of them its body ran out of the JIT's
        // inlining budget (the loads, the transform and the destination became calls).
        [MethodImpl(MethodImplOptions.NoInlining)]
        public readonly void Run(in PatchSource source, int c, int t0)
        {
            float* dst = Out.At(c, t0);
            if (source.Gathers) RunGathered(source, c, dst);
            else if (source.Halves) Transform(source.HalvesInChannel(In.ChannelCopy(c)), In.Patch, dst, Out.Plane);
            else if (source.Split) Transform(source.SplitInChannel(In.ChannelCopy(c)), In.Patch, dst, Out.Plane);
            else Transform(source.InChannel(In.ChannelCopy(c)), In.Patch, dst, Out.Plane);
            Out.Complete(c, t0);
        }

        /// <summary>
        /// V of 8 tiles: the columns of d through Bᵀ, rows (d0 − d2, d1 + d2, d2 − d1, d1 − d3), then the rows of that
        /// through B, all in registers. Column j starts at patch element j, each next element a patch row (element 4) on.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Transform<TLoad>(TLoad load, int* patch, float* dst, nint vSize) where TLoad : struct, IPatchLoad
        {
            nint step = patch[4];
            var (c00, c10, c20, c30) = Column(load, patch[0], step);
            var (c01, c11, c21, c31) = Column(load, patch[1], step);
            var (c02, c12, c22, c32) = Column(load, patch[2], step);
            var (c03, c13, c23, c33) = Column(load, patch[3], step);
            Row(c00, c01, c02, c03, dst, vSize);
            Row(c10, c11, c12, c13, dst + 4 * vSize, vSize);
            Row(c20, c21, c22, c23, dst + 8 * vSize, vSize);
            Row(c30, c31, c32, c33, dst + 12 * vSize, vSize);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Column<TLoad>(TLoad load, nint first, nint step)
            where TLoad : struct, IPatchLoad
        {
            Vector256<float> d0 = load.At(first), d1 = load.At(first + step), d2 = load.At(first + 2 * step), d3 = load.At(first + 3 * step);
            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, float* o, nint stride)
        {
            Vector256.Store(a0 - a2, o);
            Vector256.Store(a1 + a2, o + stride);
            Vector256.Store(a2 - a1, o + 2 * stride);
            Vector256.Store(a1 - a3, o + 3 * stride);
        }

        /// <summary>The same from gathers (maps under 4 tiles wide), through <see cref="Col"/>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private readonly void RunGathered(in PatchSource source, int c, float* dst)
        {
            float* xc = In.Channel(c), pc = In.ChannelCopy(c);
            Vector256<float>* col = Col;
            nint vSize = Out.Plane;
            for (int j = 0; j < 4; j++)
            {
                Vector256<float> d0 = In.Fetch(source, xc, pc, j);
                Vector256<float> d1 = In.Fetch(source, xc, pc, 4 + j);
                Vector256<float> d2 = In.Fetch(source, xc, pc, 8 + j);
                Vector256<float> d3 = In.Fetch(source, xc, pc, 12 + j);
                col[j] = d0 - d2;
                col[4 + j] = d1 + d2;
                col[8 + j] = d2 - d1;
                col[12 + j] = d1 - d3;
            }
            for (int i = 0; i < 4; i++) Row(col[4 * i], col[4 * i + 1], col[4 * i + 2], col[4 * i + 3], dst + (4 * i) * vSize, vSize);
        }
    }

    /// <summary>
    /// For tiles t0..t0+7 and each element (i, j) of their size×size input patches: the gather offsets from a channel's
    /// origin (index[i·size + j]) and which lanes read inside the image (mask; the others, and tiles past the end, read 0).
    /// </summary>
    private static unsafe void PatchGather(in Geometry g, in WinogradPlan plan, int t0, int tiles, int size, Vector256<int>* index,
        Vector256<float>* mask, int* offsets, int* inside)
    {
        for (int e = 0; e < size * size; e++)
        {
            int i = e / size, j = e % size;
            for (int lane = 0; lane < 8; lane++)
            {
                int t = t0 + lane, s = t / plan.TilesPerSample, r = t - s * plan.TilesPerSample;
                int ih = plan.Tile * (r / plan.TilesWide) - g.PadTop + i, iw = plan.Tile * (r % plan.TilesWide) - g.PadLeft + j;
                bool ok = t < tiles && (uint)ih < (uint)g.InHeight && (uint)iw < (uint)g.InWidth;
                offsets[lane] = ok ? s * g.InputSize + ih * g.InWidth + iw : 0;
                inside[lane] = ok ? -1 : 0;
            }
            index[e] = Vector256.Load(offsets);
            mask[e] = Vector256.Load(inside).AsSingle();
        }
    }

    /// <summary>y[k, 2th + a, 2tw + b] = (Aᵀ·M·A)[a, b] + bias[k] for every tile and the first <paramref name="channels"/>
    /// output channels at m, bias and y, through the tile <paramref name="rows"/>.</summary>
    [SkipLocalsInit]
    private static unsafe void TransformOutput(in Geometry g, in WinogradPlan plan, float* m, int tiles, float* bias, float* y,
        int channels, float* rows)
    {
        int plane = tiles;
        // Channel by channel: the GEMMs store M as [k][ξ][tile] (their rows Elements·tiles floats apart), so one channel's
        // products are one contiguous run (as 16 or 36 planes [ξ][k][tile] they were as many streams out of L3, more
        // than the prefetchers follow).
        for (int k = 0; k < channels; k++)
        {
            Vector256<float> b = Vector256.Create(bias == null ? 0f : bias[k]);
            float* yk = y + (nint)k * g.Pixels;
            var prefetch = new ProductPrefetch(m, k, channels, 16, tiles);
            for (int t0 = 0; t0 < tiles; t0 += 8)
            {
                prefetch.Group(t0);
                float* mk = m + (nint)k * 16 * tiles + t0;
                // Columns of M through Aᵀ = [1 1 1 0; 0 1 −1 −1], then the two rows through A.
                Vector256<float> u00 = default, u01 = default, u02 = default, u03 = default;
                Vector256<float> u10 = default, u11 = default, u12 = default, u13 = default;
                for (int j = 0; j < 4; j++)
                {
                    Vector256<float> m0 = Vector256.Load(mk + (nint)j * plane), m1 = Vector256.Load(mk + (nint)(4 + j) * plane);
                    Vector256<float> m2 = Vector256.Load(mk + (nint)(8 + j) * plane), m3 = Vector256.Load(mk + (nint)(12 + j) * plane);
                    Vector256<float> top = m0 + m1 + m2, bottom = m1 - m2 - m3;
                    switch (j)
                    {
                        case 0: u00 = top; u10 = bottom; break;
                        case 1: u01 = top; u11 = bottom; break;
                        case 2: u02 = top; u12 = bottom; break;
                        default: u03 = top; u13 = bottom; break;
                    }
                }
                StoreTileRows(rows, tiles, t0, u00 + u01 + u02 + b, u01 - u02 - u03 + b, u10 + u11 + u12 + b, u11 - u12 - u13 + b);
            }
            CopyTileRows(g, plan, rows, tiles, yk);
        }
    }

    /// <summary>
    /// Software prefetches for an output transform reading channel k's products (Elements rows of <c>tiles</c> floats, one
    /// contiguous block of M). At batch 1 the GEMMs that wrote half of them ran on the other core, whose lines reach this
    /// one a few hundred ns each, and the transform's 8-tile steps across the Elements rows are more streams than the
    /// hardware prefetchers follow: while a channel is transformed, the next channel's block (when it fits in a third of
    /// L1: 16 KB) is prefetched, spread evenly over its 8-tile groups. torchvision's conv2 (F(4×4, 5×5)) output step at
    /// batch 1 took 110–125 µs without, 72–87 with; conv4's (F(2×2, 3×3)) 30–49 and 25–35. Larger blocks (whole samples
    /// per lane) are read <see cref="AheadTiles"/> tiles ahead in each of the Elements rows, every other 8-tile group (a
    /// line holds two): torchvision's conv2 forward at batch 64 34.5 → 28.2 ms, conv3 23.8 → 21.0, the paper's conv2
    /// ~50 → 38.5; its 384 → 256 and 256 → 256 layers unchanged.
    /// </summary>
    private readonly unsafe struct ProductPrefetch
    {
        private readonly float* _next, _rows;
        private readonly int _lines, _perGroup, _elements, _tiles;

        public ProductPrefetch(float* m, int k, int channels, int elements, int tiles)
        {
            int lines = (elements * tiles + 15) / 16;
            bool small = lines <= 256;
            _next = m + (nint)(k + 1) * elements * tiles;
            _lines = small && k + 1 < channels ? lines : 0;
            int groups = (tiles + 7) / 8;
            _perGroup = (lines + groups - 1) / groups;
            _rows = m + (nint)k * elements * tiles;
            _elements = small ? 0 : elements;
            _tiles = tiles;
        }

        /// <summary>How far ahead large blocks are prefetched (32 and 64 measured alike, 16 less well).</summary>
        private const int AheadTiles = 32;

        /// <summary>Prefetches what the 8-tile group at t0 is followed by: the next channel's share, or this channel's rows ahead.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Group(int t0)
        {
            int l0 = t0 / 8 * _perGroup, l1 = Math.Min(_lines, l0 + _perGroup);
            for (int l = l0; l < l1; l++) Sse.Prefetch0(_next + 16 * l);
            if (_elements > 0 && (t0 & 8) == 0 && t0 + AheadTiles < _tiles)
            {
                float* at = _rows + t0 + AheadTiles;
                for (int r = 0; r < _elements; r++) Sse.Prefetch0(at + (nint)r * _tiles);
            }
        }
    }

    // The output transforms produce each tile's m×m outputs as m² vectors of 8 tiles. Scattering them pair by pair into
    // the map took 32 scalar stores per 8 tiles of 2×2 (18 % of a 5×5 layer's forward time). Instead one channel's
    // outputs go first to tile rows, rows[a·L + m·t + b] = output (m·th + a, m·tw + b) of tile t (L = m·tiles rounded
    // up to 8m), where 8 tiles are 8m consecutive floats of each row a whatever their position in the map, then each
    // output row is one copy out of them.

    /// <summary>Floats of the tile rows of <paramref name="tiles"/> tiles of m×m outputs.</summary>
    private static int TileRowsSize(int tiles, int m) => m * TileRowLength(tiles, m);

    private static int TileRowLength(int tiles, int m = 2) => (tiles + 7) / 8 * 8 * m;

    /// <summary>The tile rows, kept after the products in <paramref name="m"/> (the plan reserves room for them).</summary>
    private static unsafe float* TileRows(in Geometry g, in WinogradPlan plan, float* m, int tiles) =>
        m + (nint)plan.Elements * g.OutPerGroup * tiles + 8;

    /// <summary>Tiles t0..t0+7's outputs (a, b) = yab into the tile rows: each row's (y·0, y·1) pairs interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreTileRows(float* rows, int tiles, int t0, Vector256<float> y00, Vector256<float> y01,
        Vector256<float> y10, Vector256<float> y11)
    {
        float* top = rows + 2 * t0, bottom = top + TileRowLength(tiles);
        // Unpack pairs within 128-bit lanes, then put the lanes in order: a0 b0 a1 b1 … a7 b7.
        Vector256<float> lo = Avx.UnpackLow(y00, y01), hi = Avx.UnpackHigh(y00, y01);
        Vector256.Store(Avx.Permute2x128(lo, hi, 0x20), top);
        Vector256.Store(Avx.Permute2x128(lo, hi, 0x31), top + 8);
        lo = Avx.UnpackLow(y10, y11);
        hi = Avx.UnpackHigh(y10, y11);
        Vector256.Store(Avx.Permute2x128(lo, hi, 0x20), bottom);
        Vector256.Store(Avx.Permute2x128(lo, hi, 0x31), bottom + 8);
    }

    /// <summary>One channel's tile rows into its maps (yk: the channel in the block's first sample), through a fused ReLU if any.</summary>
    private static unsafe void CopyTileRows(in Geometry g, in WinogradPlan plan, float* rows, int tiles, float* yk)
    {
        int m = plan.Tile, length = TileRowLength(tiles, m), samples = tiles / plan.TilesPerSample;
        // By tile row and row within it (oh / m and oh % m by the run-time m were two divisions per output row).
        for (int s = 0; s < samples; s++)
            for (int th = 0, oh = 0; th < plan.TilesHigh; th++)
                for (int a = 0; a < m && oh < g.OutHeight; a++, oh++)
                {
                    float* src = rows + a * length + m * (s * plan.TilesPerSample + th * plan.TilesWide);
                    if (g.Relu) CopyRunRelu(src, yk + (nint)s * g.OutputSize + (nint)oh * g.OutWidth, g.OutWidth);
                    else CopyRun(src, yk + (nint)s * g.OutputSize + (nint)oh * g.OutWidth, g.OutWidth);
                }
    }
}
