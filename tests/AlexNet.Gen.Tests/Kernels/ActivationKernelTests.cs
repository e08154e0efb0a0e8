using System;
using System.Linq;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Ref = AlexNet.Gen.Tests.Reference.Reference;
using static AlexNet.Gen.Tests.Reference.PointwiseTestUtil;

namespace AlexNet.Gen.Tests.Kernels;

public unsafe class ActivationKernelTests
{
    /// <summary>
    /// The fused-ReLU epilogues (convolution rows, Winograd tile rows, the dense GEMV) treat NaN, ±0, ±∞ and denormals as
    /// the ReLU kernel does, at every length around the vector width (the same bits).
    /// </summary>
    [Fact]
    public void FusedReluEpiloguesMatchTheReluKernelOnSpecialValues()
    {
        float[] special =
        {
            float.NaN, -0f, 0f, float.NegativeInfinity, float.PositiveInfinity, float.Epsilon, -float.Epsilon, 1.5f, -2.5f,
            float.MaxValue, float.MinValue, BitConverter.Int32BitsToSingle(0x7FC00001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00000)),
        };
        for (int count = 1; count <= 21; count++)
        {
            float[] src = Enumerable.Range(0, count).Select(i => special[(i * 5 + count) % special.Length]).ToArray();
            float[] expected = new float[count], viaCopy = new float[count], viaRow = new float[count], inPlace = (float[])src.Clone();
            Activations.Relu(src, expected);
            fixed (float* ps = src)
            fixed (float* pc = viaCopy)
            fixed (float* pr = viaRow)
            fixed (float* pi = inPlace)
            {
                Conv2d.CopyRunRelu(ps, pc, count);
                Conv2d.FinishRow(ps, pr, count, null, relu: true);
                Conv2d.FinishRow(pi, pi, count, null, relu: true);
            }
            FusedReluChecks.AssertSameBits(expected, viaCopy, $"CopyRunRelu, {count} floats");
            FusedReluChecks.AssertSameBits(expected, viaRow, $"FinishRow, {count} floats");
            FusedReluChecks.AssertSameBits(expected, inPlace, $"FinishRow in place, {count} floats");
        }

