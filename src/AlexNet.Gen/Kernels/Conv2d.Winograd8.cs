using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // F(4×4, 5×5): 8×8 transformed tiles on the interpolation points 0, ±1, ±2, ±1/2 and ∞ (those of F(6×6, 3×3)), 64
    // products per 4×4 tile instead of 400 multiplies, against F(2×2, 5×5)'s 36 per 2×2 tile: 1.8× fewer over whole
    // tiles, and a 27×27 map has 49 tiles of 4×4 (one 64-column GEMM panel pair) against 196 of 2×2. The matrices are
    // Toom-Cook's (as wincnn derives them), Bᵀ's rows scaled to integers and G's divided to match, so the float
    // transforms multiply by small integers and all fractions sit in G, which runs in double and rounds once:
    //   Bᵀ = [−4 0 21 0 −21 0 4 0; 0 4 4 −17 −17 4 4 0; 0 −4 4 17 −17 −4 4 0; 0 2 1 −10 −5 8 4 0;
    //         0 −2 1 10 −5 −8 4 0; 0 4 8 −5 −10 1 2 0; 0 −4 8 5 −10 −1 2 0; 0 −4 0 21 0 −21 0 4]
    //   Aᵀ = [1 1 1 1 1 1 1 0; 0 1 −1 2 −2 1/2 −1/2 0; 0 1 1 4 4 1/4 1/4 0; 0 1 −1 8 −8 1/8 −1/8 1]
    // On 64 input channels of a 27×27 map the outputs differ from the exact ones by about 1.5× F(2×2, 5×5)'s error
    // (a C model of both in float against double: rms 3.0e-6 against 2.0e-6 at outputs of rms 1–4); the tests check
    // them against the double reference like every other path.

    /// <summary>G of F(4×4, 5×5) (8×5, row-major), matching the scaled Bᵀ above.</summary>
    private static readonly double[] G45 =
    {
        -1.0 / 4, 0, 0, 0, 0,
        -1.0 / 18, -1.0 / 18, -1.0 / 18, -1.0 / 18, -1.0 / 18,
        -1.0 / 18, 1.0 / 18, -1.0 / 18, 1.0 / 18, -1.0 / 18,
        1.0 / 360, 1.0 / 180, 1.0 / 90, 1.0 / 45, 2.0 / 45,
        1.0 / 360, -1.0 / 180, 1.0 / 90, -1.0 / 45, 2.0 / 45,
        16.0 / 45, 8.0 / 45, 4.0 / 45, 2.0 / 45, 1.0 / 45,
        16.0 / 45, -8.0 / 45, 4.0 / 45, -2.0 / 45, 1.0 / 45,
        0, 0, 0, 0, 1.0 / 4,
    };

    /// <summary>(Bᵀ·a)[q] for eight vectors a0..a7 (one column or row of an 8×8 tile), stored at o + q·stride: the rows
    /// of Bᵀ in pairs that share their even and odd parts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputTransform8(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7, float* o, nint stride)
    {
        Vector256<float> four = Vector256.Create(4f), two = Vector256.Create(2f), five = Vector256.Create(5f);
        Vector256<float> ten = Vector256.Create(10f), seventeen = Vector256.Create(17f), twentyOne = Vector256.Create(21f);
        Vector256.Store(four * (a6 - a0) + twentyOne * (a2 - a4), o);
        Vector256<float> even = four * (a2 + a6) - seventeen * a4, odd = four * (a1 + a5) - seventeen * a3;
        Vector256.Store(even + odd, o + stride);
        Vector256.Store(even - odd, o + 2 * stride);
        even = (a2 - five * a4) + four * a6;
        odd = two * a1 - ten * a3 + Vector256.Create(8f) * a5;
        Vector256.Store(even + odd, o + 3 * stride);
        Vector256.Store(even - odd, o + 4 * stride);
        even = Vector256.Create(8f) * a2 - ten * a4 + two * a6;
        odd = (four * a1 - five * a3) + a5;
        Vector256.Store(even + odd, o + 5 * stride);
        Vector256.Store(even - odd, o + 6 * stride);
        Vector256.Store(four * (a7 - a1) + twentyOne * (a3 - a5), o + 7 * stride);
    }

    /// <summary>The F(4×4, 5×5) input transform: V of 8 tiles of one channel per call, as <see cref="InputTransform6x6{TOut}"/>
    /// (columns of the patch through Bᵀ into 64 vectors of scratch, then its rows through B into V), one channel a pass.</summary>
    private unsafe struct InputTransform8x8<TOut> : ITileTransform where TOut : struct, ITransformDestination
    {
        public PatchOperands In;
        public TOut Out;
        /// <summary>The patch's columns through Bᵀ: 64 vectors.</summary>
        public Vector256<float>* Scratch;

        public readonly void PrepareGathers(int t0) => In.PrepareGathers(t0);

        // Not two channels per Vector512 as the 6×6 transform: measured, that was slower at batch 1 (torchvision conv2's
        // input step 63–72 → 95–96 µs by minimum) and within 3 % at batch 64.
        public readonly bool Pairs => false;

        public readonly void RunPair(in PatchSource source, int c, int t0)
        {
            Run(source, c, t0);
            Run(source, c + 1, t0);
        }

        /// <summary>V of tiles t0..t0+7 of input channel c.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // as InputTransform6x6.Run
        public readonly void Run(in PatchSource source, int c, int t0)
        {
            float* dst = Out.At(c, t0);
            if (source.Gathers) RunGathered(source, c, dst);
            else if (source.Split) Transform(source.SplitInChannel(In.ChannelCopy(c)), dst);
            else Transform(source.InChannel(In.ChannelCopy(c)), dst);
            Out.Complete(c, t0);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Transform<TLoad>(TLoad load, float* dst) where TLoad : struct, IPatchLoad
        {
            float* columns = (float*)Scratch;
            // Column j's first element is patch element j, and each next one a patch row (element 8) further.
            int* patch = In.Patch;
            nint step = patch[8];
            for (int j = 0; j < 8; j++)
            {
                nint first = patch[j];
                InputTransform8(load.At(first), load.At(first + step), load.At(first + 2 * step), load.At(first + 3 * step),
                    load.At(first + 4 * step), load.At(first + 5 * step), load.At(first + 6 * step), load.At(first + 7 * step),
                    columns + 8 * j, 64);
            }
            RowsToDestination(columns, dst, Out.Plane);
        }

        /// <summary>The row pass from the columns in scratch: row i's eight vectors through Bᵀ into elements 8i..8i+7.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void RowsToDestination(float* columns, float* dst, nint vSize)
        {
            for (int i = 0; i < 8; i++)
            {
                float* row = columns + 64 * i;
                InputTransform8(Vector256.Load(row), Vector256.Load(row + 8), Vector256.Load(row + 16), Vector256.Load(row + 24),
                    Vector256.Load(row + 32), Vector256.Load(row + 40), Vector256.Load(row + 48), Vector256.Load(row + 56),
                    dst + 8 * i * vSize, vSize);
            }
        }

        /// <summary>The same from gathers (maps under 4 tiles wide).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private readonly void RunGathered(in PatchSource source, int c, float* dst)
        {
            float* xc = In.Channel(c), pc = In.ChannelCopy(c);
            float* columns = (float*)Scratch;
            for (int j = 0; j < 8; j++)
                InputTransform8(In.Fetch(source, xc, pc, j), In.Fetch(source, xc, pc, 8 + j), In.Fetch(source, xc, pc, 16 + j),
                    In.Fetch(source, xc, pc, 24 + j), In.Fetch(source, xc, pc, 32 + j), In.Fetch(source, xc, pc, 40 + j),
                    In.Fetch(source, xc, pc, 48 + j), In.Fetch(source, xc, pc, 56 + j), columns + 8 * j, 64);
            RowsToDestination(columns, dst, Out.Plane);
        }
    }

    /// <summary>F(4×4, 5×5)'s Aᵀ (<see cref="OutputTransform8"/>) for <see cref="TransformOutput4x4{TRows}"/>.</summary>
    private readonly unsafe struct Rows8 : IOutputRows4
    {
        public static int Size => 8;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void FromProducts(float* mi, nint plane, Vector256<float>* o) =>
            OutputTransform8(Vector256.Load(mi), Vector256.Load(mi + plane), Vector256.Load(mi + 2 * plane), Vector256.Load(mi + 3 * plane),
                Vector256.Load(mi + 4 * plane), Vector256.Load(mi + 5 * plane), Vector256.Load(mi + 6 * plane), Vector256.Load(mi + 7 * plane), o);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void FromHalf(Vector256<float>* h, Vector256<float>* o) =>
            OutputTransform8(h[0], h[4], h[8], h[12], h[16], h[20], h[24], h[28], o);
    }

    /// <summary>Aᵀ·a for eight vectors (F(4×4, 5×5)): with s = a1 + a2, d = a1 − a2 (and the same of a3, a4 and a5, a6),
    /// o[0..3] = (a0 + s12 + s34 + s56, d12 + 2·d34 + d56/2, s12 + 4·s34 + s56/4, d12 + 8·d34 + d56/8 + a7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputTransform8(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7, Vector256<float>* o)
    {
        Vector256<float> s12 = a1 + a2, d12 = a1 - a2, s34 = a3 + a4, d34 = a3 - a4, s56 = a5 + a6, d56 = a5 - a6;
        o[0] = a0 + s12 + s34 + s56;
        o[1] = d12 + Vector256.Create(2f) * d34 + Vector256.Create(0.5f) * d56;
        o[2] = s12 + Vector256.Create(4f) * s34 + Vector256.Create(0.25f) * s56;
        o[3] = d12 + Vector256.Create(8f) * d34 + Vector256.Create(0.125f) * d56 + a7;
    }
}
