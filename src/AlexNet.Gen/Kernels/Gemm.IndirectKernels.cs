using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// A micro-kernel whose B̃ is not packed: row p of the MR×NR tile's B is the NR floats at b + rows[p]. An implicit-GEMM
/// convolution (<see cref="Conv2d"/>, Conv2d.Implicit.cs) points the rows straight into its input planes, so no im2col
/// matrix is ever written. Ã is packed as for <see cref="IMicroKernel"/> (MR floats per k).
/// </summary>
internal interface IIndirectKernel
{
    static abstract int MR { get; }
    static abstract int NR { get; }

    /// <summary>C[MR×NR] = Σ_p Ã[p]·B[p] over p in [0, kc), accumulated in k order from zero (C is overwritten).</summary>
    static abstract unsafe void Run(int kc, float* a, float* b, int* rows, float* c, int ldc);
}

/// <summary>AVX-512: as <see cref="Kernel12x32"/>, B rows from the row table.</summary>
internal struct IndirectKernel12x32 : IIndirectKernel
{
    public static int MR => 12;
    public static int NR => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Run(int kc, float* a, float* b, int* rows, float* c, int ldc) => Run(kc, a, b, rows, c, ldc, false);

    /// <summary>As <see cref="Run(int, float*, float*, int*, float*, int)"/>, then C = acc (add = false) or C + acc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, float* b, int* rows, float* c, int ldc, bool add)
    {
        var block = new BlockRows(c, ldc, add);
        Body(kc, a, b, rows, ref block);
    }

    /// <summary>As <see cref="Run(int, float*, float*, int*, float*, int)"/>, each row then finished and stored straight to
    /// the layer's output (<see cref="TileOutput"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static unsafe void RunToOutput(int kc, float* a, float* b, int* rows, ref TileOutput output)
    {
        output.Prefetch();
        Body(kc, a, b, rows, ref output);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Body<TS>(int kc, float* a, float* b, int* rows, ref TS store) where TS : struct, ITileRows
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++)
        {
            float* row = b + rows[p];
            Vector512<float> b0 = Vector512.Load(row);
            Vector512<float> b1 = Vector512.Load(row + 16);
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
            a += 12;
        }
        store.Row(0, c00, c01);
        store.Row(1, c10, c11);
        store.Row(2, c20, c21);
        store.Row(3, c30, c31);
        store.Row(4, c40, c41);
        store.Row(5, c50, c51);
        store.Row(6, c60, c61);
        store.Row(7, c70, c71);
        store.Row(8, c80, c81);
        store.Row(9, c90, c91);
        store.Row(10, cA0, cA1);
        store.Row(11, cB0, cB1);
    }
}

/// <summary>Where a 12×32 kernel's accumulated rows go.</summary>
internal interface ITileRows
{
    /// <summary>Row <paramref name="r"/> of the tile: columns 0–15 and 16–31.</summary>
    void Row(int r, Vector512<float> v0, Vector512<float> v1);
}

/// <summary>Rows of a C block, ldc apart: C = acc, or C + acc.</summary>
internal readonly unsafe struct BlockRows(float* c, int ldc, bool add) : ITileRows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Row(int r, Vector512<float> v0, Vector512<float> v1) => Kernel12x32.Store(c + (nint)r * ldc, v0, v1, add);
}

/// <summary>
/// An implicit-GEMM convolution tile's rows written straight to the layer's output (Conv2d.Implicit.cs): row r is output
/// channel r of <see cref="Y"/> (planes <see cref="Pixels"/> apart), + its bias, then max(·, 0) with <see cref="Relu"/>
/// (the arithmetic of Conv2d.FinishRow, so the same bits). The tile's 32 columns are consecutive pixels of one or two
/// output rows with the planes' garbage columns between them: column j goes to <see cref="OffsetA"/> + j where the
/// A masks have lane j set, to <see cref="OffsetB"/> + j where the B masks do, and nowhere otherwise (masked stores
/// touch no other memory, so threads may write neighbouring tiles). AVX-512 with .NET 9's masked stores only
/// (<see cref="Fused.HasMaskedMemory"/>).
/// </summary>
internal unsafe struct TileOutput : ITileRows
{
    public float* Y, Bias;
    public nint Pixels, OffsetA, OffsetB;
    /// <summary>The first and last columns of each part (first &gt; last: none).</summary>
    public int FirstA, LastA, FirstB, LastB;
    public bool Relu;
    public Vector512<float> MaskA0, MaskA1, MaskB0, MaskB1;

