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

    /// <summary>o = Bᵀ·a for six vectors a[0], a[stride], … (one column or row of a 6×6 tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputTransform6(Vector256<float>* a, int stride, Vector256<float>* o, int outStride)
    {
        Vector256<float> a0 = a[0], a1 = a[stride], a2 = a[2 * stride], a3 = a[3 * stride], a4 = a[4 * stride], a5 = a[5 * stride];
        Vector256<float> four = Vector256.Create(4f), five = Vector256.Create(5f), two = Vector256.Create(2f);
        o[0] = four * a0 - five * a2 + a4;
        o[outStride] = (a3 + a4) - four * (a1 + a2);
        o[2 * outStride] = (a4 - a3) + four * (a1 - a2);
        o[3 * outStride] = (a4 - a2) + two * (a3 - a1);
        o[4 * outStride] = (a4 - a2) - two * (a3 - a1);
        o[5 * outStride] = four * a1 - five * a3 + a5;
    }

    private unsafe struct InputTransform5 : ITileTransform
    {
        public PatchOperands In;
        public TransformDestination Out;
        /// <summary>The patch, its columns through Bᵀ and the result: 36 vectors each.</summary>
        public Vector256<float>* Scratch;

        public readonly void PrepareGathers(int t0) => In.PrepareGathers(t0);

        /// <summary>V of tiles t0..t0+7 of input channel c.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run(in PatchSource source, int c, int t0)
        {
            float* xc = In.Channel(c), pc = In.ChannelCopy(c), dst = Out.At(c, t0);
            Vector256<float>* d = Scratch, columns = Scratch + 36, result = Scratch + 72;
            for (int e = 0; e < 36; e++) d[e] = In.Fetch(source, xc, pc, e);
            // Bᵀ on each column (elements 6 apart), then B on each row of that.
            for (int j = 0; j < 6; j++) InputTransform6(d + j, 6, columns + j, 6);
            for (int i = 0; i < 6; i++) InputTransform6(columns + 6 * i, 1, result + 6 * i, 1);
            for (int e = 0; e < 36; e++) Vector256.Store(result[e], dst + (nint)e * Out.VSize);
        }
    }

    /// <summary>y[k, 2th + a, 2tw + b] = (Aᵀ·M·A)[a, b] + bias[k] over 6×6 tile products.</summary>
    [SkipLocalsInit]
    private static unsafe void TransformOutput5(in Geometry g, in WinogradPlan plan, float* m, int tiles, float* bias, float* y)
    {
        int outG = g.OutPerGroup, plane = outG * tiles;
        float* rows = TileRows(g, plan, m, tiles);
        Vector256<float>* top = stackalloc Vector256<float>[6];
        Vector256<float>* bottom = stackalloc Vector256<float>[6];
        Vector256<float> two = Vector256.Create(2f);
        // Channel by channel, so the 36 product planes are read as 36 sequential streams.
        for (int k = 0; k < outG; k++)
        {
            Vector256<float> b = Vector256.Create(bias == null ? 0f : bias[k]);
            float* yk = y + (nint)k * g.Pixels;
            for (int t0 = 0; t0 < tiles; t0 += 8)
            {
                float* mk = m + (nint)k * tiles + t0;
                // Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1] down each column, then along the two rows.
                for (int j = 0; j < 6; j++)
                {
                    Vector256<float> m0 = Vector256.Load(mk + (nint)j * plane), m1 = Vector256.Load(mk + (nint)(6 + j) * plane);
                    Vector256<float> m2 = Vector256.Load(mk + (nint)(12 + j) * plane), m3 = Vector256.Load(mk + (nint)(18 + j) * plane);
                    Vector256<float> m4 = Vector256.Load(mk + (nint)(24 + j) * plane), m5 = Vector256.Load(mk + (nint)(30 + j) * plane);
                    top[j] = m0 + m1 + m2 + m3 + m4;
                    bottom[j] = (m1 - m2) + two * (m3 - m4) + m5;
                }
                StoreTileRows(rows, tiles, t0, top[0] + top[1] + top[2] + top[3] + top[4] + b,
                    (top[1] - top[2]) + two * (top[3] - top[4]) + top[5] + b,
                    bottom[0] + bottom[1] + bottom[2] + bottom[3] + bottom[4] + b,
                    (bottom[1] - bottom[2]) + two * (bottom[3] - bottom[4]) + bottom[5] + b);
            }
            CopyTileRows(g, plan, rows, tiles, yk);
        }
    }
}
