using System;
using AlexNet.Gen;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Training;

public class OptimizerTests
{
    // 37 = several 8- and 16-wide vectors plus a scalar tail.
    private const int N = 37;

    internal static ParameterCollection MakeParameters(int n, ulong seed)
    {
        var values = new float[n];
        var gradients = new float[n];
        var rng = new SeededRandom(seed);
        for (int i = 0; i < n; i++) values[i] = (float)rng.NextGaussian();
        return new ParameterCollection(values, gradients, new[]
        {
            new Parameter("a.weight", new[] { n - 5 }, 0, values, gradients),
            new Parameter("a.bias", new[] { 5 }, n - 5, values, gradients),
        });
    }

    /// <summary>Deterministic gradients for step t (differ per step and element).</summary>
    private static void SetGradients(ParameterCollection p, int step)
    {
        for (int i = 0; i < p.Gradients.Length; i++)
            p.Gradients[i] = (float)(Math.Sin(0.7 * i + 1.3 * step) * (1 + 0.1 * step));
    }

    private static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);

    private static void AssertClose(double[] expected, float[] actual, double tolerance = 2e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    /// <summary>torch.optim.SGD written out in double, element by element.</summary>
    private static void ReferenceSgd(double[] w, double[] g, double[] buf, int step, double lr, double momentum,
        double dampening, double wd, bool nesterov)
    {
        for (int i = 0; i < w.Length; i++)
        {
            double d = g[i] + wd * w[i];
            if (momentum != 0)
            {
                buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buf[i] : buf[i];
            }
            w[i] -= lr * d;
        }
    }

    [Theory]
    [InlineData(0.1, 0.0, 0.0, 0.0, false)] // plain
    [InlineData(0.05, 0.9, 0.0, 0.0, false)] // momentum
    [InlineData(0.05, 0.9, 0.3, 0.0, false)] // dampening
    [InlineData(0.1, 0.0, 0.0, 0.01, false)] // weight decay, no momentum
    [InlineData(0.01, 0.9, 0.0, 5e-4, false)] // the paper's configuration
    [InlineData(0.05, 0.9, 0.0, 1e-3, true)] // Nesterov
    public void Sgd_ThreeSteps_MatchHandComputedUpdates(double lr, double momentum, double dampening, double wd, bool nesterov)
    {
        var p = MakeParameters(N, 1);
        var w = ToDouble(p.Values);
        var buf = new double[N];
        var sgd = new Sgd(p, lr, momentum, dampening, wd, nesterov);
        for (int step = 1; step <= 3; step++)
        {
            // The rate changes before the third step, as a schedule would do.
            double rate = step == 3 ? lr / 10 : lr;
            sgd.LearningRate = rate;
            SetGradients(p, step);
            ReferenceSgd(w, ToDouble(p.Gradients), buf, step, rate, momentum, dampening, wd, nesterov);
            sgd.Step();
            AssertClose(w, p.Values);
        }
        Assert.Equal(3, sgd.StepCount);
        if (momentum != 0) AssertClose(buf, sgd.MomentumBuffer.ToArray(), 1e-5);
        else Assert.Equal(0, sgd.MomentumBuffer.Length);
    }

    [Fact]
    public void Sgd_AtConstantRate_EqualsThePapersUpdateRule()
    {
        // v ← 0.9·v − 0.0005·ε·w − ε·∇, w ← w + v (Krizhevsky et al. 2012, section 5).
        const double eps = 0.01;
        var p = MakeParameters(N, 2);
        var w = ToDouble(p.Values);
        var v = new double[N];
        var sgd = new Sgd(p, eps, momentum: 0.9, weightDecay: 0.0005);
        for (int step = 1; step <= 3; step++)
        {
            SetGradients(p, step);
            for (int i = 0; i < N; i++)
            {
                v[i] = 0.9 * v[i] - 0.0005 * eps * w[i] - eps * p.Gradients[i];
                w[i] += v[i];
            }
            sgd.Step();
            AssertClose(w, p.Values);
        }
    }

    [Fact]
    public void AdamW_ThreeSteps_MatchHandComputedUpdates()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        var p = MakeParameters(N, 3);
        var w = ToDouble(p.Values);
        var m = new double[N];
        var v = new double[N];
        var adam = new AdamW(p, lr, b1, b2, eps, wd);
        for (int t = 1; t <= 3; t++)
        {
            SetGradients(p, t);
            for (int i = 0; i < N; i++)
            {
                double g = p.Gradients[i];
                w[i] -= lr * wd * w[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                w[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            adam.Step();
            AssertClose(w, p.Values);
        }
        AssertClose(m, adam.FirstMoment.ToArray(), 1e-5);
        AssertClose(v, adam.SecondMoment.ToArray(), 1e-5);
        Assert.Equal(3, adam.StepCount);
    }

    [Fact]
    public void AdamW_DefaultsAreTorchDefaults()
    {
        var adam = new AdamW(MakeParameters(N, 4));
        Assert.Equal(1e-3, adam.LearningRate);
        Assert.Equal(0.9, adam.Beta1);
        Assert.Equal(0.999, adam.Beta2);
        Assert.Equal(1e-8, adam.Epsilon);
        Assert.Equal(1e-2, adam.WeightDecay);
    }

    [Fact]
    public void InvalidHyperparameters_Throw()
    {
        var p = MakeParameters(N, 5);
        Assert.Throws<ArgumentException>(() => new Sgd(p, -0.1));
        Assert.Throws<ArgumentException>(() => new Sgd(p, double.NaN));
        Assert.Throws<ArgumentException>(() => new Sgd(p, 0.1, momentum: -0.5));
        Assert.Throws<ArgumentException>(() => new Sgd(p, 0.1, weightDecay: -1e-4));
        Assert.Throws<ArgumentException>(() => new Sgd(p, 0.1, dampening: double.PositiveInfinity));
        var nesterovNoMomentum = Assert.Throws<ArgumentException>(() => new Sgd(p, 0.1, nesterov: true));
        Assert.Equal("nesterov", nesterovNoMomentum.ParamName);
        Assert.Throws<ArgumentException>(() => new Sgd(p, 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new AdamW(p, beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new AdamW(p, beta2: -0.1));
        Assert.Throws<ArgumentException>(() => new AdamW(p, epsilon: -1e-8));
        Assert.Throws<ArgumentException>(() => new AdamW(p, weightDecay: -0.01));
        Assert.Throws<ArgumentNullException>(() => new AdamW(null!));
        var sgd = new Sgd(p, 0.1);
        Assert.Throws<ArgumentException>(() => sgd.LearningRate = -1);
        Assert.Equal(0.1, sgd.LearningRate);
    }

    [Theory]
    [InlineData(false, 0.0, 0.0, false)]
    [InlineData(false, 0.9, 5e-4, false)]
    [InlineData(true, 0.9, 5e-4, false)]
    [InlineData(false, 0.9, 0.0, true)]
    public void SgdKernel_AllSimdPathsAgreeBitwise(bool firstStep, double momentum, double wd, bool nesterov)
    {
        const int n = 1003;
        var rng = new SeededRandom(6);
        var w0 = new float[n];
        var g = new float[n];
        var b0 = new float[n];
        for (int i = 0; i < n; i++)
        {
            w0[i] = (float)rng.NextGaussian();
            g[i] = (float)rng.NextGaussian();
            b0[i] = (float)rng.NextGaussian();
        }
        var s = new SgdScalars(0.037, wd, momentum, 0.1 * (nesterov ? 0 : 1), firstStep, nesterov);
        float[]? reference = null, referenceBuf = null;
        foreach (var path in new[] { SimdPath.Scalar, SimdPath.Vector256, SimdPath.Vector512 })
        {
            var w = (float[])w0.Clone();
            var b = (float[])b0.Clone();
            OptimizerKernels.Sgd(w, g, b, s, path);
            reference ??= w;
            referenceBuf ??= b;
            Assert.Equal(reference, w);
            Assert.Equal(referenceBuf, b);
        }
        Assert.NotEqual(w0, reference);
    }

    [Fact]
    public void AdamWKernel_AllSimdPathsAgreeBitwise()
    {
        const int n = 1003;
        var rng = new SeededRandom(7);
        var w0 = new float[n];
        var g = new float[n];
        var m0 = new float[n];
        var v0 = new float[n];
        for (int i = 0; i < n; i++)
        {
            w0[i] = (float)rng.NextGaussian();
            g[i] = (float)rng.NextGaussian();
            m0[i] = (float)(0.1 * rng.NextGaussian());
            v0[i] = (float)(0.01 * rng.NextDouble());
        }
        var s = new AdamWScalars(0.003, 0.9, 0.999, 1e-8, 0.05, step: 4);
        float[]? rw = null, rm = null, rv = null;
        foreach (var path in new[] { SimdPath.Scalar, SimdPath.Vector256, SimdPath.Vector512 })
        {
            var w = (float[])w0.Clone();
            var m = (float[])m0.Clone();
            var v = (float[])v0.Clone();
            OptimizerKernels.AdamW(w, g, m, v, s, path);
            rw ??= w;
            rm ??= m;
            rv ??= v;
            Assert.Equal(rw, w);
            Assert.Equal(rm, m);
            Assert.Equal(rv, v);
        }
        Assert.NotEqual(w0, rw);
    }

    [Fact]
    public void LargeModels_ParallelUpdateEqualsSerialKernel()
    {
        int n = Optimizer.ParallelThreshold + 12345;
        var p = MakeParameters(n, 8);
        SetGradients(p, 1);
        var w = (float[])p.Values.Clone();
        var m = new float[n];
        var v = new float[n];
        var adam = new AdamW(p, 0.01);
        adam.Step();
        OptimizerKernels.AdamW(w, p.Gradients, m, v, new AdamWScalars(0.01, 0.9, 0.999, 1e-8, 1e-2, 1), SimdPath.Scalar);
        Assert.Equal(w, p.Values);
        Assert.Equal(m, adam.FirstMoment.ToArray());
    }

    [Fact]
    public void Step_AllocatesNothing()
    {
        var p = MakeParameters(N, 9);
        SetGradients(p, 1);
        var sgd = new Sgd(p, 0.01, momentum: 0.9, weightDecay: 5e-4, nesterov: true);
        var adam = new AdamW(p);
        sgd.Step();
        adam.Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            sgd.Step();
            adam.Step();
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    public static TheoryData<string> OptimizerKinds => new() { "sgd", "adamw" };

    private static IOptimizer Make(string kind, ParameterCollection p)
        => kind == "sgd" ? new Sgd(p, 0.05, momentum: 0.9, weightDecay: 1e-3) : new AdamW(p, 0.01, weightDecay: 0.05);

    [Theory]
    [MemberData(nameof(OptimizerKinds))]
    public void State_RoundTrip_ContinuesBitwiseIdentically(string kind)
    {
        var pa = MakeParameters(N, 10);
        var a = Make(kind, pa);
        for (int t = 1; t <= 2; t++)
        {
            SetGradients(pa, t);
            a.Step();
        }
        a.LearningRate = 0.02;
        var state = new TrainingState();
        a.WriteState(state);
        var saved = state.Clone();

        var pb = MakeParameters(N, 10);
        pa.Values.CopyTo(pb.Values, 0);
        var b = Make(kind, pb);
        b.ReadState(saved);
        Assert.Equal(2, b.StepCount);
        Assert.Equal(0.02, b.LearningRate);

        // A fresh optimizer on the same values, without the state, takes a different third step.
        var pc = MakeParameters(N, 10);
        pa.Values.CopyTo(pc.Values, 0);
        var c = Make(kind, pc);
        c.LearningRate = 0.02;

        SetGradients(pa, 3);
        SetGradients(pb, 3);
        SetGradients(pc, 3);
        a.Step();
        b.Step();
        c.Step();
        Assert.Equal(pa.Values, pb.Values);
        Assert.NotEqual(pa.Values, pc.Values);
    }

    [Fact]
    public void State_TensorsHaveTheCheckpointShape()
    {
        var p = MakeParameters(N, 11);
        var state = new TrainingState();
        new AdamW(p).WriteState(state);
        Assert.Equal(new[] { "optimizer.exp_avg", "optimizer.exp_avg_sq" }, new[] { state.Tensors[0].Name, state.Tensors[1].Name });
        (string name, int[] shape, float[] data) = state.Tensors[0];
        Assert.Equal("optimizer.exp_avg", name);
        Assert.Equal(new[] { N }, shape);
        Assert.Equal(N, data.Length);
        Assert.Equal("AdamW", state.Metadata["optimizer.type"]);
        Assert.Equal("0", state.Metadata["optimizer.step"]);
    }

    [Fact]
    public void ReadState_RejectsMismatches()
    {
        var p = MakeParameters(N, 12);
        var sgdState = new TrainingState();
        new Sgd(p, 0.1, momentum: 0.9).WriteState(sgdState);

        Assert.Contains("SGD", Assert.Throws<ArgumentException>(() => new AdamW(p).ReadState(sgdState)).Message);
        Assert.Contains("momentum", Assert.Throws<ArgumentException>(() => new Sgd(p, 0.1, momentum: 0.8).ReadState(sgdState)).Message);

        var other = MakeParameters(N + 1, 12);
        Assert.Contains("momentum_buffer", Assert.Throws<ArgumentException>(() => new Sgd(other, 0.1, momentum: 0.9).ReadState(sgdState)).Message);

        var missing = new TrainingState();
        foreach (var kv in sgdState.Metadata) missing.Metadata[kv.Key] = kv.Value;
        var target = new Sgd(p, 0.3, momentum: 0.9);
        Assert.Contains("optimizer.momentum_buffer", Assert.Throws<ArgumentException>(() => target.ReadState(missing)).Message);
        Assert.Equal(0.3, target.LearningRate);
    }
}
