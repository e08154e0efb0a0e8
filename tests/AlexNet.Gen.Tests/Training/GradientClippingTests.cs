using System;
using AlexNet.Gen;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Training;

public class GradientClippingTests
{
    private static float[] RandomGradients(int n, ulong seed, double scale)
    {
        var rng = new SeededRandom(seed);
        var g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float)(rng.NextGaussian() * scale);
        return g;
    }

    private static double NaiveNorm(float[] g)
    {
        double s = 0;
        foreach (float v in g) s += (double)v * v;
        return Math.Sqrt(s);
    }

    [Fact]
    public void ClipByGlobalNorm_ReturnsTheNormAndScalesToTheTarget()
    {
        var p = OptimizerTests.MakeParameters(1001, 1);
        RandomGradients(1001, 2, 3.0).CopyTo(p.Gradients, 0);
        var before = (float[])p.Gradients.Clone();
        double expectedNorm = NaiveNorm(before);

        double norm = GradientClipping.ClipByGlobalNorm(p, 5f);

        Assert.True(Math.Abs(norm - expectedNorm) <= 1e-12 * expectedNorm, $"norm {norm:R} vs {expectedNorm:R}");
        Assert.True(expectedNorm > 50, "the test data must need clipping");
        double after = NaiveNorm(p.Gradients);
        Assert.True(Math.Abs(after - 5.0) <= 1e-5, $"clipped norm {after}");
        // torch: every gradient times max_norm / (norm + 1e-6).
        double coefficient = 5.0 / (expectedNorm + 1e-6);
        for (int i = 0; i < before.Length; i++)
            Assert.True(Math.Abs(p.Gradients[i] - before[i] * coefficient) <= 1e-6 * Math.Abs(before[i] * coefficient) + 1e-12);
    }

    [Fact]
    public void ClipByGlobalNorm_BelowTheLimit_LeavesGradientsUntouched()
    {
        var g = RandomGradients(77, 3, 0.01);
        var before = (float[])g.Clone();
        double norm = GradientClipping.ClipByGlobalNorm(g, 10f);
        Assert.Equal(before, g);
        Assert.True(Math.Abs(norm - NaiveNorm(before)) <= 1e-12 * norm);
    }

    [Fact]
    public void SumOfSquares_ScalarAndVectorPathsAgreeBitwise()
    {
        foreach (int n in new[] { 0, 1, 7, 8, 13, 1000, 4099 })
        {
            var g = RandomGradients(n, (ulong)n + 4, 1.0);
            double scalar = GradientClipping.SumOfSquares(g, SimdPath.Scalar);
            double vector = GradientClipping.SumOfSquares(g, SimdPath.Vector256);
            Assert.Equal(BitConverter.DoubleToInt64Bits(scalar), BitConverter.DoubleToInt64Bits(vector));
            double naive = NaiveNorm(g);
            Assert.True(Math.Abs(Math.Sqrt(scalar) - naive) <= 1e-12 * Math.Max(naive, 1));
        }
    }

    [Fact]
    public void InvalidMaxNorm_Throws()
    {
        var g = new float[4];
        Assert.Equal("maxNorm", Assert.Throws<ArgumentException>(() => GradientClipping.ClipByGlobalNorm(g, 0f)).ParamName);
        Assert.Throws<ArgumentException>(() => GradientClipping.ClipByGlobalNorm(g, -1f));
        Assert.Throws<ArgumentException>(() => GradientClipping.ClipByGlobalNorm(g, float.NaN));
        Assert.Throws<ArgumentNullException>(() => GradientClipping.ClipByGlobalNorm((ParameterCollection)null!, 1f));
    }
}