    /// <summary>Columns [0, <paramref name="endA"/>) to <see cref="OffsetA"/> + j, [<paramref name="firstB"/>,
    /// <paramref name="endB"/>) to <see cref="OffsetB"/> + j (empty ranges allowed).</summary>
    public void SetColumns(int endA, int firstB, int endB)
    {
        (FirstA, LastA, FirstB, LastB) = (0, endA - 1, firstB, endB - 1);
        var low = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var high = low + Vector512.Create(16);
        MaskA0 = Vector512.LessThan(low, Vector512.Create(endA)).AsSingle();
        MaskA1 = Vector512.LessThan(high, Vector512.Create(endA)).AsSingle();
        MaskB0 = (Vector512.GreaterThanOrEqual(low, Vector512.Create(firstB)) & Vector512.LessThan(low, Vector512.Create(endB))).AsSingle();
        MaskB1 = (Vector512.GreaterThanOrEqual(high, Vector512.Create(firstB)) & Vector512.LessThan(high, Vector512.Create(endB))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Row(int r, Vector512<float> v0, Vector512<float> v1)
    {
        if (Bias != null)
        {
            var bias = Vector512.Create(Bias[r]);
            v0 += bias;
            v1 += bias;
        }
        if (Relu)
        {
            v0 = Vector512.Max(v0, Vector512<float>.Zero);
            v1 = Vector512.Max(v1, Vector512<float>.Zero);
        }
        float* y = Y + r * Pixels;
        Fused.MaskStore(y + OffsetA, MaskA0, v0);
        Fused.MaskStore(y + OffsetA + 16, MaskA1, v1);
        Fused.MaskStore(y + OffsetB, MaskB0, v0);
        Fused.MaskStore(y + OffsetB + 16, MaskB1, v1);
    }

    /// <summary>
    /// Starts loading the tile's output lines while the k loop runs: they are usually cold (a sample's output is written
    /// once), and each row's stores would otherwise wait for them one after the other (as <see cref="Fused.PrefetchTile"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Prefetch()
    {
        for (int r = 0; r < 12; r++)
        {
            float* y = Y + r * Pixels;
            PrefetchColumns(y + OffsetA, FirstA, LastA);
            PrefetchColumns(y + OffsetB, FirstB, LastB);
        }
    }

    /// <summary>The lines of columns [first, last] at <paramref name="row"/> (at most 32 floats: three lines).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchColumns(float* row, int first, int last)
    {
        if (first > last) return;
        Sse.Prefetch0(row + first);
        Sse.Prefetch0(row + (first + last) / 2);
        Sse.Prefetch0(row + last);
    }

    /// <summary>Rows [0, <paramref name="count"/>) of a tile computed into <paramref name="scratch"/> (32 floats a row).</summary>
    public readonly void FromScratch(float* scratch, int count)
    {
        for (int r = 0; r < count; r++) Row(r, Vector512.Load(scratch + r * 32), Vector512.Load(scratch + r * 32 + 16));
    }
}

/// <summary>Scalar: as <see cref="Kernel4x4"/>, B rows from the row table.</summary>
internal struct IndirectKernel4x4 : IIndirectKernel
{
    public static int MR => 4;
    public static int NR => 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, float* b, int* rows, float* c, int ldc)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float* row = b + rows[p];
            float b0 = row[0], b1 = row[1], b2 = row[2], b3 = row[3];
            float x = a[0];
            c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
            x = a[1];
            c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
            x = a[2];
            c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
            x = a[3];
            c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            a += 4;
        }
        Kernel4x4.Store(c, c00, c01, c02, c03, false); c += ldc;
        Kernel4x4.Store(c, c10, c11, c12, c13, false); c += ldc;
        Kernel4x4.Store(c, c20, c21, c22, c23, false); c += ldc;
        Kernel4x4.Store(c, c30, c31, c32, c33, false);
    }
}

