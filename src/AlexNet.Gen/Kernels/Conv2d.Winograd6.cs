using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // The two Winograd algorithms with 6×6 transformed tiles, both on the interpolation points 0, ±1, ±2 and ∞ (the
    // matrices of wincnn / Lavin & Gray; the tests check them against the direct convolution), so they share Bᵀ:
    //   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
    // F(2×2, 5×5) (5×5 layers; 36 products per 2×2 tile instead of 100 multiplies):
    //   G  = [1/4 0 0 0 0; −1/6 ×5; −1/6 1/6 −1/6 1/6 −1/6; 1/24 1/12 1/6 1/3 2/3; 1/24 −1/12 1/6 −1/3 2/3; 0 0 0 0 1]
    //   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1]
    // F(4×4, 3×3) (3×3 layers, ForwardTile; 36 products per 4×4 tile instead of 144, F(2×2, 3×3) takes 64):
    //   G  = [1/4 0 0; −1/6 −1/6 −1/6; −1/6 1/6 −1/6; 1/24 1/12 1/6; 1/24 −1/12 1/6; 0 0 1]
    //   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
    // Its weight transform runs in float, 8 channels at a time (it is paid per call on every layer it serves; the
    // double one of the 5×5 layers took 8 % of a 32 → 64-channel 14×14 layer's forward pass).

    private static readonly double[] G5 =
    {
        1.0 / 4, 0, 0, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3,
        1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3,
        0, 0, 0, 0, 1,
    };

    /// <summary>U_ξ[k, c] = (G·w_kc·Gᵀ)[ξ] (α×α, <paramref name="gMatrix"/> α×5: <see cref="G5"/> or <see cref="G45"/>) for one output
    /// channel k of one group of a 5×5 layer, in double, rounded once.</summary>
    [SkipLocalsInit]
    private static unsafe void TransformWeightRow5(in Geometry g, float* w, float* u, bool flipped, int group, int k, double[] gMatrix)
    {
        int alpha = gMatrix.Length / 5;
        var source = new WeightRow(g, w, u, flipped, group, k, alpha * alpha);
        float* uk = source.Row;
        int columns = source.Columns;
        nint plane = source.Plane;
        double* tap = stackalloc double[25];
        double* t = stackalloc double[40];
        int c = 0;
        if (Avx.IsSupported)
        {
            // Four channels at a time, the same double arithmetic per lane (multiplies and adds, in order) as below.
            Vector256<double>* vtap = stackalloc Vector256<double>[25];
            Vector256<double>* vt = stackalloc Vector256<double>[40];
            for (; c + 4 <= columns; c += 4)
            {
                for (int i = 0; i < 5; i++)
                    for (int j = 0; j < 5; j++)
                    {
                        int e = flipped ? (4 - i) * 5 + (4 - j) : i * 5 + j;
                        float* at = source.First + (nint)c * source.Step + e;
                        vtap[i * 5 + j] = Vector256.Create(at[0], at[source.Step], at[2 * source.Step], at[3 * source.Step]);
                    }
                for (int r = 0; r < alpha; r++)
                    for (int j = 0; j < 5; j++)
                    {
                        Vector256<double> sum = Vector256<double>.Zero;
                        for (int i = 0; i < 5; i++) sum += Vector256.Create(gMatrix[r * 5 + i]) * vtap[i * 5 + j];
                        vt[r * 5 + j] = sum;
                    }
                for (int r = 0; r < alpha; r++)
                    for (int q = 0; q < alpha; q++)
                    {
                        Vector256<double> sum = Vector256<double>.Zero;
                        for (int j = 0; j < 5; j++) sum += vt[r * 5 + j] * Vector256.Create(gMatrix[q * 5 + j]);
                        Sse.Store(uk + (r * alpha + q) * plane + c, Avx.ConvertToVector128Single(sum));
                    }
            }
        }
        for (; c < columns; c++)
        {
            float* src = source.First + (nint)c * source.Step;
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 5; j++)
                    tap[i * 5 + j] = flipped ? src[(4 - i) * 5 + (4 - j)] : src[i * 5 + j];
            // t = G·w (α×5), then U = t·Gᵀ (α×α).
            for (int r = 0; r < alpha; r++)
                for (int j = 0; j < 5; j++)
                {
                    double sum = 0;
                    for (int i = 0; i < 5; i++) sum += gMatrix[r * 5 + i] * tap[i * 5 + j];
                    t[r * 5 + j] = sum;
                }
            for (int r = 0; r < alpha; r++)
                for (int q = 0; q < alpha; q++)
                {
                    double sum = 0;
                    for (int j = 0; j < 5; j++) sum += t[r * 5 + j] * gMatrix[q * 5 + j];
                    uk[(r * alpha + q) * plane + c] = (float)sum;
                }
        }
    }

    /// <summary>U_ξ[k, c] = (G·w_kc·Gᵀ)[ξ] (6×6, F(4×4, 3×3)) for one output channel k of one group and every c.</summary>
    [SkipLocalsInit]
    private static unsafe void TransformWeightRow43(in Geometry g, float* w, float* u, bool flipped, int group, int k)
    {
        var source = new WeightRow(g, w, u, flipped, group, k, 36);
        float* first = source.First, uk = source.Row;
        int step = source.Step, columns = source.Columns;
        nint plane = source.Plane;
        int c = 0;
        // t = G·w (6×3), by columns of w; then each row of t through G into the six planes of its row of U.
        Vector256<float>* t = stackalloc Vector256<float>[18], row = stackalloc Vector256<float>[6];
        if (Avx2.IsSupported)
        {
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * step;
            for (; c + 8 <= columns; c += 8)
            {
                float* base0 = first + (nint)c * step;
                for (int j = 0; j < 3; j++)
                    G43Times(Avx2.GatherVector256(base0 + TapOffset(0, j, flipped), lanes, 4),
                        Avx2.GatherVector256(base0 + TapOffset(1, j, flipped), lanes, 4),
                        Avx2.GatherVector256(base0 + TapOffset(2, j, flipped), lanes, 4), t + j, 3);
                for (int r = 0; r < 6; r++)
                {
                    G43Times(t[3 * r], t[3 * r + 1], t[3 * r + 2], row, 1);
                    for (int q = 0; q < 6; q++) Vector256.Store(row[q], uk + (r * 6 + q) * plane + c);
                }
            }
        }
        // The remaining channels one at a time in lane 0: the same operations, so the same bits.
        for (; c < columns; c++)
        {
            float* src = first + (nint)c * step;
            for (int j = 0; j < 3; j++)
                G43Times(Vector256.CreateScalar(src[TapOffset(0, j, flipped)]), Vector256.CreateScalar(src[TapOffset(1, j, flipped)]),
                    Vector256.CreateScalar(src[TapOffset(2, j, flipped)]), t + j, 3);
            for (int r = 0; r < 6; r++)
            {
                G43Times(t[3 * r], t[3 * r + 1], t[3 * r + 2], row, 1);
                for (int q = 0; q < 6; q++) uk[(r * 6 + q) * plane + c] = row[q].ToScalar();
            }
        }
    }

    /// <summary>o[q·stride] = (G·(w0, w1, w2))[q] for F(4×4, 3×3)'s G, 8 channels per vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void G43Times(Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float>* o, int stride)
    {
        Vector256<float> outer = w0 + w2, sixth = Vector256.Create(-1f / 6);
        Vector256<float> even = Vector256.Create(1f / 24) * w0 + Vector256.Create(1f / 6) * w2, odd = Vector256.Create(1f / 12) * w1;
        o[0] = Vector256.Create(0.25f) * w0;
        o[stride] = sixth * (outer + w1);
        o[2 * stride] = sixth * (outer - w1);
        o[3 * stride] = even + odd;
        o[4 * stride] = even - odd;
        o[5 * stride] = w2;
    }

    /// <summary>o[q·stride] = (Bᵀ·a)[q] for the six vectors a0..a5 (one column or row of a 6×6 tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputTransform6(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, float* o, nint stride)
    {
        Vector256<float> four = Vector256.Create(4f), five = Vector256.Create(5f), two = Vector256.Create(2f);
        Vector256.Store(four * a0 - five * a2 + a4, o);
        Vector256.Store((a3 + a4) - four * (a1 + a2), o + stride);
        Vector256.Store((a4 - a3) + four * (a1 - a2), o + 2 * stride);
        Vector256.Store((a4 - a2) + two * (a3 - a1), o + 3 * stride);
        Vector256.Store((a4 - a2) - two * (a3 - a1), o + 4 * stride);
        Vector256.Store(four * a1 - five * a3 + a5, o + 5 * stride);
    }

    private unsafe struct InputTransform6x6<TOut> : ITileTransform where TOut : struct, ITransformDestination
    {
        public PatchOperands In;
        public TOut Out;
        /// <summary>The patch's columns through Bᵀ: 36 vectors.</summary>
        public Vector256<float>* Scratch;

        public readonly void PrepareGathers(int t0) => In.PrepareGathers(t0);

        /// <summary>V of tiles t0..t0+7 of input channel c.</summary>
        // Not inlined: ForEachTileGroup calls it from five loops, and inlined into all of them its body ran out of the JIT's
        // inlining budget (the loads, the transform and the destination became calls).
        [MethodImpl(MethodImplOptions.NoInlining)]
        public readonly void Run(in PatchSource source, int c, int t0)
        {
            float* dst = Out.At(c, t0);
            if (source.Gathers) RunGathered(source, c, dst);
            else if (source.Split) Transform(source.SplitInChannel(In.ChannelCopy(c)), dst);
            else Transform(source.InChannel(In.ChannelCopy(c)), dst);
            Out.Complete(c, t0);
        }

        /// <summary>
        /// Bᵀ on each column straight from the patch, then B on each row of that straight into V: only the 36 intermediate
        /// vectors pass through memory (the patch and the result each took a round trip through scratch too, and the
        /// stores were the transform's bottleneck). The element offsets come from the patch table (computed from the tile
        /// size at run time they cost two divisions a column).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Transform<TLoad>(TLoad load, float* dst) where TLoad : struct, IPatchLoad
        {
            float* columns = (float*)Scratch;
            // Column j's first element is patch element j, and each next one a patch row (element 6) further.
            int* patch = In.Patch;
            nint vSize = Out.Plane, step = patch[6];
            for (int j = 0; j < 6; j++)
            {
                nint first = patch[j];
                InputTransform6(load.At(first), load.At(first + step), load.At(first + 2 * step), load.At(first + 3 * step),
                    load.At(first + 4 * step), load.At(first + 5 * step), columns + 8 * j, 48);
            }
            RowsToDestination(columns, dst, vSize);
        }

        /// <summary>The row pass of <see cref="Transform"/> from the columns in scratch.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void RowsToDestination(float* columns, float* dst, nint vSize)
        {
            for (int i = 0; i < 6; i++)
            {
                float* row = columns + 48 * i;
                InputTransform6(Vector256.Load(row), Vector256.Load(row + 8), Vector256.Load(row + 16), Vector256.Load(row + 24),
                    Vector256.Load(row + 32), Vector256.Load(row + 40), dst + 6 * i * vSize, vSize);
            }
        }

        /// <summary>The same from gathers (maps under 4 tiles wide).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private readonly void RunGathered(in PatchSource source, int c, float* dst)
        {
            float* xc = In.Channel(c), pc = In.ChannelCopy(c);
            float* columns = (float*)Scratch;
            for (int j = 0; j < 6; j++)
                InputTransform6(In.Fetch(source, xc, pc, j), In.Fetch(source, xc, pc, 6 + j), In.Fetch(source, xc, pc, 12 + j),
                    In.Fetch(source, xc, pc, 18 + j), In.Fetch(source, xc, pc, 24 + j), In.Fetch(source, xc, pc, 30 + j), columns + 8 * j, 48);
            RowsToDestination(columns, dst, Out.Plane);
        }

        /// <summary>
        /// With Vector512 in hardware, two channels per pass: channel c in the lower half of each vector, c + 1 in the
        /// upper, the same operations per lane as <see cref="Run"/> (so the same bits) at half the instructions. Only the
        /// packed destination's order calls it (its <see cref="ITransformDestination.Complete"/> does nothing).
        /// </summary>
        public readonly bool Pairs => PairedInputTransforms ?? Vector512.IsHardwareAccelerated;

        [MethodImpl(MethodImplOptions.NoInlining)] // as Run
        public readonly void RunPair(in PatchSource source, int c, int t0)
        {
            float* pc0 = In.ChannelCopy(c), pc1 = In.ChannelCopy(c + 1);
            float* dst0 = Out.At(c, t0), dst1 = Out.At(c + 1, t0);
            if (source.Split) TransformPair(source.SplitInChannel(pc0), source.SplitInChannel(pc1), dst0, dst1);
            else TransformPair(source.InChannel(pc0), source.InChannel(pc1), dst0, dst1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void TransformPair<TLoad>(TLoad load0, TLoad load1, float* dst0, float* dst1) where TLoad : struct, IPatchLoad
        {
            float* columns = (float*)Scratch;
            int* patch = In.Patch;
            nint vSize = Out.Plane, step = patch[6];
            for (int j = 0; j < 6; j++)
            {
                nint first = patch[j];
                InputTransform6(Pair(load0, load1, first), Pair(load0, load1, first + step), Pair(load0, load1, first + 2 * step),
                    Pair(load0, load1, first + 3 * step), Pair(load0, load1, first + 4 * step), Pair(load0, load1, first + 5 * step),
                    columns + 16 * j, 96);
            }
            for (int i = 0; i < 6; i++)
            {
                float* row = columns + 96 * i;
                InputTransform6(Vector512.Load(row), Vector512.Load(row + 16), Vector512.Load(row + 32), Vector512.Load(row + 48),
                    Vector512.Load(row + 64), Vector512.Load(row + 80), dst0 + 6 * i * vSize, dst1 + 6 * i * vSize, vSize);
            }
        }

        /// <summary>Patch element at <paramref name="offset"/> of the 8 tiles in channel c (lower half) and c + 1 (upper half).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Pair<TLoad>(TLoad load0, TLoad load1, nint offset) where TLoad : struct, IPatchLoad =>
            Vector512.Create(load0.At(offset), load1.At(offset));
    }

    /// <summary>Bᵀ·a for six vectors of two channels each: the operations of
    /// <see cref="InputTransform6(Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float}, float*, nint)"/>, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) InputTransform6(
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector512<float> a4, Vector512<float> a5)
    {
        Vector512<float> four = Vector512.Create(4f), five = Vector512.Create(5f), two = Vector512.Create(2f);
        return (four * a0 - five * a2 + a4, (a3 + a4) - four * (a1 + a2), (a4 - a3) + four * (a1 - a2),
            (a4 - a2) + two * (a3 - a1), (a4 - a2) - two * (a3 - a1), four * a1 - five * a3 + a5);
    }

    /// <summary>The same, each result stored whole at o + q·stride (the column pass's scratch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputTransform6(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, float* o, nint stride)
    {
        var (r0, r1, r2, r3, r4, r5) = InputTransform6(a0, a1, a2, a3, a4, a5);
        Vector512.Store(r0, o);
        Vector512.Store(r1, o + stride);
        Vector512.Store(r2, o + 2 * stride);
        Vector512.Store(r3, o + 3 * stride);
        Vector512.Store(r4, o + 4 * stride);
        Vector512.Store(r5, o + 5 * stride);
    }

    /// <summary>The same, each result's lower half (channel c) stored at lo + q·stride and upper half (c + 1) at hi + q·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputTransform6(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, float* lo, float* hi, nint stride)
    {
        var (r0, r1, r2, r3, r4, r5) = InputTransform6(a0, a1, a2, a3, a4, a5);
        StoreHalves(r0, lo, hi);
        StoreHalves(r1, lo + stride, hi + stride);
        StoreHalves(r2, lo + 2 * stride, hi + 2 * stride);
        StoreHalves(r3, lo + 3 * stride, hi + 3 * stride);
        StoreHalves(r4, lo + 4 * stride, hi + 4 * stride);
        StoreHalves(r5, lo + 5 * stride, hi + 5 * stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreHalves(Vector512<float> v, float* lo, float* hi)
    {
        Vector256.Store(v.GetLower(), lo);
        Vector256.Store(v.GetUpper(), hi);
    }

    /// <summary>y[k, 2th + a, 2tw + b] = (Aᵀ·M·A)[a, b] + bias[k] over 6×6 tile products (as <see cref="TransformOutput"/>).</summary>
    [SkipLocalsInit]
    private static unsafe void TransformOutput5(in Geometry g, in WinogradPlan plan, float* m, int tiles, float* bias, float* y,
        int channels, float* rows)
    {
        nint plane = tiles;
        // Channel by channel, each one contiguous run of its 36 product rows (see TransformOutput).
        for (int k = 0; k < channels; k++)
        {
            Vector256<float> b = Vector256.Create(bias == null ? 0f : bias[k]);
            float* yk = y + (nint)k * g.Pixels;
            var prefetch = new ProductPrefetch(m, k, channels, 36, tiles);
            for (int t0 = 0; t0 < tiles; t0 += 8)
            {
                prefetch.Group(t0);
                float* mk = m + (nint)k * 36 * tiles + t0;
                // Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1] down each column (kept in registers), then along the two rows.
                var (top0, bottom0) = OutputColumn5(mk, plane);
                var (top1, bottom1) = OutputColumn5(mk + plane, plane);
                var (top2, bottom2) = OutputColumn5(mk + 2 * plane, plane);
                var (top3, bottom3) = OutputColumn5(mk + 3 * plane, plane);
                var (top4, bottom4) = OutputColumn5(mk + 4 * plane, plane);
                var (top5, bottom5) = OutputColumn5(mk + 5 * plane, plane);
                var (y00, y01) = OutputTransform6(top0, top1, top2, top3, top4, top5);
                var (y10, y11) = OutputTransform6(bottom0, bottom1, bottom2, bottom3, bottom4, bottom5);
                StoreTileRows(rows, tiles, t0, y00 + b, y01 + b, y10 + b, y11 + b);
            }
            CopyTileRows(g, plan, rows, tiles, yk);
        }
    }

    /// <summary>Column j of Aᵀ·M for 8 tiles (mj: element (0, j); rows 6 planes apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<float> Top, Vector256<float> Bottom) OutputColumn5(float* mj, nint plane) =>
        OutputTransform6(Vector256.Load(mj), Vector256.Load(mj + 6 * plane), Vector256.Load(mj + 12 * plane),
            Vector256.Load(mj + 18 * plane), Vector256.Load(mj + 24 * plane), Vector256.Load(mj + 30 * plane));

    /// <summary>Aᵀ·a for six vectors: (a0 + a1 + a2 + a3 + a4, (a1 − a2) + 2·(a3 − a4) + a5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) OutputTransform6(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2,
        Vector256<float> a3, Vector256<float> a4, Vector256<float> a5) =>
        (a0 + a1 + a2 + a3 + a4, (a1 - a2) + Vector256.Create(2f) * (a3 - a4) + a5);

    /// <summary>
    /// y[k, 4th + a, 4tw + b] = (Aᵀ·M·A)[a, b] + bias[k] over n×n tile products to 4×4 outputs (F(4×4, 3×3): n = 6,
    /// <see cref="Rows6"/>; F(4×4, 5×5): n = 8, <see cref="Rows8"/>; as <see cref="TransformOutput"/>).
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void TransformOutput4x4<TRows>(in Geometry g, in WinogradPlan plan, float* m, int tiles, float* bias, float* y,
        int channels, float* rows) where TRows : struct, IOutputRows4
    {
        nint plane = tiles;
        int n = TRows.Size, elements = n * n, length = TileRowLength(tiles, 4);
        // Aᵀ along each of the n rows of M (4 × n vectors), kept on the stack: 24 or 32 vectors do not fit in registers.
        Vector256<float>* half = stackalloc Vector256<float>[32];
        Vector256<float>* column = stackalloc Vector256<float>[16];
        // Channel by channel, each one contiguous run of its n² product rows (see TransformOutput).
        for (int k = 0; k < channels; k++)
        {
            Vector256<float> b = Vector256.Create(bias == null ? 0f : bias[k]);
            float* yk = y + (nint)k * g.Pixels;
            var prefetch = new ProductPrefetch(m, k, channels, elements, tiles);
            for (int t0 = 0; t0 < tiles; t0 += 8)
            {
                prefetch.Group(t0);
                float* mk = m + (nint)k * elements * tiles + t0;
                for (int i = 0; i < n; i++) TRows.FromProducts(mk + n * i * plane, plane, half + 4 * i);
                // Then down each of the four columns, and each output row a (four vectors, one per column) to its tile row.
                for (int j = 0; j < 4; j++) TRows.FromHalf(half + j, column + 4 * j);
                for (int a = 0; a < 4; a++)
                    StoreTileRow4(rows + a * length + 4 * t0, column[a] + b, column[4 + a] + b, column[8 + a] + b, column[12 + a] + b);
            }
            CopyTileRows(g, plan, rows, tiles, yk);
        }
    }

    /// <summary>Aᵀ of an output transform to 4×4 tiles over n vectors: along a row of M, and down a column of its result.</summary>
    private unsafe interface IOutputRows4
    {
        /// <summary>n, the transformed tile's size.</summary>
        static abstract int Size { get; }

        /// <summary>o[0..3] = Aᵀ·(row[0], row[plane], …, row[(n − 1)·plane]) for 8 tiles.</summary>
        static abstract void FromProducts(float* row, nint plane, Vector256<float>* o);

        /// <summary>o[0..3] = Aᵀ·(half[0], half[4], …, half[4(n − 1)]): one column of the row pass's results.</summary>
        static abstract void FromHalf(Vector256<float>* half, Vector256<float>* o);
    }

    /// <summary>F(4×4, 3×3)'s Aᵀ (<see cref="OutputTransform4"/>).</summary>
    private readonly unsafe struct Rows6 : IOutputRows4
    {
        public static int Size => 6;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void FromProducts(float* mi, nint plane, Vector256<float>* o) =>
            OutputTransform4(Vector256.Load(mi), Vector256.Load(mi + plane), Vector256.Load(mi + 2 * plane),
                Vector256.Load(mi + 3 * plane), Vector256.Load(mi + 4 * plane), Vector256.Load(mi + 5 * plane), o);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void FromHalf(Vector256<float>* h, Vector256<float>* o) => OutputTransform4(h[0], h[4], h[8], h[12], h[16], h[20], o);
    }

    /// <summary>Aᵀ·a for six vectors (F(4×4, 3×3)): o[0..3] = (a0 + (a1 + a2) + (a3 + a4), (a1 − a2) + 2·(a3 − a4),
    /// (a1 + a2) + 4·(a3 + a4), (a1 − a2) + 8·(a3 − a4) + a5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputTransform4(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float>* o)
    {
        Vector256<float> sum12 = a1 + a2, difference12 = a1 - a2, sum34 = a3 + a4, difference34 = a3 - a4;
        o[0] = a0 + sum12 + sum34;
        o[1] = difference12 + Vector256.Create(2f) * difference34;
        o[2] = sum12 + Vector256.Create(4f) * sum34;
        o[3] = difference12 + Vector256.Create(8f) * difference34 + a5;
    }

    /// <summary>8 tiles' outputs (a, 0..3) = y0..y3 into tile row a at <paramref name="row"/>: each tile's four interleaved
    /// (a 4×8 transpose: pairs, then 64-bit pairs within 128-bit lanes, then the lanes in order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreTileRow4(float* row, Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3)
    {
        Vector256<float> lo01 = Avx.UnpackLow(y0, y1), hi01 = Avx.UnpackHigh(y0, y1); // t0 t1 | t4 t5 and t2 t3 | t6 t7, columns 0–1
        Vector256<float> lo23 = Avx.UnpackLow(y2, y3), hi23 = Avx.UnpackHigh(y2, y3); // the same, columns 2–3
        Vector256<float> t04 = Avx.UnpackLow(lo01.AsDouble(), lo23.AsDouble()).AsSingle(); // tile 0 | tile 4
        Vector256<float> t15 = Avx.UnpackHigh(lo01.AsDouble(), lo23.AsDouble()).AsSingle();
        Vector256<float> t26 = Avx.UnpackLow(hi01.AsDouble(), hi23.AsDouble()).AsSingle();
        Vector256<float> t37 = Avx.UnpackHigh(hi01.AsDouble(), hi23.AsDouble()).AsSingle();
        Vector256.Store(Avx.Permute2x128(t04, t15, 0x20), row);
        Vector256.Store(Avx.Permute2x128(t26, t37, 0x20), row + 8);
        Vector256.Store(Avx.Permute2x128(t04, t15, 0x31), row + 16);
        Vector256.Store(Avx.Permute2x128(t26, t37, 0x31), row + 24);
    }
}
