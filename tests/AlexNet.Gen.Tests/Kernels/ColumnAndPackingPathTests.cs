using System;
using AlexNet.Gen.Kernels;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

/// <summary>
/// The vectorized data-movement paths: strided im2col rows (AVX2 gathers, 8 at a time plus an overlapping tail),
/// col2im row adds, and the 6×8 register transpose that packs row-major A for the 6×16 kernel.
/// </summary>
[Collection(KernelStateCollection.Name)]
public class ColumnAndPackingPathTests
{
    /// <summary>
    /// Naive im2col of <paramref name="samples"/> samples side by side: column row (c·KH + kh)·KW + kw, column
    /// s·P + oh·OW + ow, zero outside the image.
    /// </summary>
    internal static float[] NaiveColumns(in Conv2d.Geometry g, float[] x, int samples = 1)
    {
        int width = samples * g.Pixels;
        var cols = new float[g.Depth * width];
        for (int s = 0; s < samples; s++)
            for (int c = 0; c < g.InPerGroup; c++)
                for (int kh = 0; kh < g.KernelHeight; kh++)
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                        for (int oh = 0; oh < g.OutHeight; oh++)
                            for (int ow = 0; ow < g.OutWidth; ow++)
                            {
                                int ih = oh * g.StrideHeight + kh - g.PadTop, iw = ow * g.StrideWidth + kw - g.PadLeft;
                                bool inside = ih >= 0 && ih < g.InHeight && iw >= 0 && iw < g.InWidth;
                                int row = (c * g.KernelHeight + kh) * g.KernelWidth + kw;
                                cols[row * width + s * g.Pixels + oh * g.OutWidth + ow] =
                                    inside ? x[s * g.InputSize + (c * g.InHeight + ih) * g.InWidth + iw] : 0f;
                            }
        return cols;
    }

    public static TheoryData<int, int, int, int, int, int> Geometries => new()
    {
        // in size, kernel, stride, pad, out size (rows of 8, 9, 15, 16, 17 and 55 valid columns), channels
        { 227, 11, 4, 0, 55, 2 },
        { 39, 11, 4, 0, 8, 2 },
        { 43, 11, 4, 0, 9, 1 },
        { 31, 3, 2, 1, 15, 2 },
        { 33, 3, 2, 1, 16, 1 },
        { 51, 3, 3, 0, 17, 1 },
        { 27, 5, 1, 2, 27, 2 },
        { 13, 3, 1, 1, 13, 2 },
        // stride-1 rows of at most 32 columns take the masked-load path: 7, 8, 9, 28 and 32 columns, a kernel wider
        // than the image, and padding only on one side through the output size
        { 7, 3, 1, 1, 7, 3 },
        { 8, 1, 1, 0, 8, 2 },
        { 9, 5, 1, 2, 9, 1 },
        { 28, 3, 1, 1, 28, 1 },
        { 32, 3, 1, 1, 32, 1 },
        { 4, 7, 1, 3, 4, 2 },
        { 6, 2, 1, 0, 6, 1 },
    };

