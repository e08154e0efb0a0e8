using System;
using System.Collections.Generic;
using AlexNet.Gen.Kernels;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

/// <summary>Switch scopes and checks shared by the GEMM, convolution and dense kernel tests.</summary>
internal static class GemmTestScope
{
    public static readonly int[] Widths = { 1, 8, 16 };

    /// <summary>Runs <paramref name="action"/> with the kernels forced to one SIMD width (restored afterwards).</summary>
    public static void WithWidth(int width, Action action)
    {
        int saved = Gemm.ForceVectorWidth;
        Gemm.ForceVectorWidth = width;
        try { action(); }
        finally { Gemm.ForceVectorWidth = saved; }
    }

    /// <summary>Runs <paramref name="action"/> with <see cref="StaticParallel.ThreadCount"/> set (restored afterwards).</summary>
    public static void WithThreads(int threads, Action action)
    {
        int saved = StaticParallel.ThreadCount;
        StaticParallel.ThreadCount = threads;
        try { action(); }
        finally { StaticParallel.ThreadCount = saved; }
    }

    /// <summary>
    /// A workspace whose slots 0–7 already hold NaN-filled buffers, so a kernel that reads scratch it did not
    /// write (a missing zero fill in im2col or packing) poisons its output instead of passing by luck.
    /// </summary>
    public static Workspace PoisonedWorkspace()
    {
        var ws = new Workspace();
        for (int slot = 0; slot < 8; slot++) ws.Get(slot, 1 << 18).Fill(float.NaN);
        return ws;
    }

    public static void AssertBitwiseEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs ({expected[i]:R} vs {actual[i]:R}).");
    }
}

