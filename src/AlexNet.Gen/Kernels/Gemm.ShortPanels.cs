using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

/// <summary>Where row p of a 32-column B̃ panel starts: packed (<see cref="PackedBRows"/>) or from a row table (<see cref="TableBRows"/>).</summary>
internal interface IBRowSource
{
    static abstract unsafe float* Row(float* b, int* table, int p);
}

/// <summary>B̃ packed: row p at b + 32·p (<see cref="Kernel12x32"/>).</summary>
internal struct PackedBRows : IBRowSource
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float* Row(float* b, int* table, int p) => b + (nint)p * 32;
}

/// <summary>B̃ read in place: row p at b + table[p] (<see cref="IndirectKernel12x32"/>).</summary>
internal struct TableBRows : IBRowSource
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float* Row(float* b, int* table, int p) => b + table[p];
}

/// <summary>
/// AVX-512: the first 1–8 rows of a 12-row Ã panel whose other rows are padding, against 32 columns. A layer with 64 or
/// 32 output channels ends its Ã in a 4- or 8-row panel, on which the 12-row kernels spent two thirds or a third of
/// their multiply-adds on zeros (11 % of those GEMMs). Ã keeps its 12 floats per k; each row's accumulation is the 12-row
/// kernels' (from zero, in k order, then C = acc or C + acc), so the results are the same bits. Stores rows [0, rows) only.
/// </summary>
internal static class ShortPanelKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Run<TB>(int rows, int kc, float* a, float* b, int* table, float* c, int ldc, bool add)
        where TB : struct, IBRowSource
    {
        if (rows <= 4) Run4<TB>(rows, kc, a, b, table, c, ldc, add);
        else Run8<TB>(rows, kc, a, b, table, c, ldc, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    private static unsafe void Run8<TB>(int rows, int kc, float* a, float* b, int* table, float* c, int ldc, bool add)
        where TB : struct, IBRowSource
    {
        Fused.PrefetchTile(c, ldc, rows, 32);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            float* row = TB.Row(b, table, p);
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
            a += 12;
        }
        Kernel12x32.Store(c, c00, c01, add);
        Kernel12x32.Store(c + (nint)ldc, c10, c11, add);
        Kernel12x32.Store(c + 2 * (nint)ldc, c20, c21, add);
        Kernel12x32.Store(c + 3 * (nint)ldc, c30, c31, add);
        if (rows > 4) Kernel12x32.Store(c + 4 * (nint)ldc, c40, c41, add);
        if (rows > 5) Kernel12x32.Store(c + 5 * (nint)ldc, c50, c51, add);
        if (rows > 6) Kernel12x32.Store(c + 6 * (nint)ldc, c60, c61, add);
        if (rows > 7) Kernel12x32.Store(c + 7 * (nint)ldc, c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    private static unsafe void Run4<TB>(int rows, int kc, float* a, float* b, int* table, float* c, int ldc, bool add)
        where TB : struct, IBRowSource
    {
        Fused.PrefetchTile(c, ldc, rows, 32);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            float* row = TB.Row(b, table, p);
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
            a += 12;
        }
        Kernel12x32.Store(c, c00, c01, add);
        if (rows > 1) Kernel12x32.Store(c + (nint)ldc, c10, c11, add);
        if (rows > 2) Kernel12x32.Store(c + 2 * (nint)ldc, c20, c21, add);
        if (rows > 3) Kernel12x32.Store(c + 3 * (nint)ldc, c30, c31, add);
    }
}
