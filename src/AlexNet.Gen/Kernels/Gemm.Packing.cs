using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Packs op(A)[i0.., p0..] (mcb×kcb) into MR-row micro-panels: panel r holds, for each k, the MR values of
    /// rows r·MR.. (zero past mcb), so the micro-kernel reads Ã strictly sequentially.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    private static unsafe void PackA<TK>(bool transA, float* a, int lda, int i0, int p0, int mcb, int kcb, float* dst)
        where TK : struct, IMicroKernel
    {
        int mr = TK.MR;
        for (int ir = 0; ir < mcb; ir += mr)
        {
            int rows = Math.Min(mr, mcb - ir);
            float* d = dst + (nint)ir * kcb;
            if (!transA && rows == 6 && mr == 6 && Avx.IsSupported)
            {
                // Row-major A, full 6-row panel (the AVX2 kernel): transpose 6×8 blocks in registers. Each block
                // writes 8 floats per k where 6 belong, the 2 extra landing on the next k's slots; the loop stops
                // while at least one k remains so those slots are always rewritten afterwards.
                float* s0 = a + (nint)(i0 + ir) * lda + p0;
                int p = 0;
                for (; p + 8 < kcb; p += 8) Transpose6x8(s0 + p, lda, d + (nint)p * 6);
                for (int r = 0; r < 6; r++)
                {
                    float* s = s0 + (nint)r * lda;
                    for (int q = p; q < kcb; q++) d[(nint)q * 6 + r] = s[q];
                }
            }
            else if (!transA && rows == 12 && mr == 12 && Avx.IsSupported)
            {
                // Row-major A, full 12-row panel (the AVX-512 kernel): rows 0–7 and 8–11 as 8×8 and 4×8 register
                // transposes. The element-by-element loop below had been 13 % of a 1024³ GEMM's time.
                float* s0 = a + (nint)(i0 + ir) * lda + p0;
                int p = 0;
                for (; p + 8 <= kcb; p += 8)
                {
                    Transpose8x8(s0 + p, lda, d + (nint)p * 12, 12);
                    Transpose4x8(s0 + 8 * (nint)lda + p, lda, d + (nint)p * 12 + 8, 12);
                }
                for (int r = 0; r < 12; r++)
                {
                    float* s = s0 + (nint)r * lda;
                    for (int q = p; q < kcb; q++) d[(nint)q * 12 + r] = s[q];
                }
            }
            else if (!transA && (rows == 8 || rows == 4) && mr == 12 && Avx.IsSupported)
            {
                // The last panel of a 64- or 32-row A: the same register transposes, zeros in the padding rows (the
                // element loop below had been 5 % of a 32 → 64-channel layer's backward pass).
                float* s0 = a + (nint)(i0 + ir) * lda + p0;
                int p = 0;
                for (; p + 8 <= kcb; p += 8)
                {
                    float* dp = d + (nint)p * 12;
                    if (rows == 8)
                    {
                        Transpose8x8(s0 + p, lda, dp, 12);
                        for (int q = 0; q < 8; q++) Sse.Store(dp + q * 12 + 8, Vector128<float>.Zero);
                    }
                    else
                    {
                        Transpose4x8(s0 + p, lda, dp, 12);
                        for (int q = 0; q < 8; q++) Avx.Store(dp + q * 12 + 4, Vector256<float>.Zero);
                    }
                }
                for (; p < kcb; p++)
                {
                    float* dp = d + (nint)p * 12;
                    for (int r = 0; r < rows; r++) dp[r] = s0[(nint)r * lda + p];
                    for (int r = rows; r < 12; r++) dp[r] = 0f;
                }
            }
            else if (!transA)
            {
                // Row-major A: each of the MR rows is contiguous in k; interleave them.
                for (int r = 0; r < rows; r++)
                {
                    float* s = a + (nint)(i0 + ir + r) * lda + p0;
                    float* dr = d + r;
                    for (int p = 0; p < kcb; p++) dr[(nint)p * mr] = s[p];
                }
                for (int r = rows; r < mr; r++)
                {
                    float* dr = d + r;
                    for (int p = 0; p < kcb; p++) dr[(nint)p * mr] = 0f;
                }
            }
            else if (rows == mr)
            {
                // Aᵀ stored: the MR values of one k are already contiguous.
                for (int p = 0; p < kcb; p++)
                    Unsafe.CopyBlockUnaligned(d + (nint)p * mr, a + (nint)(p0 + p) * lda + i0 + ir, (uint)(mr * sizeof(float)));
            }
            else
            {
                for (int p = 0; p < kcb; p++)
                {
                    float* s = a + (nint)(p0 + p) * lda + i0 + ir;
                    float* dp = d + (nint)p * mr;
                    int r = 0;
                    for (; r < rows; r++) dp[r] = s[r];
                    for (; r < mr; r++) dp[r] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0.., j0..] (kcb×ncb) into NR-column micro-panels: panel j holds, for each k, the NR values
    /// of columns j·NR.. (zero past ncb).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    private static unsafe void PackB<TK>(bool transB, float* b, int ldb, int p0, int j0, int kcb, int ncb, float* dst)
        where TK : struct, IMicroKernel
    {
        int nr = TK.NR;
        for (int jr = 0; jr < ncb; jr += nr)
        {
            int cols = Math.Min(nr, ncb - jr);
            float* d = dst + (nint)jr * kcb;
            if (!transB)
            {
                if (cols == nr)
                {
                    // Row-major B: NR contiguous values per k, a straight copy.
                    for (int p = 0; p < kcb; p++)
                        Unsafe.CopyBlockUnaligned(d + (nint)p * nr, b + (nint)(p0 + p) * ldb + j0 + jr, (uint)(nr * sizeof(float)));
                }
                else
                {
                    for (int p = 0; p < kcb; p++)
                    {
                        float* s = b + (nint)(p0 + p) * ldb + j0 + jr;
                        float* dp = d + (nint)p * nr;
                        int j = 0;
                        for (; j < cols; j++) dp[j] = s[j];
                        for (; j < nr; j++) dp[j] = 0f;
                    }
                }
            }
            else if (cols == nr && nr % 8 == 0 && Avx.IsSupported)
            {
                // Bᵀ stored, full panel: transpose 8×8 blocks in registers (8 contiguous k of 8 rows of b become
                // 8 panel rows), an order of magnitude faster than the element-wise scatter below.
                int p = 0;
                for (; p + 8 <= kcb; p += 8)
                    for (int j = 0; j < nr; j += 8)
                        Transpose8x8(b + (nint)(j0 + jr + j) * ldb + p0 + p, ldb, d + (nint)p * nr + j, nr);
                for (int j = 0; j < nr; j++)
                {
                    float* s = b + (nint)(j0 + jr + j) * ldb + p0;
                    for (int q = p; q < kcb; q++) d[(nint)q * nr + j] = s[q];
                }
            }
            else
            {
                // Bᵀ stored: each column of op(B) is a contiguous row of b; scatter it into the panel.
                for (int j = 0; j < cols; j++)
                {
                    float* s = b + (nint)(j0 + jr + j) * ldb + p0;
                    float* dj = d + j;
                    for (int p = 0; p < kcb; p++) dj[(nint)p * nr] = s[p];
                }
                for (int j = cols; j < nr; j++)
                {
                    float* dj = d + j;
                    for (int p = 0; p < kcb; p++) dj[(nint)p * nr] = 0f;
                }
            }
        }
    }

    /// <summary>dst[q·dstStride + i] = src[i·srcStride + q] for i, q in 0..8 (AVX unpack/shuffle/permute transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * srcStride), r3 = Avx.LoadVector256(src + 3 * srcStride);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * srcStride), r5 = Avx.LoadVector256(src + 5 * srcStride);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * srcStride), r7 = Avx.LoadVector256(src + 7 * srcStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>dst[q·dstStride + i] = src[i·srcStride + q] for i in 0..4, q in 0..8 (four 128-bit stores per half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Transpose4x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * srcStride), r3 = Avx.LoadVector256(src + 3 * srcStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        // u0 = (column 0 | column 4), u1 = (1 | 5), u2 = (2 | 6), u3 = (3 | 7), each column's four rows in order.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Sse.Store(dst, u0.GetLower());
        Sse.Store(dst + dstStride, u1.GetLower());
        Sse.Store(dst + 2 * dstStride, u2.GetLower());
        Sse.Store(dst + 3 * dstStride, u3.GetLower());
        Sse.Store(dst + 4 * dstStride, u0.GetUpper());
        Sse.Store(dst + 5 * dstStride, u1.GetUpper());
        Sse.Store(dst + 6 * dstStride, u2.GetUpper());
        Sse.Store(dst + 7 * dstStride, u3.GetUpper());
    }

    /// <summary>dst[q·6 + i] = src[i·srcStride + q] for i in 0..6, q in 0..8; also writes zeros to dst[48..50).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose6x8(float* src, nint srcStride, float* dst)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * srcStride), r3 = Avx.LoadVector256(src + 3 * srcStride);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * srcStride), r5 = Avx.LoadVector256(src + 5 * srcStride);
        Vector256<float> zero = Vector256<float>.Zero;
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, zero, 0x44), u5 = Avx.Shuffle(t4, zero, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, zero, 0x44), u7 = Avx.Shuffle(t5, zero, 0xEE);
        // In increasing q so each store's 2 surplus floats are overwritten by the next one.
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + 6, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 12, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 18, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 24, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 30, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 36, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 42, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// Σ p[0..n) in a fixed order for the active SIMD width (one vector accumulator from index 0, then the
    /// scalar tail). Unlike an alignment-seeking reduction, the result depends only on the values, never on
    /// where the buffer happens to sit in memory.
    /// </summary>
    internal static unsafe float Sum(float* p, int n)
    {
        int i = 0;
        float total = 0f;
        switch (VectorWidth)
        {
            case 16:
                if (n >= 16)
                {
                    Vector512<float> acc = Vector512.Load(p);
                    for (i = 16; i + 16 <= n; i += 16) acc += Vector512.Load(p + i);
                    total = Vector512.Sum(acc);
                }
                break;
            case 8:
                if (n >= 8)
                {
                    Vector256<float> acc = Vector256.Load(p);
                    for (i = 8; i + 8 <= n; i += 8) acc += Vector256.Load(p + i);
                    total = Vector256.Sum(acc);
                }
                break;
        }
        for (; i < n; i++) total += p[i];
        return total;
    }
}
