using System;
using System.Linq;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Ref = AlexNet.Gen.Tests.Reference.Reference;
using static AlexNet.Gen.Tests.Reference.PointwiseTestUtil;

namespace AlexNet.Gen.Tests.Kernels;

[Collection(KernelStateCollection.Name)]
public unsafe class LrnKernelTests
{
    // PyTorch nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2) (AlexNet): before 2, after 2, coefficient alpha/5.
    private struct TorchSize5 : ILrnConfig
    {
        public static int Channels => 7; public static int Height => 3; public static int Width => 5;
        public static int WindowBefore => 2; public static int WindowAfter => 2;
        public static float Coefficient => 1e-4f / 5; public static float Beta => 0.75f; public static float K => 2f;
    }

    // PyTorch nn.LocalResponseNorm(4, alpha=0.5, beta=0.75, k=1): an even size, before 2, after 1.
    private struct TorchSize4 : ILrnConfig
    {
        public static int Channels => 6; public static int Height => 4; public static int Width => 4;
        public static int WindowBefore => 2; public static int WindowAfter => 1;
        public static float Coefficient => 0.5f / 4; public static float Beta => 0.75f; public static float K => 1f;
    }

    // tf.nn.lrn(depth_radius=4, bias=1, alpha=0.001/9, beta=0.75): alpha is not divided by the window.
    private struct TfRadius4 : ILrnConfig
    {
        public static int Channels => 12; public static int Height => 5; public static int Width => 5;
        public static int WindowBefore => 4; public static int WindowAfter => 4;
        public static float Coefficient => 0.001f / 9; public static float Beta => 0.75f; public static float K => 1f;
    }

    private struct BetaHalf : ILrnConfig
    {
        public static int Channels => 5; public static int Height => 3; public static int Width => 3;
        public static int WindowBefore => 2; public static int WindowAfter => 2;
        public static float Coefficient => 0.2f; public static float Beta => 0.5f; public static float K => 1f;
    }

    private struct BetaOne : ILrnConfig
    {
        public static int Channels => 4; public static int Height => 2; public static int Width => 5;
        public static int WindowBefore => 1; public static int WindowAfter => 1;
        public static float Coefficient => 0.3f; public static float Beta => 1f; public static float K => 1f;
    }

    // Fewer channels (3) than the window (9), and a β without a special case (log/exp path).
    private struct FewChannels : ILrnConfig
    {
        public static int Channels => 3; public static int Height => 2; public static int Width => 3;
        public static int WindowBefore => 4; public static int WindowAfter => 4;
        public static float Coefficient => 0.1f; public static float Beta => 0.6f; public static float K => 1.5f;
    }

    // 23×29 = 667 pixels: two tiles, the second with a ragged SIMD tail; enough work for several threads.
    private struct LargePlane : ILrnConfig
    {
        public static int Channels => 9; public static int Height => 23; public static int Width => 29;
        public static int WindowBefore => 2; public static int WindowAfter => 2;
        public static float Coefficient => 0.05f; public static float Beta => 0.75f; public static float K => 2f;
    }