        // The GEMV's epilogue: one input feature of 1, so each output is its weight (the special values).
        float[] w = special, x = { 1f }, separate = new float[w.Length], reluOfSeparate = new float[w.Length], fused = new float[w.Length];
        Dense.Forward<OneFeature>(x, w, ReadOnlySpan<float>.Empty, separate, 1, new Workspace());
        Activations.Relu(separate, reluOfSeparate);
        Dense.Forward<DenseWithFusedRelu<OneFeature>>(x, w, ReadOnlySpan<float>.Empty, fused, 1, new Workspace());
        FusedReluChecks.AssertSameBits(reluOfSeparate, fused, "dense GEMV");
        Assert.Contains(fused, float.IsNaN);
    }

    private struct OneFeature : IDenseConfig
    {
        public static int InFeatures => 1; public static int OutFeatures => 13; public static bool HasBias => false;
    }

    // 37: below one parallel chunk with a ragged SIMD tail; 40000: several chunks (parallel path), batch-sized tails.
    [Theory, InlineData(37), InlineData(40000)]
    public void ReluMatchesReference(int length)
    {
        double[] x = UniformFloat(length, -3, 3, 61);
        double[] dy = UniformFloat(length, -1, 1, 62);
        var y = new float[length];
        Activations.Relu(ToFloat(x), y);
        AssertClose(y, Ref.ReluForward(x), 1e-4, "Relu");

        var dx = Enumerable.Repeat(float.NaN, length).ToArray();
        Activations.ReluBackward(y, ToFloat(dy), dx);
        AssertClose(dx, Ref.ReluBackward(x, dy), 1e-3, "ReluBackward");
    }

    [Fact]
    public void ReluRunsInPlace()
    {
        float[] data = ToFloat(UniformFloat(40000, -3, 3, 63));
        double[] expected = Ref.ReluForward(ToDouble(data));
        Activations.Relu(data, data);
        AssertClose(data, expected, 0, "Relu in place");

        float[] gradient = ToFloat(UniformFloat(40000, -1, 1, 64));
        double[] expectedGradient = Ref.ReluBackward(ToDouble(data), ToDouble(gradient)); // y > 0 ⇔ x > 0
        Activations.ReluBackward(data, gradient, gradient);
        AssertClose(gradient, expectedGradient, 0, "ReluBackward in place");
    }

    [Theory, InlineData(37, 1.0), InlineData(37, 0.3), InlineData(40000, 1.0), InlineData(40000, 0.3)]
    public void EluMatchesReference(int length, double alpha)
    {
        double[] x = UniformFloat(length, -6, 4, 65);
        x[0] = -1e4; // saturates at −alpha
        double[] dy = UniformFloat(length, -1, 1, 66);
        var y = new float[length];
        Activations.Elu(ToFloat(x), y, (float)alpha);
        AssertClose(y, Ref.EluForward(x, alpha), 1e-4, "Elu");

        var dx = Enumerable.Repeat(float.NaN, length).ToArray();
        Activations.EluBackward(y, ToFloat(dy), dx, (float)alpha);
        AssertClose(dx, Ref.EluBackward(x, dy, alpha), 1e-3, "EluBackward");

        float[] inPlace = ToFloat(x);
        Activations.Elu(inPlace, inPlace, (float)alpha);
        Assert.Equal(y, inPlace);

        // exp(100) overflows float: the positive branch must be exact and never see it.
        var extremes = new float[2];
        Activations.Elu(new[] { 100f, 1e30f }, extremes, (float)alpha);
        Assert.Equal(new[] { 100f, 1e30f }, extremes);
    }

    [Theory, InlineData(1.0), InlineData(0.3)]
    public void ActivationReferenceBackwardsMatchFiniteDifferences(double alpha)
    {
        // Keep clear of the kink at 0, where the derivative is undefined.
        double[] x = Uniform(200, -3, 3, 67).Select(v => Math.Abs(v) < 1e-3 ? v + 0.01 : v).ToArray();
        double[] dy = Uniform(200, -1, 1, 68);
        AssertClose(Ref.ReluBackward(x, dy), FiniteDifference(Ref.ReluForward, x, dy), 1e-6, "Relu reference backward");
        AssertClose(Ref.EluBackward(x, dy, alpha), FiniteDifference(v => Ref.EluForward(v, alpha), x, dy), 1e-6, "Elu reference backward");
    }

    [Theory, InlineData(1), InlineData(8), InlineData(19), InlineData(64)]
    public void EverySimdPathOfTheGradientSelectsIsCorrect(int n)
    {
        float[] y = ToFloat(UniformFloat(n, -1, 2, 69));
        y[0] = 0f; // y = 0 is not > 0
        float[] dy = ToFloat(UniformFloat(n, -1, 1, 70));
        const float alpha = 0.7f;
        double[] expectedRelu = y.Select((v, i) => v > 0 ? dy[i] : 0.0).ToArray();
        double[] expectedElu = y.Select((v, i) => v > 0 ? dy[i] : dy[i] * ((double)v + alpha)).ToArray();
        for (int path = 0; path < 3; path++)
        {
            var relu = new float[n];
            var elu = new float[n];
            fixed (float* pY = y, pDy = dy, pRelu = relu, pElu = elu)
            {
                switch (path)
                {
                    case 0: ActivationSimd.ReluBackward512(pY, pDy, pRelu, n); ActivationSimd.EluBackward512(pY, pDy, pElu, n, alpha); break;
                    case 1: ActivationSimd.ReluBackward256(pY, pDy, pRelu, n); ActivationSimd.EluBackward256(pY, pDy, pElu, n, alpha); break;
                    default: ActivationSimd.ReluBackwardScalar(pY, pDy, pRelu, 0, n); ActivationSimd.EluBackwardScalar(pY, pDy, pElu, 0, n, alpha); break;
                }
            }
            AssertClose(relu, expectedRelu, 0, "relu path " + path);
            AssertClose(elu, expectedElu, 1e-6, "elu path " + path);
        }
    }

    [Fact]
    public void ActivationArgumentsAreChecked()
    {
        var ex = Assert.Throws<ArgumentException>(() => Activations.Relu(new float[4], new float[3]));
        Assert.Equal("output", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Activations.EluBackward(new float[4], new float[4], new float[5], 1f));
        Assert.Equal("inputGradient", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Elu(new float[4], new float[4], float.NaN));
    }

    // ---- dropout ----

    [Theory, InlineData(0.5f), InlineData(0.1f), InlineData(0.8f)]
    public void DropoutMaskHasTheRightStatisticsAndScale(float p)
    {
        const int n = 100_000;
        float[] x = ToFloat(UniformFloat(n, -2, 2, 71));
        var y = new float[n];
        var mask = new float[n];
        Dropout.ForwardTraining(x, y, mask, p, new SeededRandom(72));

        float keep = 1f / (1f - p);
        int zeros = mask.Count(m => m == 0f);
        Assert.Equal(n, zeros + mask.Count(m => m == keep)); // nothing but 0 and 1/(1−p)
        // Binomial(n, p): |zeros − np| within 5 standard deviations.
        double sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(zeros, n * p - 5 * sd, n * p + 5 * sd);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] * mask[i], y[i]);

        double[] dy = UniformFloat(n, -1, 1, 73);
        var dx = new float[n];
        Dropout.Backward(ToFloat(dy), mask, dx);
        AssertClose(dx, Ref.DropoutBackward(dy, mask), 1e-6, "dropout backward");
    }

    [Fact]
    public void DropoutReferenceBackwardMatchesFiniteDifferences()
    {
        var mask = new float[300];
        Dropout.ForwardTraining(new float[300], new float[300], mask, 0.4f, new SeededRandom(81));
        double[] x = Uniform(300, -2, 2, 82);
        double[] dy = Uniform(300, -1, 1, 83);
        double[] numeric = FiniteDifference(v => v.Select((e, i) => e * mask[i]).ToArray(), x, dy);
        AssertClose(Ref.DropoutBackward(dy, mask), numeric, 1e-6, "dropout reference backward");
    }

    [Fact]
    public void DropoutIsReproducibleFromTheSeed()
    {
        const int n = 4096;
        float[] x = ToFloat(UniformFloat(n, -2, 2, 74));
        float[] Mask(ulong seed)
        {
            var mask = new float[n];
            Dropout.ForwardTraining(x, new float[n], mask, 0.5f, new SeededRandom(seed));
            return mask;
        }
        // Two independent runs from the same seed: a nondeterministic mask would make them differ.
        var firstRun = Mask(75);
        var secondRun = Mask(75);
        Assert.Equal(firstRun, secondRun);
        Assert.NotEqual(Mask(75), Mask(76));

        // The contract: element i is dropped when the generator's i-th NextSingle() is below p.
        var random = new SeededRandom(75);
        float[] expected = Enumerable.Range(0, n).Select(_ => random.NextSingle() < 0.5f ? 0f : 2f).ToArray();
        Assert.Equal(expected, Mask(75));

        // Consecutive calls continue the same stream (a training step after another gets a fresh mask).
        var shared = new SeededRandom(75);
        var first = new float[n];
        var second = new float[n];
        Dropout.ForwardTraining(x, new float[n], first, 0.5f, shared);
        Dropout.ForwardTraining(x, new float[n], second, 0.5f, shared);
        Assert.Equal(expected, first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void DropoutWithZeroProbabilityIsTheIdentity()
    {
        float[] x = ToFloat(UniformFloat(1000, -2, 2, 77));
        var y = new float[x.Length];
        var mask = new float[x.Length];
        Dropout.ForwardTraining(x, y, mask, 0f, new SeededRandom(78));
        Assert.Equal(x, y);
        Assert.All(mask, m => Assert.Equal(1f, m));

        float[] dy = ToFloat(UniformFloat(1000, -1, 1, 79));
        var dx = new float[dy.Length];
        Dropout.Backward(dy, mask, dx);
        Assert.Equal(dy, dx);
    }

    [Fact]
    public void DropoutArgumentsAreChecked()
    {
        var random = new SeededRandom(80);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.ForwardTraining(new float[4], new float[4], new float[4], 1.5f, random));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.ForwardTraining(new float[4], new float[4], new float[4], -0.1f, random));
        var ex = Assert.Throws<ArgumentException>(() => Dropout.ForwardTraining(new float[4], new float[4], new float[3], 0.5f, random));
        Assert.Equal("mask", ex.ParamName);
        Assert.Throws<ArgumentNullException>(() => Dropout.ForwardTraining(new float[4], new float[4], new float[4], 0.5f, null!));
    }
}
