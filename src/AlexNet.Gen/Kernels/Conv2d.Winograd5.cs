using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // Winograd F(2×2, 5×5): 6×6 input tiles, 36 GEMMs, interpolation points 0, ±1, ±2 and ∞ (the matrices of
    // wincnn / Lavin & Gray; the tests check them against the direct convolution):
    //   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
    //   G  = [1/4 0 0 0 0; −1/6 ×5; −1/6 1/6 −1/6 1/6 −1/6; 1/24 1/12 1/6 1/3 2/3; 1/24 −1/12 1/6 −1/3 2/3; 0 0 0 0 1]
    //   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1]

    private static readonly double[] G5 =
    {
        1.0 / 4, 0, 0, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3,
        1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3,
        0, 0, 0, 0, 1,
    };

    /// <summary>U_ξ[k, c] = (G·w_kc·Gᵀ)[ξ] (6×6) for one output channel k of one group, in double, rounded once.</summary>
    [SkipLocalsInit]
    private static unsafe void TransformWeightRow5(in Geometry g, float* w, float* u, bool flipped, int group, int k)
    {
        int outG = flipped ? g.InPerGroup : g.OutPerGroup, inG = flipped ? g.OutPerGroup : g.InPerGroup;
        int rows = g.OutPerGroup, columns = g.InPerGroup;
        float* wg = w + (nint)group * outG * inG * 25;
        float* uk = u + (nint)group * 36 * rows * columns + (nint)k * columns;
        nint plane = (nint)rows * columns;
        double* tap = stackalloc double[25];
        double* t = stackalloc double[30];
        int c = 0;
        if (Avx.IsSupported)
        {
            // Four channels at a time, the same double arithmetic per lane (multiplies and adds, in order) as below.
            Vector256<double>* vtap = stackalloc Vector256<double>[25];
            Vector256<double>* vt = stackalloc Vector256<double>[30];
            for (; c + 4 <= columns; c += 4)
            {
                for (int i = 0; i < 5; i++)
                    for (int j = 0; j < 5; j++)
                    {
                        int e = flipped ? (4 - i) * 5 + (4 - j) : i * 5 + j;
                        vtap[i * 5 + j] = Vector256.Create(Tap(wg, flipped, inG, k, c, e), Tap(wg, flipped, inG, k, c + 1, e),
                            Tap(wg, flipped, inG, k, c + 2, e), Tap(wg, flipped, inG, k, c + 3, e));
                    }
                for (int r = 0; r < 6; r++)
                    for (int j = 0; j < 5; j++)
                    {
                        Vector256<double> sum = Vector256<double>.Zero;
                        for (int i = 0; i < 5; i++) sum += Vector256.Create(G5[r * 5 + i]) * vtap[i * 5 + j];
                        vt[r * 5 + j] = sum;
                    }
                for (int r = 0; r < 6; r++)
                    for (int q = 0; q < 6; q++)
                    {
                        Vector256<double> sum = Vector256<double>.Zero;
                        for (int j = 0; j < 5; j++) sum += vt[r * 5 + j] * Vector256.Create(G5[q * 5 + j]);
                        Sse.Store(uk + (r * 6 + q) * plane + c, Avx.ConvertToVector128Single(sum));
                    }
            }
        }
        for (; c < columns; c++)
        {
            float* src = flipped ? wg + ((nint)c * inG + k) * 25 : wg + ((nint)k * inG + c) * 25;
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 5; j++)
                    tap[i * 5 + j] = flipped ? src[(4 - i) * 5 + (4 - j)] : src[i * 5 + j];
            // t = G·w (6×5), then U = t·Gᵀ (6×6).
            for (int r = 0; r < 6; r++)
                for (int j = 0; j < 5; j++)
                {
                    double sum = 0;
                    for (int i = 0; i < 5; i++) sum += G5[r * 5 + i] * tap[i * 5 + j];
                    t[r * 5 + j] = sum;
                }
            for (int r = 0; r < 6; r++)
                for (int q = 0; q < 6; q++)
                {
                    double sum = 0;
                    for (int j = 0; j < 5; j++) sum += t[r * 5 + j] * G5[q * 5 + j];
                    uk[(r * 6 + q) * plane + c] = (float)sum;
                }
        }
    }

    /// <summary>Weight element e (0..24) of the transformed layer's (k, c) pair, as a double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe double Tap(float* wg, bool flipped, int inG, int k, int c, int e) =>
        flipped ? wg[((nint)c * inG + k) * 25 + e] : wg[((nint)k * inG + c) * 25 + e];

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

    private unsafe struct InputTransform5<TOut> : ITileTransform where TOut : struct, ITransformDestination
    {
        public PatchOperands In;
        public TOut Out;
        /// <summary>The patch's columns through Bᵀ: 36 vectors.</summary>
        public Vector256<float>* Scratch;

        public readonly void PrepareGathers(int t0) => In.PrepareGathers(t0);

        /// <summary>V of tiles t0..t0+7 of input channel c.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run(in PatchSource source, int c, int t0)
        {
            float* xc = In.Channel(c), pc = In.ChannelCopy(c), dst = Out.At(c, t0);
            float* columns = (float*)Scratch;
            nint vSize = Out.Plane;
            // Bᵀ on each column straight from the patch (elements 6 apart), then B on each row of that straight into V:
            // only the 36 intermediate vectors pass through memory (the patch and the result each took a round trip
            // through scratch too, and the stores were the transform's bottleneck).
            for (int j = 0; j < 6; j++)
                InputTransform6(In.Fetch(source, xc, pc, j), In.Fetch(source, xc, pc, 6 + j), In.Fetch(source, xc, pc, 12 + j),
                    In.Fetch(source, xc, pc, 18 + j), In.Fetch(source, xc, pc, 24 + j), In.Fetch(source, xc, pc, 30 + j), columns + 8 * j, 48);
            for (int i = 0; i < 6; i++)
            {
                float* row = columns + 48 * i;
                InputTransform6(Vector256.Load(row), Vector256.Load(row + 8), Vector256.Load(row + 16), Vector256.Load(row + 24),
                    Vector256.Load(row + 32), Vector256.Load(row + 40), dst + 6 * i * vSize, vSize);
            }
            Out.Complete(c, t0);
        }
    }

    /// <summary>y[k, 2th + a, 2tw + b] = (Aᵀ·M·A)[a, b] + bias[k] over 6×6 tile products.</summary>
    [SkipLocalsInit]
    private static unsafe void TransformOutput5(in Geometry g, in WinogradPlan plan, float* m, int tiles, float* bias, float* y)
    {
        int outG = g.OutPerGroup;
        nint plane = (nint)outG * tiles;
        float* rows = TileRows(g, plan, m, tiles);
        // Channel by channel, so the 36 product planes are read as 36 sequential streams.
        for (int k = 0; k < outG; k++)
        {
            Vector256<float> b = Vector256.Create(bias == null ? 0f : bias[k]);
            float* yk = y + (nint)k * g.Pixels;
            for (int t0 = 0; t0 < tiles; t0 += 8)
            {
                float* mk = m + (nint)k * tiles + t0;
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
}