    private static readonly string[] Configs =
        { nameof(TorchSize5), nameof(TorchSize4), nameof(TfRadius4), nameof(BetaHalf), nameof(BetaOne), nameof(FewChannels), nameof(LargePlane) };

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string config in Configs)
        {
            data.Add(config, 1);
            data.Add(config, 3);
        }
        return data;
    }

    public static TheoryData<string> ConfigNames() => new(Configs.Where(c => c != nameof(LargePlane)));

    private interface ICheck
    {
        void Run<T>(int batch) where T : struct, ILrnConfig;
    }

    private static void Dispatch(string config, int batch, ICheck check)
    {
        switch (config)
        {
            case nameof(TorchSize5): check.Run<TorchSize5>(batch); break;
            case nameof(TorchSize4): check.Run<TorchSize4>(batch); break;
            case nameof(TfRadius4): check.Run<TfRadius4>(batch); break;
            case nameof(BetaHalf): check.Run<BetaHalf>(batch); break;
            case nameof(BetaOne): check.Run<BetaOne>(batch); break;
            case nameof(FewChannels): check.Run<FewChannels>(batch); break;
            case nameof(LargePlane): check.Run<LargePlane>(batch); break;
            default: throw new ArgumentException("unknown config " + config);
        }
    }

    /// <summary>Inputs large enough that the window term changes the result noticeably for each config.</summary>
    private static double Magnitude<T>() where T : struct, ILrnConfig => Math.Sqrt(1 / T.Coefficient) * 0.8;

    private static double[] ReferenceForward<T>(double[] x, int batch, out double[] scale) where T : struct, ILrnConfig
        => Ref.LrnForward(x, batch, T.Channels, T.Height * T.Width, T.WindowBefore, T.WindowAfter, T.Coefficient, T.Beta, T.K, out scale);

    private static double[] ReferenceBackward<T>(double[] x, double[] dy, int batch) where T : struct, ILrnConfig
        => Ref.LrnBackward(x, dy, batch, T.Channels, T.Height * T.Width, T.WindowBefore, T.WindowAfter, T.Coefficient, T.Beta, T.K);

    [Theory, MemberData(nameof(Cases))]
    public void ForwardMatchesReference(string config, int batch) => Dispatch(config, batch, new ForwardCheck());

    private sealed class ForwardCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, ILrnConfig
        {
            int size = batch * T.Channels * T.Height * T.Width;
            double m = Magnitude<T>();
            double[] x = UniformFloat(size, -m, m, 41);
            double[] expected = ReferenceForward<T>(x, batch, out double[] expectedScale);
            // The window must matter, or the test would not see a wrong window.
            Assert.True(expectedScale.Max() > T.K * 1.2, "inputs too small to exercise the window");

            var y = new float[size];
            LocalResponseNorm.Forward<T>(ToFloat(x), y, batch);
            AssertClose(y, expected, 1e-4, typeof(T).Name + " Forward");

            var yTrain = new float[size];
            var scale = new float[size];
            LocalResponseNorm.ForwardTraining<T>(ToFloat(x), yTrain, scale, batch);
            Assert.Equal(y, yTrain);
            double[] relativeScale = expectedScale.Select((s, i) => scale[i] / s).ToArray();
            AssertClose(relativeScale, Enumerable.Repeat(1.0, size).ToArray(), 1e-5, typeof(T).Name + " scale");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void BackwardMatchesReference(string config, int batch) => Dispatch(config, batch, new BackwardCheck());

    private sealed class BackwardCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, ILrnConfig
        {
            int size = batch * T.Channels * T.Height * T.Width;
            double m = Magnitude<T>();
            double[] x = UniformFloat(size, -m, m, 42);
            double[] dy = UniformFloat(size, -1, 1, 43);
            double[] expected = ReferenceBackward<T>(x, dy, batch);

            var y = new float[size];
            var scale = new float[size];
            LocalResponseNorm.ForwardTraining<T>(ToFloat(x), y, scale, batch);
            var dx = Enumerable.Repeat(float.NaN, size).ToArray();
            LocalResponseNorm.Backward<T>(ToFloat(x), y, scale, ToFloat(dy), dx, batch);
            AssertClose(dx, expected, 1e-3, typeof(T).Name + " Backward");

            // The cross-channel term is not negligible here: dropping it must break the comparison.
            double[] diagonalOnly = dy.Select((g, i) => g * Math.Pow(scale[i], -T.Beta)).ToArray();
            double scaleOfExpected = Math.Max(1, expected.Max(Math.Abs));
            Assert.True(expected.Zip(diagonalOnly, (a, b) => Math.Abs(a - b)).Max() > 1e-2 * scaleOfExpected, "cross-channel term too small to test");
        }
    }

    [Theory, MemberData(nameof(ConfigNames))]
    public void ReferenceBackwardMatchesFiniteDifferences(string config) => Dispatch(config, 2, new FiniteDifferenceCheck());

    private sealed class FiniteDifferenceCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, ILrnConfig
        {
            int size = batch * T.Channels * T.Height * T.Width;
            double m = Magnitude<T>();
            double[] x = Uniform(size, -m, m, 44);
            double[] dy = Uniform(size, -1, 1, 45);
            double[] numeric = FiniteDifference(v => ReferenceForward<T>(v, batch, out _), x, dy, h: 1e-6 * m);
            AssertClose(ReferenceBackward<T>(x, dy, batch), numeric, 1e-6, typeof(T).Name + " reference backward");
        }
    }

    [Fact]
    public void TorchSize4WindowIsTwoBeforeOneAfter()
    {
        // One pixel, channels 0..5 with x_3 = 2 and the rest 0: s_c = 1 + 0.125·4 for the channels whose window holds 3,
        // i.e. c − 2 ≤ 3 ≤ c + 1 → c ∈ {2, 3, 4, 5}; y_3 = 2·1.5^−0.75. Independent of the reference.
        const int batch = 1;
        var x = new float[6 * 16];
        x[3 * 16] = 2f;
        var y = new float[x.Length];
        var scale = new float[x.Length];
        LocalResponseNorm.ForwardTraining<TorchSize4>(x, y, scale, batch);
        float[] expectedScale = { 1, 1, 1.5f, 1.5f, 1.5f, 1.5f };
        for (int c = 0; c < 6; c++) Assert.Equal(expectedScale[c], scale[c * 16], 6);
        Assert.Equal(2 * Math.Pow(1.5, -0.75), y[3 * 16], 6);
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        const int batch = 4;
        int size = batch * 9 * 23 * 29;
        float[] x = ToFloat(UniformFloat(size, -5, 5, 46));
        float[] dy = ToFloat(UniformFloat(size, -1, 1, 47));
        float[][] Run()
        {
            var y = new float[size];
            var yTrain = new float[size];
            var scale = new float[size];
            var dx = new float[size];
            LocalResponseNorm.Forward<LargePlane>(x, y, batch);
            LocalResponseNorm.ForwardTraining<LargePlane>(x, yTrain, scale, batch);
            LocalResponseNorm.Backward<LargePlane>(x, yTrain, scale, dy, dx, batch);
            return new[] { y, yTrain, scale, dx };
        }

        int saved = StaticParallel.ThreadCount;
        try
        {
            StaticParallel.ThreadCount = 1;
            float[][] serial = Run();
            foreach (int threads in new[] { 2, 3 })
            {
                StaticParallel.ThreadCount = threads;
                float[][] parallel = Run();
                for (int i = 0; i < serial.Length; i++) Assert.Equal(serial[i], parallel[i]);
            }
        }
        finally
        {
            StaticParallel.ThreadCount = saved;
        }
    }

    // ---- every SIMD width (Vector512 runs emulated where the CPU lacks it) ----

    [Theory, InlineData(1), InlineData(7), InlineData(37), InlineData(64)]
    public void EverySimdPathOfTheFusedStepsIsCorrect(int n)
    {
        float[] sum0 = ToFloat(UniformFloat(n, 0, 4, 51));
        float[] add = ToFloat(UniformFloat(n, -2, 2, 52));
        float[] sub = ToFloat(UniformFloat(n, -2, 2, 53));
        sub[0] = 3f; // drives the first sum below zero: it must clamp at 0
        const float alpha = 0.3f, k = 1.5f;
        double[] expectedSum = sum0.Select((s, i) => Math.Max(0, s + (double)add[i] * add[i] - (double)sub[i] * sub[i])).ToArray();
        double[] expectedScale = expectedSum.Select(s => k + alpha * s).ToArray();
        double[] expectedAddOnly = sum0.Select((s, i) => s + (double)add[i] * add[i]).ToArray();

        float[] positive = ToFloat(UniformFloat(n, 0.5, 40, 54));
        double[] expectedPow = positive.Select(s => Math.Pow(s, -0.75)).ToArray();

        float[] dyA = ToFloat(UniformFloat(n, -1, 1, 55)), yA = ToFloat(UniformFloat(n, -1, 1, 56)), sA = ToFloat(UniformFloat(n, 1, 3, 57));
        float[] dyS = ToFloat(UniformFloat(n, -1, 1, 58)), yS = ToFloat(UniformFloat(n, -1, 1, 59)), sS = ToFloat(UniformFloat(n, 1, 3, 60));
        double[] expectedRatio = sum0.Select((r, i) => r + (double)dyA[i] * yA[i] / sA[i] - (double)dyS[i] * yS[i] / sS[i]).ToArray();

        for (int path = 0; path < 3; path++)
        {
            string name = new[] { "Vector512", "Vector256", "scalar" }[path];
            float[] sum = (float[])sum0.Clone(), scale = new float[n], sumAddOnly = (float[])sum0.Clone(), scaleAddOnly = new float[n], pow = new float[n], ratio = (float[])sum0.Clone();
            fixed (float* pSum = sum, pScale = scale, pAddOnly = sumAddOnly, pScaleAddOnly = scaleAddOnly, pAdd = add, pSub = sub, pPos = positive, pPow = pow)
            fixed (float* pRatio = ratio, pDyA = dyA, pYA = yA, pSA = sA, pDyS = dyS, pYS = yS, pSS = sS)
            {
                switch (path)
                {
                    case 0:
                        LrnSimd.Slide512(pSum, pAdd, pSub, pScale, n, alpha, k);
                        LrnSimd.Slide512(pAddOnly, pAdd, null, pScaleAddOnly, n, alpha, k);
                        LrnSimd.InversePow075_512(pPos, pPow, n);
                        LrnSimd.SlideGradient512(pRatio, pDyA, pYA, pSA, pDyS, pYS, pSS, n);
                        break;
                    case 1:
                        LrnSimd.Slide256(pSum, pAdd, pSub, pScale, n, alpha, k);
                        LrnSimd.Slide256(pAddOnly, pAdd, null, pScaleAddOnly, n, alpha, k);
                        LrnSimd.InversePow075_256(pPos, pPow, n);
                        LrnSimd.SlideGradient256(pRatio, pDyA, pYA, pSA, pDyS, pYS, pSS, n);
                        break;
                    default:
                        LrnSimd.SlideScalar(pSum, pAdd, pSub, pScale, 0, n, alpha, k);
                        LrnSimd.SlideScalar(pAddOnly, pAdd, null, pScaleAddOnly, 0, n, alpha, k);
                        LrnSimd.InversePow075Scalar(pPos, pPow, 0, n);
                        LrnSimd.SlideGradientScalar(pRatio, pDyA, pYA, pSA, pDyS, pYS, pSS, 0, n);
                        break;
                }
            }
            Assert.Equal(0f, sum[0]);
            AssertClose(sum, expectedSum, 1e-6, name + " sum");
            AssertClose(scale, expectedScale, 1e-6, name + " scale");
            AssertClose(sumAddOnly, expectedAddOnly, 1e-6, name + " add-only sum");
            AssertClose(scaleAddOnly, expectedAddOnly.Select(s => k + alpha * s).ToArray(), 1e-6, name + " add-only scale");
            AssertClose(pow.Select((v, i) => v / expectedPow[i]).ToArray(), Enumerable.Repeat(1.0, n).ToArray(), 1e-6, name + " s^-0.75");
            AssertClose(ratio, expectedRatio, 1e-6, name + " ratio");
        }
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        int size = 7 * 15;
        var shortScale = Assert.Throws<ArgumentException>(() => LocalResponseNorm.ForwardTraining<TorchSize5>(new float[size], new float[size], new float[size - 1], 1));
        Assert.Equal("scale", shortScale.ParamName);
        var shortGradient = Assert.Throws<ArgumentException>(() =>
            LocalResponseNorm.Backward<TorchSize5>(new float[size], new float[size], new float[size], new float[size], new float[size - 1], 1));
        Assert.Equal("inputGradient", shortGradient.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalResponseNorm.Forward<TorchSize5>(new float[size], new float[size], -1));
    }
}
