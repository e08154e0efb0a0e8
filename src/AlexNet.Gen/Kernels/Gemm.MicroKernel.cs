using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// A register-blocked micro-kernel: C[MR×NR] (+)= Ã·B̃ over kc steps, where Ã is an MR-row packed panel
/// (MR floats per k) and B̃ an NR-column packed panel (NR floats per k). Block sizes are per kernel so each
/// SIMD width gets BLIS-like cache blocking: MC·KC of Ã fits L2, KC·NR of B̃ fits L1, KC·NC of B̃ fits L3.
/// </summary>
internal interface IMicroKernel
{
    static abstract int MR { get; }
    static abstract int NR { get; }
    static abstract int MC { get; }
    static abstract int KC { get; }
    static abstract int NC { get; }

    /// <summary>
    /// Accumulators start at zero and run over k in order; then C = acc (add = false) or C = C + acc.
    /// Edge tiles go through the same code into a scratch tile, so every element of C sees the same
    /// arithmetic wherever its tile falls (this is what keeps results independent of the thread split).
    /// </summary>
    static abstract unsafe void Run(int kc, float* a, float* b, float* c, int ldc, bool add);
}

/// <summary>
/// Helpers of the micro-kernels. The kernels, and the other loops a first call spends its time in (packing, the batch-1
/// dense products), carry <see cref="MethodImplOptions.AggressiveOptimization"/>: under tiered compilation they would
/// start unoptimized, with every Vector256 operation and every call to these helpers a real call, and stay so until
/// they are recompiled in the background. A fresh process's first torchvision inference took 452–475 ms that way
/// (then 231–251 ms, 66–80 ms), against 155–199 ms (then 28–33 ms) with the attribute. They are also
/// <see cref="MethodImplOptions.NoInlining"/>: with tiered PGO (on by default) the JIT inlined a hot kernel into its
/// caller's tier-1 code, where its 24 accumulators no longer fit the registers; the torchvision conv1 forward pass took
/// 10.3–11.6 ms instead of 7.1 (at batch 16, in BenchmarkDotNet and in probes with DOTNET_TieredPGO=1).
/// </summary>
internal static class Fused
{
    /// <summary>
    /// Starts loading the C tile into L1 while the k loop runs: C rows are ldc apart and usually cold, and
    /// waiting for them after the loop costs a sizeable fraction of a tile's compute time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void PrefetchTile(float* c, int ldc, int rows, int columns)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++)
        {
            float* row = c + (nint)r * ldc;
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + columns - 1);
        }
    }

    /// <summary>Whether <see cref="MaskLoad"/> and <see cref="MaskStore"/> are AVX-512 instructions (.NET 9's API); the
    /// paths that use them are off otherwise.</summary>
    public static bool HasMaskedMemory
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if NET9_0_OR_GREATER
        get => Avx512F.IsSupported;
#else
        get => false;
#endif
    }

    /// <summary>The lanes of p where <paramref name="mask"/> is set, 0 elsewhere; no other memory is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> MaskLoad(float* p, Vector512<float> mask)
    {
#if NET9_0_OR_GREATER
        if (Avx512F.IsSupported) return Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);
#endif
        var v = Vector512<float>.Zero;
        for (int i = 0; i < 16; i++)
            if (mask.AsInt32().GetElement(i) != 0) v = v.WithElement(i, p[i]);
        return v;
    }

    /// <summary>Stores the lanes of <paramref name="v"/> where <paramref name="mask"/> is set; no other memory is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void MaskStore(float* p, Vector512<float> mask, Vector512<float> v)
    {
#if NET9_0_OR_GREATER
        if (Avx512F.IsSupported)
        {
            Avx512F.MaskStore(p, mask, v);
            return;
        }
#endif
        for (int i = 0; i < 16; i++)
            if (mask.AsInt32().GetElement(i) != 0) p[i] = v.GetElement(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
    {
        if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
        if (Avx512F.IsSupported) return Avx512F.FusedMultiplyAdd(a, b, c);
#if NET9_0_OR_GREATER
        return Vector512.FusedMultiplyAdd(a, b, c);
#else
        // Software Vector512 (forced in tests on AVX2 machines): fuse per half so the path keeps FMA rounding.
        if (Fma.IsSupported)
            return Vector512.Create(
                Fma.MultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()),
                Fma.MultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));
        return a * b + c;
#endif
    }
}

