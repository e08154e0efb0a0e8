using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // The weight gradient of a Winograd layer, as the adjoint of its forward pass. Forward, per output tile t:
    //   Y_kt = Aᵀ·M_kt·A,  M_kt = Σ_c U_kc ⊙ V_ct,  U_kc = G·w_kc·Gᵀ,  V_ct = Bᵀ·d_ct·B.
    // Backward: dM_kt = A·dY_kt·Aᵀ (a 2×2 output-gradient tile spread over the 4×4 or 6×6 tile; outputs past the map
    // have no gradient), dU_kc = Σ_t dM_kt ⊙ V_ct, and dw_kc = Gᵀ·dU_kc·G. The sum over tiles is one GEMM per tile
    // element ξ: dU_ξ [Cout/g × Cin/g] = dM_ξ [Cout/g × tiles] · V_ξᵀ [tiles × Cin/g] (or its transpose, see
    // OutputGradientAsB), summed over the sample blocks of a gradient chunk; the chunks' sums are added in chunk order
    // and turned into dw once (WeightsFromWinogradSums). That takes 16 (36) multiplies per tile and channel pair where
    // im2col takes 36 (100).
    //
    // Both operands are transforms of 8 tiles per vector of one channel. The GEMM's A is read from plain rows (its
    // pack interleaves them); its B, with tiles as the K rows, is written by the transform straight into the packed
    // layout (TransposedDestination), which saves that operand's round trip through L3 and its transposing
    // pack. B is the operand with more channels.

    /// <summary>Rows (tiles) of the weight gradient's operands: whole 8-tile groups, the GEMMs' depth (the tiles past the
    /// end are zero in both operands, so they add nothing).</summary>
    private static int TileStride(int tiles) => TransposedDestination.Rows(tiles);

    /// <summary>
    /// Whether dM is the GEMM's packed B (dU_ξᵀ [Cin/g × Cout/g] = V_ξ · dM_ξᵀ, sums laid out [ξ][Cin/g][Cout/g]) rather
    /// than V (dU_ξ = dM_ξ · V_ξᵀ, [ξ][Cout/g][Cin/g]): when it has more channels. Either way each sum adds the same
    /// products in the same tile order.
    /// </summary>
    private static bool OutputGradientAsB(in Geometry g) => g.OutPerGroup > g.InPerGroup;

    /// <summary>How a transform lays out its result: the forward GEMMs' packed B (None), or one of the weight gradient's
    /// two operands.</summary>
    private enum WeightOperand { None, Plain, Transposed }

    /// <summary>Floats of one element plane of a weight-gradient operand of <paramref name="channels"/> channels (the
    /// transposed layout's, which is at least the plain one's).</summary>
    private static int OperandPlane(int tiles, int channels) => TransposedDestination.PlaneSize(tiles, channels);

    /// <summary>Floats of the weight gradient's transformed input and transformed output gradients (per lane) and of its
    /// dU sums (per gradient chunk).</summary>
    internal readonly struct WeightGradientSizes
    {
        public readonly int Input, OutputGradient, Sums, MaxTiles;

        public WeightGradientSizes(in Geometry g, in WinogradPlan plan)
        {
            MaxTiles = plan.Block * plan.TilesPerSample;
            Input = checked(plan.Elements * OperandPlane(MaxTiles, g.InPerGroup) + PaddedPatchesSize(g, plan, plan.Block));
            OutputGradient = checked(plan.Elements * OperandPlane(MaxTiles, g.OutPerGroup) + PaddedPatchesSize(OutputMap(g), plan, plan.Block));
            Sums = checked(plan.Elements * g.OutChannels * g.InPerGroup);
        }
    }

    /// <summary>
    /// dU_ξ (+)= dM_ξ · V_ξᵀ for <paramref name="count"/> samples of one group: x and dy point at the group's first
    /// channel of the first sample, <paramref name="sums"/> at the group's dU (layout: <see cref="OutputGradientAsB"/>).
    /// </summary>
    internal static unsafe void WinogradWeightBlock(in Geometry g, in WinogradPlan plan, float* x, float* dy, int count,
        float* sums, bool accumulate, float* v, float* dm, float* packA, int gemmLanes)
    {
        int tiles = count * plan.TilesPerSample, stride = TileStride(tiles), inG = g.InPerGroup, outG = g.OutPerGroup;
        int maxTiles = plan.Block * plan.TilesPerSample;
        bool dmAsB = OutputGradientAsB(g);
        int vPlane = dmAsB ? inG * stride : OperandPlane(tiles, inG), mPlane = dmAsB ? OperandPlane(tiles, outG) : outG * stride;
        // The padded copies of the input and of dY follow the largest block's transformed tiles (WeightGradientSizes).
        TransformInput(g, plan, x, tiles, v, vPlane, v + (nint)plan.Elements * OperandPlane(maxTiles, inG),
            dmAsB ? WeightOperand.Plain : WeightOperand.Transposed);
        TransformOutputGradient(g, plan, dy, tiles, dm, mPlane, dm + (nint)plan.Elements * OperandPlane(maxTiles, outG),
            dmAsB ? WeightOperand.Transposed : WeightOperand.Plain);
        for (int xi = 0; xi < plan.Elements; xi++)
        {
            float* vx = v + (nint)xi * vPlane, mx = dm + (nint)xi * mPlane, dU = sums + (nint)xi * outG * inG;
            if (dmAsB) Gemm.MultiplyPrepacked(inG, outG, stride, vx, stride, mx, dU, outG, accumulate, packA, gemmLanes);
            else Gemm.MultiplyPrepacked(outG, inG, stride, mx, stride, vx, dU, inG, accumulate, packA, gemmLanes);
        }
    }

    /// <summary>The output map read as an unpadded input of the group's output channels (1×1 "kernel"): the geometry
    /// under which the input-patch machinery finds each tile's 2×2 outputs.</summary>
    private static Geometry OutputMap(in Geometry g) =>
        new(g.OutChannels, g.OutHeight, g.OutWidth, g.OutChannels, g.OutHeight, g.OutWidth, 1, 1, 1, 1, 0, 0, g.Groups, false);

    /// <summary>
    /// dM_ξ[k, t] = (A·dY_kt·Aᵀ)[ξ] into <paramref name="operand"/>'s layout (element planes <paramref name="plane"/>
    /// floats apart); tiles past the end are zero. A = [1 0; 1 1; 1 −1; 0 −1] (3×3) or [1 0; 1 1; 1 −1; 1 2; 1 −2; 0 1]
    /// (5×5). The 2×2 outputs of 8 tiles come from a zero-padded, even/odd-split copy of dY in <paramref name="padded"/>,
    /// as the input transforms' patches do (Conv2d.WinogradPatches.cs); maps under 4 tiles wide gather them.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void TransformOutputGradient(in Geometry g, in WinogradPlan plan, float* dy, int tiles, float* dm, int plane,
        float* padded, WeightOperand operand)
    {
        int* patch = stackalloc int[4];
        int* lanes = stackalloc int[16];
        Vector256<int>* index = stackalloc Vector256<int>[4];
        Vector256<float>* mask = stackalloc Vector256<float>[4];
        Vector256<float>* rows = stackalloc Vector256<float>[12];
        var input = PatchOperands.Prepare(OutputMap(g), plan, 2, dy, tiles, padded, patch, index, mask, lanes);
        if (operand == WeightOperand.Transposed)
        {
            float* blocks = stackalloc float[36 * TransposedDestination.ScratchPerElement];
            var body = new OutputGradientTransform<TransposedDestination>
            {
                In = input, Out = new TransposedDestination(dm, blocks, plan.Elements, g.OutPerGroup, tiles), Rows = rows,
            };
            ForEachTileGroup(plan, tiles, g.OutPerGroup, TileOrder.ChannelPanels, ref body);
        }
        else
        {
            var body = new OutputGradientTransform<PlainDestination> { In = input, Out = new PlainDestination(dm, plane, TileStride(tiles)), Rows = rows };
            ForEachTileGroup(plan, tiles, g.OutPerGroup, TileOrder.ChannelsOuter, ref body);
        }
    }

    private unsafe struct OutputGradientTransform<TOut> : ITileTransform where TOut : struct, ITransformDestination
    {
        /// <summary>The 2×2 output tiles of dY, read as patches of the output map.</summary>
        public PatchOperands In;
        public TOut Out;
        /// <summary>A·dY: n rows of two vectors.</summary>
        public Vector256<float>* Rows;

        public readonly void PrepareGathers(int t0) => In.PrepareGathers(t0);

        public readonly bool Pairs => false;

        public readonly void RunPair(in PatchSource source, int c, int t0)
        {
            Run(source, c, t0);
            Run(source, c + 1, t0);
        }

        /// <summary>dM of tiles t0..t0+7 of output channel k.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run(in PatchSource source, int k, int t0)
        {
            int n = In.Plan.Kernel + 1;
            float* dyk = In.Channel(k), pk = In.ChannelCopy(k), dst = Out.At(k, t0);
            nint plane = Out.Plane;
            Vector256<float> y00 = In.Fetch(source, dyk, pk, 0);
            Vector256<float> y01 = In.Fetch(source, dyk, pk, 1);
            Vector256<float> y10 = In.Fetch(source, dyk, pk, 2);
            Vector256<float> y11 = In.Fetch(source, dyk, pk, 3);
            // A down the columns: rows[2i + b] = (A·dY)[i, b]; then along each row straight into dM: dM[i, j] = (row_i · Aᵀ)[j].
            float* rows = (float*)Rows;
            SpreadPair(y00, y10, rows, 16, n);
            SpreadPair(y01, y11, rows + 8, 16, n);
            for (int i = 0; i < n; i++)
                SpreadPair(Vector256.Load(rows + 16 * i), Vector256.Load(rows + 16 * i + 8), dst + i * n * plane, plane, n);
            Out.Complete(k, t0);
        }
    }

    /// <summary>o[i·oStride] = A[i, 0]·a + A[i, 1]·b for the n rows of A (n = 4 or 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SpreadPair(Vector256<float> a, Vector256<float> b, float* o, nint oStride, int n)
    {
        Vector256.Store(a, o);
        Vector256.Store(a + b, o + oStride);
        Vector256.Store(a - b, o + 2 * oStride);
        if (n == 4)
        {
            Vector256.Store(-b, o + 3 * oStride);
            return;
        }
        Vector256<float> twice = b + b;
        Vector256.Store(a + twice, o + 3 * oStride);
        Vector256.Store(a - twice, o + 4 * oStride);
        Vector256.Store(b, o + 5 * oStride);
    }

    /// <summary>Gᵀ of F(2×2, 3×3), [3 × 4] row-major (G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]).</summary>
    private static readonly double[] G3Transposed = { 1, 0.5, 0.5, 0, 0, 0.5, -0.5, 0, 0, 0.5, 0.5, 1 };

    /// <summary>Gᵀ of F(2×2, 5×5), [5 × 6] row-major (<see cref="G5"/> transposed).</summary>
    private static readonly double[] G5Transposed = Transpose(G5, 6, 5);

    private static double[] Transpose(double[] matrix, int rows, int columns)
    {
        var result = new double[matrix.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) result[j * rows + i] = matrix[i * columns + j];
        return result;
    }

    /// <summary>
    /// dw[k, c] = Gᵀ·dU_kc·G for every group and channel pair, dU being the sum of the <paramref name="chunks"/> chunks'
    /// sums (<paramref name="chunkStride"/> floats apart) in chunk order; on all threads, split over dU's rows. The
    /// transform is linear, so it runs once on the sum instead of once per chunk (it had taken a tenth of a 3×3
    /// layer's weight gradient).
    /// </summary>
    internal static unsafe void WeightsFromWinogradSums(in Geometry g, in WinogradPlan plan, float* sums, int chunks, int chunkStride, float* dw)
    {
        int rows = g.Groups * (OutputGradientAsB(g) ? g.InPerGroup : g.OutPerGroup);
        int lanes = Math.Min(StaticParallel.ThreadCount, rows);
        var body = new WinogradWeightsBody { G = g, Plan = plan, Sums = sums, Chunks = chunks, ChunkStride = chunkStride, Dw = dw, Rows = rows, Lanes = lanes };
        if (lanes > 1) StaticParallel.For(lanes, lanes, body);
        else body.Run(0, 1);
    }

    private unsafe struct WinogradWeightsBody : IParallelBody
    {
        public Geometry G;
        public WinogradPlan Plan;
        public float* Sums, Dw;
        public int Chunks, ChunkStride, Rows, Lanes;

        public void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                var (r0, r1) = StaticParallel.Partition(Rows, Lanes, lane);
                WeightsFromWinogradSumsRows(G, Plan, Sums, Chunks, ChunkStride, Dw, r0, r1);
            }
        }
    }

    /// <summary>
    /// <see cref="WeightsFromWinogradSums"/> for dU rows [<paramref name="row0"/>, <paramref name="row1"/>) of all groups
    /// (dU laid out [group][ξ][Cout/g][Cin/g], or [group][ξ][Cin/g][Cout/g] when dM was the GEMMs' B), in double, four
    /// pairs adjacent in dU at a time, rounded once. Chunk 0's sums receive the total.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void WeightsFromWinogradSumsRows(in Geometry g, in WinogradPlan plan, float* sums, int chunks, int chunkStride,
        float* dw, int row0, int row1)
    {
        bool transposed = OutputGradientAsB(g);
        int r = plan.Kernel, n = r + 1, rr = r * r, outG = g.OutPerGroup, inG = g.InPerGroup;
        int rows = transposed ? inG : outG, columns = transposed ? outG : inG;
        double[] gt = r == 5 ? G5Transposed : G3Transposed;
        nint plane = (nint)outG * inG;
        // dw floats from one column of dU to the next (the next input channel, or the next output channel's row).
        nint laneStride = transposed ? (nint)inG * rr : rr;
        Vector256<double>* d = stackalloc Vector256<double>[36];
        Vector256<double>* t = stackalloc Vector256<double>[30];
        double* result = stackalloc double[100];
        fixed (double* gtp = gt)
            for (int row = row0; row < row1; row++)
            {
                int group = row / rows, a = row % rows;
                float* src = sums + (nint)group * plan.Elements * plane + (nint)a * columns;
                float* dwg = dw + (nint)group * outG * inG * rr;
                for (int e = 0; e < n * n; e++)
                {
                    var total = new Span<float>(src + e * plane, columns);
                    for (int chunk = 1; chunk < chunks; chunk++)
                        TensorPrimitives.Add(total, new ReadOnlySpan<float>(src + e * plane + (nint)chunk * chunkStride, columns), total);
                }
                for (int b0 = 0; b0 < columns; b0 += 4)
                {
                    float* dst = dwg + (transposed ? ((nint)b0 * inG + a) * rr : ((nint)a * inG + b0) * rr);
                    int lanes = Math.Min(4, columns - b0);
                    if (r == 3 && lanes == 4)
                    {
                        WeightsFromSums3(src + b0, plane, dst, laneStride);
                        continue;
                    }
                    for (int e = 0; e < n * n; e++)
                    {
                        float* s = src + e * plane + b0;
                        d[e] = lanes == 4 ? Avx.ConvertToVector256Double(Vector128.Load(s))
                            : Vector256.Create(s[0], lanes > 1 ? s[1] : 0, lanes > 2 ? s[2] : 0, 0.0);
                    }
                    // t = Gᵀ·dU (r × n), then dw = t·G (r × r).
                    for (int p = 0; p < r; p++)
                        for (int j = 0; j < n; j++)
                        {
                            Vector256<double> sum = Vector256<double>.Zero;
                            for (int i = 0; i < n; i++) sum += Vector256.Create(gtp[p * n + i]) * d[i * n + j];
                            t[p * n + j] = sum;
                        }
                    for (int p = 0; p < r; p++)
                        for (int q = 0; q < r; q++)
                        {
                            Vector256<double> sum = Vector256<double>.Zero;
                            for (int j = 0; j < n; j++) sum += t[p * n + j] * Vector256.Create(gtp[q * n + j]);
                            Vector256.Store(sum, result + (p * r + q) * 4);
                        }
                    for (int lane = 0; lane < lanes; lane++)
                        for (int pq = 0; pq < rr; pq++) dst[lane * laneStride + pq] = (float)result[pq * 4 + lane];
                }
            }
    }

    /// <summary>
    /// dw = Gᵀ·dU·G of F(2×2, 3×3) for four channel pairs adjacent in dU (s: their dU_0 values, element planes
    /// <paramref name="plane"/> apart; dst: the first pair's 3×3 weights, the next pairs' <paramref name="laneStride"/>
    /// floats on each), written out with Gᵀ's constants: the same products and sums in the same order as the loops of
    /// <see cref="WeightsFromWinogradSums"/> (zero terms included, so the same bits), without their stack round trips,
    /// and the 4 pairs' results stored by a 4×4 transpose instead of 36 scalar stores. Those loops took 13 % of a
    /// 384-channel layer's backward pass at batch 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void WeightsFromSums3(float* s, nint plane, float* dst, nint laneStride)
    {
        // t = Gᵀ·dU (3 × 4), Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1], one column j at a time.
        var (t00, t10, t20) = SumsColumn3(s, plane);
        var (t01, t11, t21) = SumsColumn3(s + plane, plane);
        var (t02, t12, t22) = SumsColumn3(s + 2 * plane, plane);
        var (t03, t13, t23) = SumsColumn3(s + 3 * plane, plane);
        // dw[p, q] = Σ_j t[p, j]·Gᵀ[q, j].
        Vector128<float> w0 = Round(Dot4(1, 0.5, 0.5, 0, t00, t01, t02, t03)), w1 = Round(Dot4(0, 0.5, -0.5, 0, t00, t01, t02, t03));
        Vector128<float> w2 = Round(Dot4(0, 0.5, 0.5, 1, t00, t01, t02, t03)), w3 = Round(Dot4(1, 0.5, 0.5, 0, t10, t11, t12, t13));
        Vector128<float> w4 = Round(Dot4(0, 0.5, -0.5, 0, t10, t11, t12, t13)), w5 = Round(Dot4(0, 0.5, 0.5, 1, t10, t11, t12, t13));
        Vector128<float> w6 = Round(Dot4(1, 0.5, 0.5, 0, t20, t21, t22, t23)), w7 = Round(Dot4(0, 0.5, -0.5, 0, t20, t21, t22, t23));
        Vector128<float> w8 = Round(Dot4(0, 0.5, 0.5, 1, t20, t21, t22, t23));
        // Lane l of w_pq is pair l's weight (p, q): transpose 4×4 blocks so each pair's 9 weights are contiguous.
        StoreTransposed4x4(w0, w1, w2, w3, dst, laneStride);
        StoreTransposed4x4(w4, w5, w6, w7, dst + 4, laneStride);
        dst[8] = w8.GetElement(0);
        dst[8 + laneStride] = w8.GetElement(1);
        dst[8 + 2 * laneStride] = w8.GetElement(2);
        dst[8 + 3 * laneStride] = w8.GetElement(3);
    }

    /// <summary>Column j of Gᵀ·dU for 4 channels (sj: element (0, j); rows 4 planes apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<double>, Vector256<double>, Vector256<double>) SumsColumn3(float* sj, nint plane)
    {
        Vector256<double> d0 = Widen(sj), d1 = Widen(sj + 4 * plane), d2 = Widen(sj + 8 * plane), d3 = Widen(sj + 12 * plane);
        return (Dot4(1, 0.5, 0.5, 0, d0, d1, d2, d3), Dot4(0, 0.5, -0.5, 0, d0, d1, d2, d3), Dot4(0, 0.5, 0.5, 1, d0, d1, d2, d3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<double> Widen(float* p) => Avx.ConvertToVector256Double(Vector128.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Round(Vector256<double> v) => Avx.ConvertToVector128Single(v);

    /// <summary>((((0 + c0·a0) + c1·a1) + c2·a2) + c3·a3): the generic loop's accumulation, term by term.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Dot4(double c0, double c1, double c2, double c3, Vector256<double> a0, Vector256<double> a1,
        Vector256<double> a2, Vector256<double> a3)
    {
        Vector256<double> sum = Vector256<double>.Zero;
        sum += Vector256.Create(c0) * a0;
        sum += Vector256.Create(c1) * a1;
        sum += Vector256.Create(c2) * a2;
        sum += Vector256.Create(c3) * a3;
        return sum;
    }

    /// <summary>dst[l·stride + i] = r_i[l] for i, l in 0..4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreTransposed4x4(Vector128<float> r0, Vector128<float> r1, Vector128<float> r2, Vector128<float> r3,
        float* dst, nint stride)
    {
        Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1);
        Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
        Vector128.Store(Sse.MoveLowToHigh(t0, t2), dst);
        Vector128.Store(Sse.MoveHighToLow(t2, t0), dst + stride);
        Vector128.Store(Sse.MoveLowToHigh(t1, t3), dst + 2 * stride);
        Vector128.Store(Sse.MoveHighToLow(t3, t1), dst + 3 * stride);
    }
}