    /// <summary>
    /// Several samples side by side (the blocked convolution): sample s's columns start at s·P in each row of a
    /// wider matrix, every element is written, nothing outside the matrix and its slack is touched, on both the
    /// masked-load path (stride 1, narrow rows) and the run-filling path.
    /// </summary>
    [Theory]
    [InlineData(7, 3, 1, 1, 7, 2, 3)]
    [InlineData(14, 3, 1, 1, 14, 3, 2)]
    [InlineData(9, 5, 1, 2, 9, 1, 5)]
    [InlineData(33, 3, 2, 1, 16, 2, 2)]
    [InlineData(40, 3, 1, 1, 40, 1, 2)]
    public unsafe void BlockIm2ColPutsSamplesSideBySide(int size, int kernel, int stride, int pad, int outSize, int channels, int samples)
    {
        var g = new Conv2d.Geometry(channels, size, size, 1, outSize, outSize, kernel, kernel, stride, stride, pad, pad, 1, false);
        float[] x = Ref.GemmRandom(samples * g.InputSize, 33);
        int width = samples * g.Pixels, guard = 64;
        var cols = new float[g.Depth * width + Conv2d.ColumnSlack + guard];
        Array.Fill(cols, float.NaN);
        fixed (float* px = x) fixed (float* pc = cols) Conv2d.Im2Col(g, px, pc, width, samples);
        for (int s = 0; s < samples; s++)
        {
            float[] expected = NaiveColumns(g, x.AsSpan(s * g.InputSize, g.InputSize).ToArray());
            for (int row = 0; row < g.Depth; row++)
                GemmTestScope.AssertBitwiseEqual(expected.AsSpan(row * g.Pixels, g.Pixels), cols.AsSpan(row * width + s * g.Pixels, g.Pixels),
                    $"sample {s}, column row {row}");
        }
        for (int i = g.Depth * width + Conv2d.ColumnSlack; i < cols.Length; i++)
            Assert.True(float.IsNaN(cols[i]), $"im2col wrote element {i}, past the matrix and its slack");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public unsafe void Im2ColAndCol2ImMatchNaiveLoops(int size, int kernel, int stride, int pad, int outSize, int channels)
    {
        var g = new Conv2d.Geometry(channels, size, size, 1, outSize, outSize, kernel, kernel, stride, stride, pad, pad, 1, false);
        float[] x = Ref.GemmRandom(channels * size * size, 31);
        float[] expected = NaiveColumns(g, x);
        var cols = new float[expected.Length + Conv2d.ColumnSlack];
        Array.Fill(cols, float.NaN); // every element must be written
        fixed (float* px = x) fixed (float* pc = cols) Conv2d.Im2Col(g, px, pc);
        GemmTestScope.AssertBitwiseEqual(expected, cols.AsSpan(0, expected.Length), "im2col");

        // col2im is the adjoint: dx[i] = Σ of the column entries that read x[i], summed in (row, column) order.
        float[] dcols = Ref.GemmRandom(expected.Length, 32);
        var dxExpected = new float[x.Length];
        for (int c = 0; c < channels; c++)
            for (int kh = 0; kh < kernel; kh++)
                for (int kw = 0; kw < kernel; kw++)
                    for (int oh = 0; oh < outSize; oh++)
                        for (int ow = 0; ow < outSize; ow++)
                        {
                            int ih = oh * stride + kh - pad, iw = ow * stride + kw - pad;
                            if (ih < 0 || ih >= size || iw < 0 || iw >= size) continue;
                            dxExpected[(c * size + ih) * size + iw] += dcols[((c * kernel + kh) * kernel + kw) * g.Pixels + oh * outSize + ow];
                        }
        var dx = new float[x.Length];
        Array.Fill(dx, float.NaN); // col2im must clear before accumulating
        fixed (float* pd = dcols) fixed (float* px = dx) Conv2d.Col2Im(g, pd, px);
        GemmTestScope.AssertBitwiseEqual(dxExpected, dx, "col2im");
    }

    /// <summary>
    /// Row-major A at the AVX2 width: panel depths below, at and just past one 8-wide transpose block, and a
    /// K split by the KC block (a short second slice), with M leaving a partial panel (scalar path) and NaN in
    /// A's padding columns so a read past the block shows.
    /// </summary>
    [Theory]
    [InlineData(13, 1)]
    [InlineData(13, 7)]
    [InlineData(13, 8)]
    [InlineData(13, 9)]
    [InlineData(12, 16)]
    [InlineData(6, 17)]
    [InlineData(19, 263)]
    public void RowMajorAPackingMatchesReference(int m, int k)
    {
        const int n = 21;
        int lda = k + 5;
        float[] a = Ref.GemmRandom(m * lda, 41);
        for (int i = 0; i < m; i++)
            for (int p = k; p < lda; p++) a[i * lda + p] = float.NaN;
        float[] b = Ref.GemmRandom(k * n, 42);
        var c = new float[m * n];
        GemmTestScope.WithWidth(8, () => Gemm.Multiply(false, false, m, n, k, a, lda, b, n, c, n, false, GemmTestScope.PoisonedWorkspace()));
        double[] expected = Ref.GemmMultiply(false, false, m, n, k, a, lda, b, n, new float[m * n], n, false);
        Ref.GemmAssertClose(expected, c, 1e-5, "row-major A at width 8");
    }
}
