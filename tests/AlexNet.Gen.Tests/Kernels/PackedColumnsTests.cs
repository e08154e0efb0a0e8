using System;
using System.Linq;
using AlexNet.Gen.Kernels;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

/// <summary>
/// im2col written straight into the GEMM's packed B̃ layout (forward: columns; weight gradient: columnsᵀ) and the
/// GEMM that reads it. The expected layout is rebuilt here from its definition (K slices of KC rows in order; in
/// each, NR-column panels of kcb·NR floats; zero past the last column), not from the kernel's offset helper.
/// </summary>
[Collection(KernelStateCollection.Name)]
public class PackedColumnsTests
{
    /// <summary>Element (row, j) of a packed [k × n] op(B) with panels of nr columns and K slices of kc rows.</summary>
    private static int PackedIndex(int row, int j, int k, int n, int nr, int kc)
    {
        int paddedN = (n + nr - 1) / nr * nr;
        int pc = row / kc * kc, kcb = Math.Min(kc, k - pc);
        return pc * paddedN + j / nr * kcb * nr + (row - pc) * nr + j % nr;
    }

    public static TheoryData<int, int, int, int, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, int, int>();
        // in size, kernel, stride, pad, out size, channels, samples; then the SIMD width and a forced KC (0 = default)
        int[][] shapes =
        {
            new[] { 39, 11, 4, 0, 8, 2, 1 },   // strided gathers, one sample
            new[] { 31, 3, 2, 1, 15, 2, 3 },  // strided, several samples
            new[] { 7, 3, 1, 1, 7, 3, 3 },    // masked loads, width 147 (not a whole panel)
            new[] { 9, 5, 1, 2, 9, 2, 2 },    // masked loads, depth 50
            new[] { 40, 3, 1, 1, 40, 1, 1 },  // stride-1 copies, rows wider than the masked limit
            new[] { 4, 7, 1, 3, 4, 2, 1 },    // kernel wider than the image
            new[] { 45, 11, 4, 2, 10, 2, 2 }, // strided gathers, padded, several samples
            new[] { 38, 7, 3, 1, 12, 1, 2 },  // strided gathers, stride 3
        };
        foreach (var s in shapes)
            foreach (int width in GemmTestScope.Widths)
                foreach (int kc in new[] { 0, 7 })
                    data.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], width, kc);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardColumnsLandInThePackedLayout(int size, int kernel, int stride, int pad, int outSize, int channels,
        int samples, int width, int forcedKc) =>
        CheckPackedColumns(transposed: false, size, kernel, stride, pad, outSize, channels, samples, width, forcedKc);

    /// <summary>The forward columns with their row groups split over two threads, each with its own staging rows
    /// (a lone sample's im2col while the GEMM runs on two lanes).</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardColumnsOnTwoLanesLandInThePackedLayout(int size, int kernel, int stride, int pad, int outSize, int channels,
        int samples, int width, int forcedKc) =>
        GemmTestScope.WithThreads(2, () =>
            CheckPackedColumns(transposed: false, size, kernel, stride, pad, outSize, channels, samples, width, forcedKc, lanes: 2));

    [Theory]
    [MemberData(nameof(Cases))]
    public void TransposedColumnsLandInThePackedLayout(int size, int kernel, int stride, int pad, int outSize, int channels,
        int samples, int width, int forcedKc) =>
        CheckPackedColumns(transposed: true, size, kernel, stride, pad, outSize, channels, samples, width, forcedKc);

    /// <summary>
    /// Forward: op(B) = columns [Depth × samples·P]; transposed (weight gradient): op(B) = columnsᵀ [samples·P × Depth].
    /// Every element lands where the layout puts it, padding is zero, nothing past the packed buffer or the staging
    /// buffer is written.
    /// </summary>
    private static unsafe void CheckPackedColumns(bool transposed, int size, int kernel, int stride, int pad, int outSize,
        int channels, int samples, int width, int forcedKc, int lanes = 1)
    {
        var g = new Conv2d.Geometry(channels, size, size, 1, outSize, outSize, kernel, kernel, stride, stride, pad, pad, 1, false);
        float[] x = Ref.GemmRandom(samples * g.InputSize, transposed ? 52 : 51);
        int pixels = samples * g.Pixels;
        int k = transposed ? pixels : g.Depth, n = transposed ? g.Depth : pixels;
        float[] columns = ColumnAndPackingPathTests.NaiveColumns(g, x, samples);
        WithBlocking(width, forcedKc, (nr, kc) =>
        {
            int paddedN = (n + nr - 1) / nr * nr;
            Assert.Equal(k * paddedN, Gemm.PackedBSize(k, n));
            var packed = new float[k * paddedN + 64];
            int stagingSize = Conv2d.StagingSize(g, samples);
            var staging = new float[lanes * stagingSize + 64];
            Array.Fill(packed, float.NaN);
            Array.Fill(staging, float.NaN);
            fixed (float* px = x) fixed (float* pp = packed) fixed (float* ps = staging)
            {
                if (transposed) Conv2d.Im2ColPackedTransposed(g, px, pp, ps, samples);
                else Conv2d.Im2ColPacked(g, px, pp, ps, samples, lanes: lanes, stagingSize: stagingSize);
            }
            var want = new float[k * paddedN];
            for (int row = 0; row < k; row++)
                for (int j = 0; j < paddedN; j++)
                    want[PackedIndex(row, j, k, n, nr, kc)] = j >= n ? 0f : transposed ? columns[j * k + row] : columns[row * n + j];
            string what = transposed ? "packed columnsᵀ" : "packed columns";
            GemmTestScope.AssertBitwiseEqual(want, packed.AsSpan(0, want.Length), $"{what}, NR {nr}, KC {kc}");
            AssertUntouched(packed, want.Length, what);
            AssertUntouched(staging, lanes * stagingSize, "staging rows");
        });
    }

    /// <summary>
    /// The GEMM on a pre-packed op(B) gives the same bits as the GEMM that packs B itself (same slices, same panels,
    /// same micro-kernel), on one and two threads, overwriting and accumulating, across forced cache blocks.
    /// </summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(8, 0)]
    [InlineData(16, 0)]
    [InlineData(1, 5)]
    [InlineData(8, 5)]
    [InlineData(16, 5)]
    public unsafe void PrepackedGemmMatchesPackingGemmBitwise(int width, int forcedKc)
    {
        const int m = 37, n = 101, k = 300;
        float[] a = Ref.GemmRandom(m * k, 61), b = Ref.GemmRandom(k * n, 62), c0 = Ref.GemmRandom(m * n, 63);
        WithBlocking(width, forcedKc, (nr, kc) =>
        {
            int paddedN = (n + nr - 1) / nr * nr;
            var packed = new float[k * paddedN];
            for (int row = 0; row < k; row++)
                for (int j = 0; j < paddedN; j++)
                    packed[PackedIndex(row, j, k, n, nr, kc)] = j < n ? b[row * n + j] : 0f;
            foreach (int threads in new[] { 1, 2 })
                foreach (bool accumulate in new[] { false, true })
                {
                    float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
                    GemmTestScope.WithThreads(threads, () =>
                        Gemm.Multiply(false, false, m, n, k, a, k, b, n, expected, n, accumulate, GemmTestScope.PoisonedWorkspace()));
                    int lanes = threads;
                    var packA = new float[lanes * Gemm.PackASize(m, k)];
                    GemmTestScope.WithThreads(threads, () =>
                    {
                        fixed (float* pa = a) fixed (float* pp = packed) fixed (float* pc = actual) fixed (float* pA = packA)
                            Gemm.MultiplyPrepacked(m, n, k, pa, k, pp, pc, n, accumulate, pA, lanes);
                    });
                    GemmTestScope.AssertBitwiseEqual(expected, actual, $"prepacked GEMM, {threads} thread(s), accumulate {accumulate}");
                }
        });
    }

    /// <summary>
    /// A packed whole once (<see cref="Gemm.PackAWhole"/>, the layout of the cached Winograd weights) and read in place
    /// gives the same bits as the GEMM that packs A block by block, overwriting and accumulating, across forced K slices
    /// and row blocks, from a row-major A with padded rows; the packing writes nothing past its size.
    /// </summary>
    [Theory]
    [InlineData(1, 0, 0)]
    [InlineData(8, 0, 0)]
    [InlineData(16, 0, 0)]
    [InlineData(1, 5, 13)]
    [InlineData(8, 5, 13)]
    [InlineData(16, 19, 13)]
    [InlineData(16, 5, 25)]
    public unsafe void WholePackedAGemmMatchesPackingGemmBitwise(int width, int forcedKc, int forcedMc)
    {
        const int m = 37, n = 101, k = 300, lda = k + 3;
        float[] a = Ref.GemmRandom(m * lda, 71), b = Ref.GemmRandom(k * n, 72), c0 = Ref.GemmRandom(m * n, 73);
        int savedM = Gemm.ForceBlockM;
        try
        {
            Gemm.ForceBlockM = forcedMc;
            WithBlocking(width, forcedKc, (nr, kc) =>
            {
                int paddedN = (n + nr - 1) / nr * nr;
                var packedB = new float[k * paddedN];
                for (int row = 0; row < k; row++)
                    for (int j = 0; j < paddedN; j++)
                        packedB[PackedIndex(row, j, k, n, nr, kc)] = j < n ? b[row * n + j] : 0f;
                int size = Gemm.PackedASize(m, k);
                var packedA = Enumerable.Repeat(float.NaN, size + 64).ToArray();
                fixed (float* pa = a) fixed (float* pA = packedA) Gemm.PackAWhole(m, k, pa, lda, pA);
                AssertUntouched(packedA, size, "whole packed A");
                foreach (bool accumulate in new[] { false, true })
                {
                    float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
                    GemmTestScope.WithThreads(1, () =>
                        Gemm.Multiply(false, false, m, n, k, a, lda, b, n, expected, n, accumulate, GemmTestScope.PoisonedWorkspace()));
                    fixed (float* pA = packedA) fixed (float* pp = packedB) fixed (float* pc = actual)
                        Gemm.MultiplyPacked(m, n, k, pA, pp, pc, n, accumulate);
                    GemmTestScope.AssertBitwiseEqual(expected, actual, $"whole packed A, accumulate {accumulate}");
                }
            });
        }
        finally
        {
            Gemm.ForceBlockM = savedM;
        }
    }

    /// <summary>Runs <paramref name="check"/>(NR, KC) at a forced SIMD width and, if given, a forced KC.</summary>
    private static void WithBlocking(int width, int forcedKc, Action<int, int> check)
    {
        int savedK = Gemm.ForceBlockK;
        try
        {
            Gemm.ForceBlockK = forcedKc;
            GemmTestScope.WithWidth(width, () => check(Gemm.PanelWidth, Gemm.SliceDepth));
        }
        finally
        {
            Gemm.ForceBlockK = savedK;
        }
    }

    private static void AssertUntouched(float[] buffer, int from, string what)
    {
        for (int i = from; i < buffer.Length; i++)
            Assert.True(float.IsNaN(buffer[i]), $"{what}: element {i} written, past the buffer's size {from}");
    }
}