[Collection(KernelStateCollection.Name)]
public class GemmTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[][] sizes =
        {
            new[] { 1, 1, 1 }, new[] { 7, 33, 130 }, new[] { 130, 7, 33 }, new[] { 33, 130, 7 }, new[] { 13, 17, 300 },
        };
        foreach (int width in GemmTestScope.Widths)
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        for (int s = 0; s < sizes.Length; s++)
            yield return new object[] { width, ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], s % 2 == 1 };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(int width, bool transposeA, bool transposeB, int m, int n, int k, bool accumulate)
    {
        GemmTestScope.WithWidth(width, () => Check(transposeA, transposeB, m, n, k, accumulate, pad: (m + n) % 3, seed: m * 7 + n));
    }

    public static IEnumerable<object[]> BlockingCases()
    {
        foreach (int width in GemmTestScope.Widths)
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
            yield return new object[] { width, ta, tb };
    }

    /// <summary>
    /// K slices of 19 (two 8-column register transposes and a 3-column tail in A's packing, at k offsets that are not
    /// multiples of 8) over several full MR-row panels of a row-major A with padded rows.
    /// </summary>
    [Theory]
    [MemberData(nameof(BlockingCases))]
    public void MatchesReferenceWithKSlicesOffTheTransposeBlocks(int width, bool transposeA, bool transposeB)
    {
        int savedK = Gemm.ForceBlockK;
        try
        {
            Gemm.ForceBlockK = 19;
            GemmTestScope.WithWidth(width, () => Check(transposeA, transposeB, 50, 40, 70, accumulate: false, pad: 3, seed: 13));
        }
        finally
        {
            Gemm.ForceBlockK = savedK;
        }
    }

    /// <summary>Tiny MC/KC/NC force several row, depth and column blocks (and their partial edges) on small inputs.</summary>
    [Theory]
    [MemberData(nameof(BlockingCases))]
    public void MatchesReferenceAcrossCacheBlocks(int width, bool transposeA, bool transposeB)
    {
        int savedM = Gemm.ForceBlockM, savedK = Gemm.ForceBlockK, savedN = Gemm.ForceBlockN;
        try
        {
            Gemm.ForceBlockM = 13;
            Gemm.ForceBlockK = 5;
            Gemm.ForceBlockN = 40;
            GemmTestScope.WithWidth(width, () =>
            {
                Check(transposeA, transposeB, 37, 101, 29, accumulate: false, pad: 2, seed: 11);
                Check(transposeA, transposeB, 37, 101, 29, accumulate: true, pad: 0, seed: 12);
            });
        }
        finally
        {
            Gemm.ForceBlockM = savedM;
            Gemm.ForceBlockK = savedK;
            Gemm.ForceBlockN = savedN;
        }
    }

    /// <summary>Large enough to cross the default KC/NC/MC of every path and to run on both threads.</summary>
    [Theory]
    [InlineData(8, false, false)]
    [InlineData(8, true, true)]
    [InlineData(1, false, true)]
    [InlineData(16, true, false)]
    public void MatchesReferenceOnLargeParallelProblem(int width, bool transposeA, bool transposeB)
    {
        GemmTestScope.WithThreads(2, () => GemmTestScope.WithWidth(width, () =>
            Check(transposeA, transposeB, 150, 161, 400, accumulate: true, pad: 1, seed: 5)));
    }

    private static void Check(bool ta, bool tb, int m, int n, int k, bool accumulate, int pad, int seed)
    {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        float[] a = Ref.GemmRandom((ta ? k : m) * lda, seed);
        float[] b = Ref.GemmRandom((tb ? n : k) * ldb, seed + 1);
        float[] c = Ref.GemmRandom(m * ldc, seed + 2);
        double[] expected = Ref.GemmMultiply(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        Gemm.Multiply(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, GemmTestScope.PoisonedWorkspace());
        Ref.GemmAssertClose(expected, c, 1e-4, $"GEMM ta={ta} tb={tb} {m}×{n}×{k} acc={accumulate} width={Gemm.VectorWidth}");
        // Padding columns of C (ldc > n) must be untouched.
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.Equal((float)expected[i * ldc + j], c[i * ldc + j]);
    }

    /// <summary>
    /// The last Ã panel of an M that is not a multiple of 12 (1–11 rows; 1–8 run the AVX-512 kernel's short-panel
    /// variants, at full and partial column panels, row-major and transposed A): each row gives the same bits as when the
    /// same row is computed inside a full 12-row panel (M rounded up with more random rows), and matches the reference.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void ShortLastRowPanelsMatchFullPanelsBitForBit(bool accumulate, bool transposeA)
    {
        GemmTestScope.WithWidth(16, () =>
        {
            foreach (int n in new[] { 64, 45 })
                for (int m = 13; m <= 24; m++)
                {
                    const int k = 41;
                    int full = 24;
                    // A with `full` rows; the first m of them are the short GEMM's A.
                    float[] aFull = Ref.GemmRandom(full * k, m * 3 + n);
                    float[] a = new float[m * k];
                    if (transposeA)
                    {
                        // Aᵀ stored [k × rows]: the short one keeps the first m columns of each row.
                        for (int p = 0; p < k; p++)
                            for (int i = 0; i < m; i++) a[p * m + i] = aFull[p * full + i];
                    }
                    else
                    {
                        Array.Copy(aFull, a, m * k);
                    }
                    float[] b = Ref.GemmRandom(k * n, m + 1);
                    float[] cFull = Ref.GemmRandom(full * n, m + 2);
                    float[] c = cFull.AsSpan(0, m * n).ToArray();
                    double[] expected = Ref.GemmMultiply(transposeA, false, m, n, k, a, transposeA ? m : k, b, n, c, n, accumulate);
                    Gemm.Multiply(transposeA, false, m, n, k, a, transposeA ? m : k, b, n, c, n, accumulate, GemmTestScope.PoisonedWorkspace());
                    Gemm.Multiply(transposeA, false, full, n, k, aFull, transposeA ? full : k, b, n, cFull, n, accumulate, GemmTestScope.PoisonedWorkspace());
                    string what = $"{m}×{n}×{k} acc={accumulate} ta={transposeA}";
                    Ref.GemmAssertClose(expected, c, 1e-4, what);
                    GemmTestScope.AssertBitwiseEqual(cFull.AsSpan(0, m * n), c, what + " against full panels");
                }
        });
    }

    /// <summary>
    /// The last 1–31 columns of an N that is not a multiple of 32 (1–24 run the AVX-512 edge-column kernels: a 12×16
    /// block and/or one vector per column) in full and short row panels, one and two K slices (the second adds to C),
    /// C overwritten or accumulated: each element has the same bits as when computed inside full 32-column tiles (N
    /// rounded up with more random columns), and matches the reference.
    /// </summary>
    [Theory]
    [InlineData(false, 41)]
    [InlineData(true, 41)]
    [InlineData(false, 390)]
    public void LastColumnsMatchFullTilesBitForBit(bool accumulate, int k)
    {
        GemmTestScope.WithWidth(16, () =>
        {
            foreach (int m in new[] { 12, 23, 5 })
                for (int n = 33; n < 64; n++)
                {
                    const int full = 64;
                    float[] a = Ref.GemmRandom(m * k, m * 5 + n);
                    // B [k × full]: the narrow GEMM's B is its first n columns.
                    float[] bFull = Ref.GemmRandom(k * full, n + 7), b = new float[k * n];
                    for (int p = 0; p < k; p++) Array.Copy(bFull, p * full, b, p * n, n);
                    float[] cFull = Ref.GemmRandom(m * full, n + 9), c = new float[m * n];
                    for (int i = 0; i < m; i++) Array.Copy(cFull, i * full, c, i * n, n);
                    double[] expected = Ref.GemmMultiply(false, false, m, n, k, a, k, b, n, c, n, accumulate);
                    Gemm.Multiply(false, false, m, n, k, a, k, b, n, c, n, accumulate, GemmTestScope.PoisonedWorkspace());
                    Gemm.Multiply(false, false, m, full, k, a, k, bFull, full, cFull, full, accumulate, GemmTestScope.PoisonedWorkspace());
                    string what = $"{m}×{n}×{k} acc={accumulate}";
                    Ref.GemmAssertClose(expected, c, 1e-4, what);
                    for (int i = 0; i < m; i++)
                        GemmTestScope.AssertBitwiseEqual(cFull.AsSpan(i * full, n), c.AsSpan(i * n, n), $"{what} row {i} against full tiles");
                }
        });
    }

    [Fact]
    public unsafe void PointerOverloadMatchesSpanOverload()
    {
        const int m = 19, n = 45, k = 23;
        float[] a = Ref.GemmRandom(m * k, 1), b = Ref.GemmRandom(n * k, 2);
        float[] viaSpan = new float[m * n], viaPointer = new float[m * n];
        Gemm.Multiply(false, true, m, n, k, a, k, b, k, viaSpan, n, false, new Workspace());
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = viaPointer)
            Gemm.Multiply(false, true, m, n, k, pa, k, pb, k, pc, n, false, new Workspace());
        GemmTestScope.AssertBitwiseEqual(viaSpan, viaPointer, "pointer vs span");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroDepthOverwritesOrKeepsC(bool accumulate)
    {
        float[] c = Ref.GemmRandom(12, 3);
        float[] before = (float[])c.Clone();
        Gemm.Multiply(false, false, 3, 4, 0, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 4, c, 4, accumulate, new Workspace());
        if (accumulate) Assert.Equal(before, c);
        else Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void EmptyOutputIsANoOp()
    {
        float[] c = { 5f };
        Gemm.Multiply(false, false, 0, 4, 3, ReadOnlySpan<float>.Empty, 3, new float[12], 4, Span<float>.Empty, 4, false, new Workspace());
        Gemm.Multiply(false, false, 1, 0, 3, new float[3], 3, ReadOnlySpan<float>.Empty, 1, c, 1, false, new Workspace());
        Assert.Equal(5f, c[0]);
    }

    [Fact]
    public void RejectsShortSpansAndSmallLeadingDimensions()
    {
        var ws = new Workspace();
        float[] a = new float[6], b = new float[12], c = new float[8];
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 4, 3, a.AsSpan(0, 5), 3, b, 4, c, 4, false, ws));
        Assert.Contains("A has 5 floats but 2×3 with leading dimension 3 needs 6", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 2, 4, 3, a, 3, b.AsSpan(0, 11), 3, c, 4, false, ws));
        Assert.Contains("B has 11 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 4, 3, a, 3, b, 4, c.AsSpan(0, 7), 4, false, ws));
        Assert.Contains("C has 7 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(true, false, 2, 4, 3, a, 1, b, 4, c, 4, false, ws));
        Assert.Contains("lda = 1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 4, 3, a, 3, b, 4, c, 4, false, ws));
        Assert.Throws<ArgumentNullException>(() => Gemm.Multiply(false, false, 2, 4, 3, a, 3, b, 4, c, 4, false, null!));
    }

    /// <summary>Split over N (wide C) and over M (tall, narrow C): the bits must not depend on the thread count.</summary>
    [Theory]
    [InlineData(8, 96, 400, 64, false, false)]
    [InlineData(8, 700, 20, 96, true, false)]
    [InlineData(1, 64, 260, 70, false, true)]
    [InlineData(1, 300, 9, 400, true, true)]
    [InlineData(16, 80, 150, 90, false, false)]
    public void ResultIsIdenticalForOneAndTwoThreads(int width, int m, int n, int k, bool ta, bool tb)
    {
        Assert.True((long)m * n * k >= Gemm.ParallelThreshold, "problem too small to run in parallel");
        float[] a = Ref.GemmRandom(m * k, 21), b = Ref.GemmRandom(k * n, 22);
        float[] start = Ref.GemmRandom(m * n, 23);
        float[] one = (float[])start.Clone(), two = (float[])start.Clone();
        GemmTestScope.WithWidth(width, () =>
        {
            GemmTestScope.WithThreads(1, () => Gemm.Multiply(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, one, n, true, new Workspace()));
            GemmTestScope.WithThreads(2, () => Gemm.Multiply(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, two, n, true, new Workspace()));
        });
        GemmTestScope.AssertBitwiseEqual(one, two, "1 vs 2 threads");
        double[] expected = Ref.GemmMultiply(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, start, n, true);
        Ref.GemmAssertClose(expected, two, 1e-4, "parallel GEMM");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RepeatedCallsDoNotAllocate(int threads)
    {
        const int m = 120, n = 300, k = 90;
        float[] a = Ref.GemmRandom(m * k, 1), b = Ref.GemmRandom(k * n, 2), c = new float[m * n];
        var ws = new Workspace();
        GemmTestScope.WithThreads(threads, () =>
        {
            long bytes = KernelThreadAllocations.Of(() => Gemm.Multiply(false, false, m, n, k, a, k, b, n, c, n, false, ws));
            Assert.Equal(0, bytes);
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(16)]
    public unsafe void FixedOrderSumMatchesReference(int width)
    {
        foreach (int length in new[] { 0, 1, 7, 8, 17, 100 })
        {
            float[] values = Ref.GemmRandom(length, length);
            double expected = 0;
            foreach (float v in values) expected += v;
            float actual = 0;
            GemmTestScope.WithWidth(width, () =>
            {
                fixed (float* p = values) actual = Gemm.Sum(p, length);
            });
            Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Max(1, length), $"sum of {length}: {actual} vs {expected}");
        }
    }
}