/// <summary>
/// A micro-kernel whose Ã is not packed: row r of the MR×NR tile's A is the kc floats at a + rows[r] (a convolution's
/// input planes, read by the implicit-GEMM weight gradient); B̃ is an NR-column packed panel (NR floats per k).
/// </summary>
internal interface IIndirectAKernel
{
    static abstract int MR { get; }
    static abstract int NR { get; }

    /// <summary>C[MR×NR] (+)= Σ_p A[·, p]·B̃[p] over p in [0, kc), accumulated in k order from zero, then stored (add = false)
    /// or added to C.</summary>
    static abstract unsafe void Run(int kc, float* a, int* rows, float* b, float* c, int ldc, bool add);
}

/// <summary>AVX-512: 12 A rows × 32 columns.</summary>
internal struct IndirectAKernel12x32 : IIndirectAKernel
{
    public static int MR => 12;
    public static int NR => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, int* rows, float* b, float* c, int ldc, bool add)
    {
        float* a0 = a + rows[0], a1 = a + rows[1], a2 = a + rows[2], a3 = a + rows[3], a4 = a + rows[4], a5 = a + rows[5];
        float* a6 = a + rows[6], a7 = a + rows[7], a8 = a + rows[8], a9 = a + rows[9], aA = a + rows[10], aB = a + rows[11];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> x = Vector512.Create(a0[p]);
            c00 = Fused.MultiplyAdd(x, b0, c00); c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]);
            c10 = Fused.MultiplyAdd(x, b0, c10); c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]);
            c20 = Fused.MultiplyAdd(x, b0, c20); c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]);
            c30 = Fused.MultiplyAdd(x, b0, c30); c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]);
            c40 = Fused.MultiplyAdd(x, b0, c40); c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[p]);
            c50 = Fused.MultiplyAdd(x, b0, c50); c51 = Fused.MultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[p]);
            c60 = Fused.MultiplyAdd(x, b0, c60); c61 = Fused.MultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[p]);
            c70 = Fused.MultiplyAdd(x, b0, c70); c71 = Fused.MultiplyAdd(x, b1, c71);
            x = Vector512.Create(a8[p]);
            c80 = Fused.MultiplyAdd(x, b0, c80); c81 = Fused.MultiplyAdd(x, b1, c81);
            x = Vector512.Create(a9[p]);
            c90 = Fused.MultiplyAdd(x, b0, c90); c91 = Fused.MultiplyAdd(x, b1, c91);
            x = Vector512.Create(aA[p]);
            cA0 = Fused.MultiplyAdd(x, b0, cA0); cA1 = Fused.MultiplyAdd(x, b1, cA1);
            x = Vector512.Create(aB[p]);
            cB0 = Fused.MultiplyAdd(x, b0, cB0); cB1 = Fused.MultiplyAdd(x, b1, cB1);
            b += 32;
        }
        Kernel12x32.Store(c, c00, c01, add); c += ldc;
        Kernel12x32.Store(c, c10, c11, add); c += ldc;
        Kernel12x32.Store(c, c20, c21, add); c += ldc;
        Kernel12x32.Store(c, c30, c31, add); c += ldc;
        Kernel12x32.Store(c, c40, c41, add); c += ldc;
        Kernel12x32.Store(c, c50, c51, add); c += ldc;
        Kernel12x32.Store(c, c60, c61, add); c += ldc;
        Kernel12x32.Store(c, c70, c71, add); c += ldc;
        Kernel12x32.Store(c, c80, c81, add); c += ldc;
        Kernel12x32.Store(c, c90, c91, add); c += ldc;
        Kernel12x32.Store(c, cA0, cA1, add); c += ldc;
        Kernel12x32.Store(c, cB0, cB1, add);
    }
}

