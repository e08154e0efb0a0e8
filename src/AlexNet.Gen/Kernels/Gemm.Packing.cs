using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Packs op(A)[i0.., p0..] (mcb×kcb) into MR-row micro-panels: panel r holds, for each k, the MR values of
    /// rows r·MR.. (zero past mcb), so the micro-kernel reads Ã strictly sequentially.
    /// </summary>
    private static unsafe void PackA<TK>(bool transA, float* a, int lda, int i0, int p0, int mcb, int kcb, float* dst)
        where TK : struct, IMicroKernel
    {
        int mr = TK.MR;
        for (int ir = 0; ir < mcb; ir += mr)
        {
            int rows = Math.Min(mr, mcb - ir);
            float* d = dst + (nint)ir * kcb;
            if (!transA)
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