/// <summary>AVX-512: 12×32 tile = 24 zmm accumulators + 2 B vectors + 1 broadcast (of 32 registers).</summary>
internal struct Kernel12x32 : IMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static int MC => 144;
    public static int KC => 384;
    public static int NC => 3072;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, float* b, float* c, int ldc, bool add) => Body<NoPrefetch>(kc, a, b, c, ldc, add, 0);

    /// <summary><see cref="Run"/>, loading into L1 the line <paramref name="ahead"/> floats past each k step's A as it goes: the
    /// next panel of an A packed whole, read cold from memory (Gemm.Macro).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static unsafe void RunPrefetching(int kc, float* a, float* b, float* c, int ldc, bool add, nint ahead) =>
        Body<PrefetchAhead>(kc, a, b, c, ldc, add, ahead);

    private interface IPrefetch { static abstract bool Enabled { get; } }
    private struct NoPrefetch : IPrefetch { public static bool Enabled => false; }
    private struct PrefetchAhead : IPrefetch { public static bool Enabled => true; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Body<TP>(int kc, float* a, float* b, float* c, int ldc, bool add, nint ahead) where TP : struct, IPrefetch
    {
        Fused.PrefetchTile(c, ldc, 12, 32);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> x = Vector512.Create(a[0]);
            c00 = Fused.MultiplyAdd(x, b0, c00); c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Fused.MultiplyAdd(x, b0, c10); c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Fused.MultiplyAdd(x, b0, c20); c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Fused.MultiplyAdd(x, b0, c30); c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Fused.MultiplyAdd(x, b0, c40); c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Fused.MultiplyAdd(x, b0, c50); c51 = Fused.MultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Fused.MultiplyAdd(x, b0, c60); c61 = Fused.MultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Fused.MultiplyAdd(x, b0, c70); c71 = Fused.MultiplyAdd(x, b1, c71);
            x = Vector512.Create(a[8]);
            c80 = Fused.MultiplyAdd(x, b0, c80); c81 = Fused.MultiplyAdd(x, b1, c81);
            x = Vector512.Create(a[9]);
            c90 = Fused.MultiplyAdd(x, b0, c90); c91 = Fused.MultiplyAdd(x, b1, c91);
            x = Vector512.Create(a[10]);
            cA0 = Fused.MultiplyAdd(x, b0, cA0); cA1 = Fused.MultiplyAdd(x, b1, cA1);
            x = Vector512.Create(a[11]);
            cB0 = Fused.MultiplyAdd(x, b0, cB0); cB1 = Fused.MultiplyAdd(x, b1, cB1);
            if (TP.Enabled && Sse.IsSupported) Sse.Prefetch0(a + ahead);
            a += 12;
            b += 32;
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add); c += ldc;
        Store(c, c60, c61, add); c += ldc;
        Store(c, c70, c71, add); c += ldc;
        Store(c, c80, c81, add); c += ldc;
        Store(c, c90, c91, add); c += ldc;
        Store(c, cA0, cA1, add); c += ldc;
        Store(c, cB0, cB1, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool add)
    {
        if (add)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }
}

/// <summary>AVX2: 6×16 tile = 12 ymm accumulators + 2 B vectors + 1 broadcast (of 16 registers).</summary>
internal struct Kernel6x16 : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int MC => 144;
    public static int KC => 256;
    public static int NC => 4080;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, float* b, float* c, int ldc, bool add)
    {
        Fused.PrefetchTile(c, ldc, 6, 16);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Two k steps per iteration halve the loop overhead; the order of the FMAs per accumulator is unchanged.
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a[0]);
            c00 = Fused.MultiplyAdd(x, b0, c00); c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Fused.MultiplyAdd(x, b0, c10); c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Fused.MultiplyAdd(x, b0, c20); c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Fused.MultiplyAdd(x, b0, c30); c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Fused.MultiplyAdd(x, b0, c40); c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Fused.MultiplyAdd(x, b0, c50); c51 = Fused.MultiplyAdd(x, b1, c51);

            b0 = Vector256.Load(b + 16);
            b1 = Vector256.Load(b + 24);
            x = Vector256.Create(a[6]);
            c00 = Fused.MultiplyAdd(x, b0, c00); c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[7]);
            c10 = Fused.MultiplyAdd(x, b0, c10); c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[8]);
            c20 = Fused.MultiplyAdd(x, b0, c20); c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[9]);
            c30 = Fused.MultiplyAdd(x, b0, c30); c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[10]);
            c40 = Fused.MultiplyAdd(x, b0, c40); c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[11]);
            c50 = Fused.MultiplyAdd(x, b0, c50); c51 = Fused.MultiplyAdd(x, b1, c51);
            a += 12;
            b += 32;
        }
        if (p < kc)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a[0]);
            c00 = Fused.MultiplyAdd(x, b0, c00); c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Fused.MultiplyAdd(x, b0, c10); c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Fused.MultiplyAdd(x, b0, c20); c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Fused.MultiplyAdd(x, b0, c30); c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Fused.MultiplyAdd(x, b0, c40); c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Fused.MultiplyAdd(x, b0, c50); c51 = Fused.MultiplyAdd(x, b1, c51);
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }
}

/// <summary>Scalar fallback: 4×4 tile, plain multiply-then-add (no SIMD, no FMA assumption).</summary>
internal struct Kernel4x4 : IMicroKernel
{
    public static int MR => 4;
    public static int NR => 4;
    public static int MC => 64;
    public static int KC => 256;
    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, float* b, float* c, int ldc, bool add)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float x = a[0];
            c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
            x = a[1];
            c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
            x = a[2];
            c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
            x = a[3];
            c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            a += 4;
            b += 4;
        }
        Store(c, c00, c01, c02, c03, add); c += ldc;
        Store(c, c10, c11, c12, c13, add); c += ldc;
        Store(c, c20, c21, c22, c23, add); c += ldc;
        Store(c, c30, c31, c32, c33, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Store(float* c, float v0, float v1, float v2, float v3, bool add)
    {
        if (add)
        {
            v0 += c[0];
            v1 += c[1];
            v2 += c[2];
            v3 += c[3];
        }
        c[0] = v0;
        c[1] = v1;
        c[2] = v2;
        c[3] = v3;
    }
}
