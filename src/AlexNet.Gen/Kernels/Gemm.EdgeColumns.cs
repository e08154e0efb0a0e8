using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// AVX-512: a 12-row Ã panel against the last 1–24 columns of a GEMM whose n is not a multiple of 32 (a B̃ panel of
/// 32-float rows, the columns past n padding). <see cref="Kernel12x32"/> spent a full tile's 24 multiply-adds a k step
/// on it: a Winograd layer on 13×13 maps at batch 1 has 49 tiles, so half of its GEMM time went to the 17 columns past
/// 32. Here up to 16 columns take a 12×16 block (12 multiply-adds a k step, one per row) and up to 8 more, or up to 8
/// alone, one vector each holding a column's 12 rows (one multiply-add a k step per column; so few chains wait on the
/// multiply-add latency, still fewer cycles than a full tile). Each element is the full kernel's: accumulated from zero
/// in k order by fused multiply-adds of the same operands, then C = acc or C + acc, so the bits are the same.
/// </summary>
internal static class EdgeColumnsKernel
{
    /// <summary>Whether <paramref name="cols"/> columns (fewer than 32) go here rather than to a full tile.</summary>
    public static bool Handles(int cols) => Fused.HasMaskedMemory && cols > 0 && cols <= 24;

    /// <summary>C[0..rows, 0..cols] = (or +=) Ã (12 floats per k) · B̃ (32 floats per k) over k in [0, kc).</summary>
    public static unsafe void Run(int rows, int cols, int kc, float* a, float* b, float* c, int ldc, bool add)
    {
        int extra = cols <= 8 ? cols : cols <= 16 ? 0 : cols - 16;
        bool wide = cols > 8;
        if (wide)
        {
            if (extra == 0) Run<Wide, E0>(rows, cols, kc, a, b, c, ldc, add);
            else if (extra == 1) Run<Wide, E1>(rows, cols, kc, a, b, c, ldc, add);
            else if (extra == 2) Run<Wide, E2>(rows, cols, kc, a, b, c, ldc, add);
            else if (extra <= 4) Run<Wide, E4>(rows, cols, kc, a, b, c, ldc, add);
            else Run<Wide, E8>(rows, cols, kc, a, b, c, ldc, add);
        }
        else if (extra == 1) Run<Narrow, E1>(rows, cols, kc, a, b, c, ldc, add);
        else if (extra == 2) Run<Narrow, E2>(rows, cols, kc, a, b, c, ldc, add);
        else if (extra <= 4) Run<Narrow, E4>(rows, cols, kc, a, b, c, ldc, add);
        else Run<Narrow, E8>(rows, cols, kc, a, b, c, ldc, add);
    }