/// <summary>
/// AVX-512: the last 1–4 rows of an <see cref="IndirectAKernel12x32"/> GEMM (Depth − i &lt;= 4), whose other rows are
/// padding. The 11×11 first layers' weight gradients (Depth 363 = 30 · 12 + 3) had spent a 12-row tile on their last
/// 3 rows, 2.4 % of the kernel's multiply-adds. Each row's accumulation is the 12-row kernel's (from zero, in k order, then
/// C = acc or C + acc), so the results are the same bits. Stores rows [0, rows) only.
/// </summary>
internal static class IndirectAShortKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run4(int rows, int kc, float* a, int* rowTable, float* b, float* c, int ldc, bool add)
    {
        // The row table is padded to whole 12-row tiles (offset 0, as the 12-row kernel reads them): rows past the last
        // read real floats whose sums are not stored.
        float* a0 = a + rowTable[0], a1 = a + rowTable[1], a2 = a + rowTable[2], a3 = a + rowTable[3];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> x = Vector512.Create(a0[p]);
            c00 = Fused.MultiplyAdd(x, b0, c00); c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]);
            c10 = Fused.MultiplyAdd(x, b0, c10); c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]);
            c20 = Fused.MultiplyAdd(x, b0, c20); c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]);
            c30 = Fused.MultiplyAdd(x, b0, c30); c31 = Fused.MultiplyAdd(x, b1, c31);
            b += 32;
        }
        Kernel12x32.Store(c, c00, c01, add);
        if (rows > 1) Kernel12x32.Store(c + (nint)ldc, c10, c11, add);
        if (rows > 2) Kernel12x32.Store(c + 2 * (nint)ldc, c20, c21, add);
        if (rows > 3) Kernel12x32.Store(c + 3 * (nint)ldc, c30, c31, add);
    }
}

/// <summary>AVX2: 6 A rows × 16 columns.</summary>
internal struct IndirectAKernel6x16 : IIndirectAKernel
{
    public static int MR => 6;
    public static int NR => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, int* rows, float* b, float* c, int ldc, bool add)
    {
        float* a0 = a + rows[0], a1 = a + rows[1], a2 = a + rows[2], a3 = a + rows[3], a4 = a + rows[4], a5 = a + rows[5];
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a0[p]);
            c00 = Fused.MultiplyAdd(x, b0, c00); c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Fused.MultiplyAdd(x, b0, c10); c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Fused.MultiplyAdd(x, b0, c20); c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Fused.MultiplyAdd(x, b0, c30); c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[p]);
            c40 = Fused.MultiplyAdd(x, b0, c40); c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[p]);
            c50 = Fused.MultiplyAdd(x, b0, c50); c51 = Fused.MultiplyAdd(x, b1, c51);
            b += 16;
        }
        Kernel6x16.Store(c, c00, c01, add); c += ldc;
        Kernel6x16.Store(c, c10, c11, add); c += ldc;
        Kernel6x16.Store(c, c20, c21, add); c += ldc;
        Kernel6x16.Store(c, c30, c31, add); c += ldc;
        Kernel6x16.Store(c, c40, c41, add); c += ldc;
        Kernel6x16.Store(c, c50, c51, add);
    }
}

/// <summary>Scalar: 4 A rows × 4 columns.</summary>
internal struct IndirectAKernel4x4 : IIndirectAKernel
{
    public static int MR => 4;
    public static int NR => 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    public static unsafe void Run(int kc, float* a, int* rows, float* b, float* c, int ldc, bool add)
    {
        float* a0 = a + rows[0], a1 = a + rows[1], a2 = a + rows[2], a3 = a + rows[3];
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float x = a0[p];
            c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
            x = a1[p];
            c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
            x = a2[p];
            c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
            x = a3[p];
            c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            b += 4;
        }
        Kernel4x4.Store(c, c00, c01, c02, c03, add); c += ldc;
        Kernel4x4.Store(c, c10, c11, c12, c13, add); c += ldc;
        Kernel4x4.Store(c, c20, c21, c22, c23, add); c += ldc;
        Kernel4x4.Store(c, c30, c31, c32, c33, add);
    }
}