    private interface IBlock { static abstract bool Present { get; } }
    private struct Wide : IBlock { public static bool Present => true; }
    private struct Narrow : IBlock { public static bool Present => false; }
    private interface IColumns { static abstract int Count { get; } }
    private struct E0 : IColumns { public static int Count => 0; }
    private struct E1 : IColumns { public static int Count => 1; }
    private struct E2 : IColumns { public static int Count => 2; }
    private struct E4 : IColumns { public static int Count => 4; }
    private struct E8 : IColumns { public static int Count => 8; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    [SkipLocalsInit]
    private static unsafe void Run<TW, TE>(int rows, int cols, int kc, float* a, float* b, float* c, int ldc, bool add)
        where TW : struct, IBlock where TE : struct, IColumns
    {
        // The 12×16 block: row r of columns 0–15 in w_r.
        Vector512<float> w0 = default, w1 = default, w2 = default, w3 = default, w4 = default, w5 = default;
        Vector512<float> w6 = default, w7 = default, w8 = default, w9 = default, wA = default, wB = default;
        // The columns after it (or alone): column first + j's rows 0–11 in e_j.
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default, e6 = default, e7 = default;
        int first = TW.Present ? 16 : 0, last = kc - 1;
        var twelve = Vector512.Create(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0).AsSingle();
        for (int p = 0; p < kc; p++)
        {
            float* bp = b + (nint)p * 32;
            if (TW.Present)
            {
                Vector512<float> b0 = Vector512.Load(bp);
                w0 = Fused.MultiplyAdd(Vector512.Create(a[0]), b0, w0);
                w1 = Fused.MultiplyAdd(Vector512.Create(a[1]), b0, w1);
                w2 = Fused.MultiplyAdd(Vector512.Create(a[2]), b0, w2);
                w3 = Fused.MultiplyAdd(Vector512.Create(a[3]), b0, w3);
                w4 = Fused.MultiplyAdd(Vector512.Create(a[4]), b0, w4);
                w5 = Fused.MultiplyAdd(Vector512.Create(a[5]), b0, w5);
                w6 = Fused.MultiplyAdd(Vector512.Create(a[6]), b0, w6);
                w7 = Fused.MultiplyAdd(Vector512.Create(a[7]), b0, w7);
                w8 = Fused.MultiplyAdd(Vector512.Create(a[8]), b0, w8);
                w9 = Fused.MultiplyAdd(Vector512.Create(a[9]), b0, w9);
                wA = Fused.MultiplyAdd(Vector512.Create(a[10]), b0, wA);
                wB = Fused.MultiplyAdd(Vector512.Create(a[11]), b0, wB);
            }
            if (TE.Count > 0)
            {
                // The panel's 12 rows at this k, and 4 floats of the next k's in lanes never stored (the last k's masked:
                // they would be past the panel).
                Vector512<float> column = p < last ? Vector512.Load(a) : Fused.MaskLoad(a, twelve);
                float* bx = bp + first;
                e0 = Fused.MultiplyAdd(column, Vector512.Create(bx[0]), e0);
                if (TE.Count > 1) e1 = Fused.MultiplyAdd(column, Vector512.Create(bx[1]), e1);
                if (TE.Count > 2)
                {
                    e2 = Fused.MultiplyAdd(column, Vector512.Create(bx[2]), e2);
                    e3 = Fused.MultiplyAdd(column, Vector512.Create(bx[3]), e3);
                }
                if (TE.Count > 4)
                {
                    e4 = Fused.MultiplyAdd(column, Vector512.Create(bx[4]), e4);
                    e5 = Fused.MultiplyAdd(column, Vector512.Create(bx[5]), e5);
                    e6 = Fused.MultiplyAdd(column, Vector512.Create(bx[6]), e6);
                    e7 = Fused.MultiplyAdd(column, Vector512.Create(bx[7]), e7);
                }
            }
            a += 12;
        }
        if (TW.Present)
        {
            // Columns [0, min(cols, 16)) of each row.
            var mask = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(Math.Min(cols, 16))).AsSingle();
            StoreRow(c, 0, rows, mask, w0, add, ldc); StoreRow(c, 1, rows, mask, w1, add, ldc);
            StoreRow(c, 2, rows, mask, w2, add, ldc); StoreRow(c, 3, rows, mask, w3, add, ldc);
            StoreRow(c, 4, rows, mask, w4, add, ldc); StoreRow(c, 5, rows, mask, w5, add, ldc);
            StoreRow(c, 6, rows, mask, w6, add, ldc); StoreRow(c, 7, rows, mask, w7, add, ldc);
            StoreRow(c, 8, rows, mask, w8, add, ldc); StoreRow(c, 9, rows, mask, w9, add, ldc);
            StoreRow(c, 10, rows, mask, wA, add, ldc); StoreRow(c, 11, rows, mask, wB, add, ldc);
        }
        if (TE.Count > 0)
        {
            int count = Math.Min(TE.Count, cols - first);
            float* column = stackalloc float[16];
            for (int j = 0; j < count; j++)
            {
                Vector512<float> e = j switch { 0 => e0, 1 => e1, 2 => e2, 3 => e3, 4 => e4, 5 => e5, 6 => e6, _ => e7 };
                Vector512.Store(e, column);
                float* cj = c + first + j;
                if (add)
                    for (int r = 0; r < rows; r++) cj[(nint)r * ldc] += column[r];
                else
                    for (int r = 0; r < rows; r++) cj[(nint)r * ldc] = column[r];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow(float* c, int r, int rows, Vector512<float> mask, Vector512<float> v, bool add, int ldc)
    {
        if (r >= rows) return;
        float* cr = c + (nint)r * ldc;
        if (add) v += Fused.MaskLoad(cr, mask);
        Fused.MaskStore(cr, mask, v);
    }
}
