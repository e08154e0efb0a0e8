using System;
using System.Runtime.Intrinsics;
using System.Linq;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Ref = AlexNet.Gen.Tests.Reference.Reference;
using static AlexNet.Gen.Tests.Reference.PointwiseTestUtil;

namespace AlexNet.Gen.Tests.Kernels;

[Collection(KernelStateCollection.Name)]
public unsafe class PoolingKernelTests
{
    // ---- configs: (C, H, W) → (OH, OW), kernel, stride, pads top/left/bottom/right, count_include_pad ----

    private struct K1S1 : IAvgPool2dConfig // 1×1 window, stride 1
    {
        public static int Channels => 2; public static int InHeight => 5; public static int InWidth => 4; public static int OutHeight => 5; public static int OutWidth => 4;
        public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct K2S2 : IAvgPool2dConfig // tiling windows
    {
        public static int Channels => 3; public static int InHeight => 6; public static int InWidth => 6; public static int OutHeight => 3; public static int OutWidth => 3;
        public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct K3S2 : IAvgPool2dConfig // AlexNet's overlapping 3/2, non-square input
    {
        public static int Channels => 2; public static int InHeight => 7; public static int InWidth => 9; public static int OutHeight => 3; public static int OutWidth => 4;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct K3S1Pad1 : IAvgPool2dConfig // symmetric padding, padding counted
    {
        public static int Channels => 2; public static int InHeight => 5; public static int InWidth => 6; public static int OutHeight => 5; public static int OutWidth => 6;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int PadBottom => 1; public static int PadRight => 1; public static bool CountIncludePad => true;
    }

    private struct K3S1Pad1Exclude : IAvgPool2dConfig
    {
        public static int Channels => 2; public static int InHeight => 5; public static int InWidth => 6; public static int OutHeight => 5; public static int OutWidth => 6;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int PadBottom => 1; public static int PadRight => 1; public static bool CountIncludePad => false;
    }

    private struct SameExclude : IAvgPool2dConfig // TF SAME: 7×8, kernel 4×3, stride 2×3 → pads 1/0/2/1 (bottom = top + 1)
    {
        public static int Channels => 2; public static int InHeight => 7; public static int InWidth => 8; public static int OutHeight => 4; public static int OutWidth => 3;
        public static int KernelHeight => 4; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 3;
        public static int PadTop => 1; public static int PadLeft => 0; public static int PadBottom => 2; public static int PadRight => 1; public static bool CountIncludePad => false;
    }

    private struct SameInclude : IAvgPool2dConfig
    {
        public static int Channels => 2; public static int InHeight => 7; public static int InWidth => 8; public static int OutHeight => 4; public static int OutWidth => 3;
        public static int KernelHeight => 4; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 3;
        public static int PadTop => 1; public static int PadLeft => 0; public static int PadBottom => 2; public static int PadRight => 1; public static bool CountIncludePad => true;
    }

    private struct K5x2S3x1 : IAvgPool2dConfig // 5×2 window, strides 3 and 1
    {
        public static int Channels => 1; public static int InHeight => 11; public static int InWidth => 6; public static int OutHeight => 4; public static int OutWidth => 7;
        public static int KernelHeight => 5; public static int KernelWidth => 2; public static int StrideHeight => 3; public static int StrideWidth => 1;
        public static int PadTop => 2; public static int PadLeft => 1; public static int PadBottom => 2; public static int PadRight => 1; public static bool CountIncludePad => true;
    }

    private struct K4S3x2Asym : IAvgPool2dConfig // asymmetric pads, the last windows clipped by the bottom/right padding
    {
        public static int Channels => 2; public static int InHeight => 8; public static int InWidth => 7; public static int OutHeight => 4; public static int OutWidth => 4;
        public static int KernelHeight => 4; public static int KernelWidth => 4; public static int StrideHeight => 3; public static int StrideWidth => 2;
        public static int PadTop => 2; public static int PadLeft => 1; public static int PadBottom => 3; public static int PadRight => 2; public static bool CountIncludePad => true;
    }

    private struct PadOnlyExclude : IAvgPool2dConfig // pad 2 with kernel 2: the first row and column of windows see only padding
    {
        public static int Channels => 2; public static int InHeight => 3; public static int InWidth => 3; public static int OutHeight => 3; public static int OutWidth => 3;
        public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 2; public static int PadLeft => 2; public static int PadBottom => 2; public static int PadRight => 2; public static bool CountIncludePad => false;
    }

    private struct PadOnlyInclude : IAvgPool2dConfig
    {
        public static int Channels => 2; public static int InHeight => 3; public static int InWidth => 3; public static int OutHeight => 3; public static int OutWidth => 3;
        public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 2; public static int PadLeft => 2; public static int PadBottom => 2; public static int PadRight => 2; public static bool CountIncludePad => true;
    }

    private struct K3S2Wide : IAvgPool2dConfig // AlexNet's pool1 width: the eight-output vector groups, the last one overlapping
    {
        public static int Channels => 2; public static int InHeight => 11; public static int InWidth => 55; public static int OutHeight => 5; public static int OutWidth => 27;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct K3S2PadWide : IAvgPool2dConfig // padded first window outside the vector groups
    {
        public static int Channels => 2; public static int InHeight => 9; public static int InWidth => 40; public static int OutHeight => 5; public static int OutWidth => 20;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 1; public static int PadLeft => 1; public static int PadBottom => 1; public static int PadRight => 1; public static bool CountIncludePad => true;
    }

    private struct K2S3Wide : IAvgPool2dConfig // stride 3 across 17 outputs
    {
        public static int Channels => 1; public static int InHeight => 7; public static int InWidth => 50; public static int OutHeight => 2; public static int OutWidth => 17;
        public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 3; public static int StrideWidth => 3;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct K4S2AsymWide : IAvgPool2dConfig // both edges clipped by padding, 19 whole windows between
    {
        public static int Channels => 1; public static int InHeight => 6; public static int InWidth => 41; public static int OutHeight => 3; public static int OutWidth => 21;
        public static int KernelHeight => 2; public static int KernelWidth => 4; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 1; public static int PadBottom => 0; public static int PadRight => 2; public static bool CountIncludePad => false;
    }

    private struct K2S2Short : IAvgPool2dConfig // the compact net's pool2: 7 outputs a row, fewer than one vector group
    {
        public static int Channels => 3; public static int InHeight => 14; public static int InWidth => 14; public static int OutHeight => 7; public static int OutWidth => 7;
        public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct K3S2Short : IAvgPool2dConfig // the compact net's pool3: 7×7 to 3×3
    {
        public static int Channels => 3; public static int InHeight => 7; public static int InWidth => 7; public static int OutHeight => 3; public static int OutWidth => 3;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct K2S2Wide : IAvgPool2dConfig // 35 outputs a row: two whole groups of sixteen and a short one
    {
        public static int Channels => 2; public static int InHeight => 6; public static int InWidth => 70; public static int OutHeight => 3; public static int OutWidth => 35;
        public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0; public static bool CountIncludePad => true;
    }

    private struct Large : IAvgPool2dConfig // big enough to run on several threads
    {
        public static int Channels => 16; public static int InHeight => 32; public static int InWidth => 33; public static int OutHeight => 16; public static int OutWidth => 17;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 1; public static int PadLeft => 1; public static int PadBottom => 1; public static int PadRight => 1; public static bool CountIncludePad => false;
    }

    private struct Ones3x3 : IAvgPool2dConfig // hand-checked divisors
    {
        public static int Channels => 1; public static int InHeight => 3; public static int InWidth => 3; public static int OutHeight => 3; public static int OutWidth => 3;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int PadBottom => 1; public static int PadRight => 1; public static bool CountIncludePad => true;
    }

    private struct Tie2x2 : IPool2dConfig
    {
        public static int Channels => 1; public static int InHeight => 2; public static int InWidth => 3; public static int OutHeight => 1; public static int OutWidth => 2;
        public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int PadBottom => 0; public static int PadRight => 0;
    }

    private static readonly string[] Configs =
    {
        nameof(K1S1), nameof(K2S2), nameof(K3S2), nameof(K3S1Pad1), nameof(K3S1Pad1Exclude), nameof(SameExclude),
        nameof(SameInclude), nameof(K5x2S3x1), nameof(K4S3x2Asym), nameof(PadOnlyExclude), nameof(PadOnlyInclude),
        nameof(K3S2Wide), nameof(K3S2PadWide), nameof(K2S3Wide), nameof(K4S2AsymWide), nameof(K2S2Short), nameof(K3S2Short),
        nameof(K2S2Wide),
    };

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

    public static TheoryData<string> ConfigNames() => new(Configs);

    private interface ICheck
    {
        void Run<T>(int batch) where T : struct, IAvgPool2dConfig;
    }

    private static void Dispatch(string config, int batch, ICheck check)
    {
        switch (config)
        {
            case nameof(K1S1): check.Run<K1S1>(batch); break;
            case nameof(K2S2): check.Run<K2S2>(batch); break;
            case nameof(K3S2): check.Run<K3S2>(batch); break;
            case nameof(K3S1Pad1): check.Run<K3S1Pad1>(batch); break;
            case nameof(K3S1Pad1Exclude): check.Run<K3S1Pad1Exclude>(batch); break;
            case nameof(SameExclude): check.Run<SameExclude>(batch); break;
            case nameof(SameInclude): check.Run<SameInclude>(batch); break;
            case nameof(K5x2S3x1): check.Run<K5x2S3x1>(batch); break;
            case nameof(K4S3x2Asym): check.Run<K4S3x2Asym>(batch); break;
            case nameof(PadOnlyExclude): check.Run<PadOnlyExclude>(batch); break;
            case nameof(PadOnlyInclude): check.Run<PadOnlyInclude>(batch); break;
            case nameof(K3S2Wide): check.Run<K3S2Wide>(batch); break;
            case nameof(K3S2PadWide): check.Run<K3S2PadWide>(batch); break;
            case nameof(K2S3Wide): check.Run<K2S3Wide>(batch); break;
            case nameof(K4S2AsymWide): check.Run<K4S2AsymWide>(batch); break;
            case nameof(K2S2Short): check.Run<K2S2Short>(batch); break;
            case nameof(K3S2Short): check.Run<K3S2Short>(batch); break;
            case nameof(K2S2Wide): check.Run<K2S2Wide>(batch); break;
            default: throw new ArgumentException("unknown config " + config);
        }
    }

    private static PoolingShape ShapeOf<T>() where T : struct, IPool2dConfig
        => new(T.Channels, T.InHeight, T.InWidth, T.OutHeight, T.OutWidth, T.KernelHeight, T.KernelWidth, T.StrideHeight, T.StrideWidth,
            T.PadTop, T.PadLeft, T.PadBottom, T.PadRight, false);

    private static PoolingShape AvgShapeOf<T>() where T : struct, IAvgPool2dConfig => ShapeOf<T>() with { CountIncludePad = T.CountIncludePad };

    // ---- max pooling ----

    [Theory, MemberData(nameof(Cases))]
    public void MaxPoolForwardMatchesReference(string config, int batch) => Dispatch(config, batch, new MaxForwardCheck());

    private sealed class MaxForwardCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = ShapeOf<T>();
            double[] x = UniformFloat(batch * shape.InSize, -3, 3, 11);
            double[] expected = Ref.MaxPoolForward(x, batch, shape, out int[] expectedArgmax);

            var y = new float[expected.Length];
            MaxPool2d.Forward<T>(ToFloat(x), y, batch);
            AssertClose(y, expected, 1e-4, typeof(T).Name + " Forward");

            var yTrain = new float[expected.Length];
            var argmax = new int[expected.Length];
            MaxPool2d.ForwardTraining<T>(ToFloat(x), yTrain, argmax, batch);
            AssertClose(yTrain, expected, 1e-4, typeof(T).Name + " ForwardTraining");
            Assert.Equal(expectedArgmax, argmax);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void MaxPoolBackwardMatchesReference(string config, int batch) => Dispatch(config, batch, new MaxBackwardCheck());

    private sealed class MaxBackwardCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = ShapeOf<T>();
            double[] x = UniformFloat(batch * shape.InSize, -3, 3, 12);
            double[] dy = UniformFloat(batch * shape.OutSize, -1, 1, 13);
            Ref.MaxPoolForward(x, batch, shape, out int[] referenceArgmax);
            double[] expected = Ref.MaxPoolBackward(dy, referenceArgmax, batch, shape);

            var argmax = new int[dy.Length];
            MaxPool2d.ForwardTraining<T>(ToFloat(x), new float[dy.Length], argmax, batch);
            var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray(); // must be overwritten, not accumulated into
            MaxPool2d.Backward<T>(ToFloat(dy), argmax, dx, batch);
            AssertClose(dx, expected, 1e-3, typeof(T).Name + " Backward");
        }
    }

    [Theory, MemberData(nameof(ConfigNames))]
    public void MaxPoolReferenceBackwardMatchesFiniteDifferences(string config) => Dispatch(config, 2, new MaxFiniteDifferenceCheck());

    private sealed class MaxFiniteDifferenceCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = ShapeOf<T>();
            double[] x = Distinct(batch * shape.InSize, 0.01, 14); // no ties: the max is differentiable
            double[] dy = Uniform(batch * shape.OutSize, -1, 1, 15);
            Ref.MaxPoolForward(x, batch, shape, out int[] argmax);
            double[] analytic = Ref.MaxPoolBackward(dy, argmax, batch, shape);
            double[] numeric = FiniteDifference(v => Ref.MaxPoolForward(v, batch, shape, out _), x, dy);
            AssertClose(analytic, numeric, 1e-6, typeof(T).Name + " reference backward");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void MaxPoolTiesGoToTheFirstMaximum(string config, int batch) => Dispatch(config, batch, new MaxTieCheck());

    private sealed class MaxTieCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = ShapeOf<T>();
            // Only three distinct values: most windows hold several maxima.
            double[] x = Uniform(batch * shape.InSize, 0, 3, 16).Select(Math.Floor).ToArray();
            double[] dy = UniformFloat(batch * shape.OutSize, -1, 1, 17);
            double[] expectedY = Ref.MaxPoolForward(x, batch, shape, out int[] expectedArgmax);

            var y = new float[dy.Length];
            var argmax = new int[dy.Length];
            MaxPool2d.ForwardTraining<T>(ToFloat(x), y, argmax, batch);
            AssertClose(y, expectedY, 0, typeof(T).Name + " tie forward");
            Assert.Equal(expectedArgmax, argmax);

            var dx = new float[x.Length];
            MaxPool2d.Backward<T>(ToFloat(dy), argmax, dx, batch);
            AssertClose(dx, Ref.MaxPoolBackward(dy, expectedArgmax, batch, shape), 1e-6, typeof(T).Name + " tie backward");
        }
    }

    [Fact]
    public void MaxPoolTieInWindowPicksRowMajorFirst()
    {
        // Window 0 holds 5 at (0,1) and (1,0): row-major scan meets (0,1) first. Window 1 is all 5s: its first is (0,1) too.
        float[] x = { 1, 5, 5, 5, 5, 5 };
        var y = new float[2];
        var argmax = new int[2];
        MaxPool2d.ForwardTraining<Tie2x2>(x, y, argmax, 1);
        Assert.Equal(new float[] { 5, 5 }, y);
        Assert.Equal(new[] { 1, 1 }, argmax);

        var dx = new float[6];
        MaxPool2d.Backward<Tie2x2>(new float[] { 0.5f, 0.25f }, argmax, dx, 1);
        Assert.Equal(new float[] { 0, 0.75f, 0, 0, 0, 0 }, dx);
    }

    [Fact]
    public void MaxPoolNaNPropagatesAndTheLastNaNWinsAsInPyTorch()
    {
        // PyTorch replaces the running maximum on "v > max || isnan(v)": window 0 meets NaN at 1 and 3 → index 3;
        // window 1 meets NaN only at 1 → index 1.
        float[] x = { 1, float.NaN, 2, float.NaN, 3, 4 };
        var y = new float[2];
        var argmax = new int[2];
        MaxPool2d.ForwardTraining<Tie2x2>(x, y, argmax, 1);
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[1]));
        Assert.Equal(new[] { 3, 1 }, argmax);
        var yInference = new float[2];
        MaxPool2d.Forward<Tie2x2>(x, yInference, 1);
        Assert.True(float.IsNaN(yInference[0]) && float.IsNaN(yInference[1]));
    }

    [Theory, InlineData(1), InlineData(8), InlineData(37), InlineData(64)]
    public void EverySimdPathOfTheColumnMaximumIsCorrect(int width)
    {
        const int rows = 4, hs = 1, he = 4;
        float[] x = Uniform(rows * width, 0, 3, 25).Select(v => (float)Math.Floor(v)).ToArray(); // many ties
        var expectedMax = new float[width];
        var expectedRow = new int[width];
        for (int w = 0; w < width; w++)
        {
            expectedRow[w] = hs;
            for (int h = hs + 1; h < he; h++)
                if (x[h * width + w] > x[expectedRow[w] * width + w]) expectedRow[w] = h;
            expectedMax[w] = x[expectedRow[w] * width + w];
        }
        float[] withNaN = (float[])x.Clone();
        withNaN[3 * width + width - 1] = float.NaN; // in the tail or the last vector
        float[] nanOutside = (float[])x.Clone();
        nanOutside[0] = float.NaN;                   // row 0 is not in [hs, he)

        for (int path = 0; path < 3; path++)
        {
            var colMax = new float[width];
            var colRow = new int[width];
            var otherMax = new float[width];
            var otherRow = new int[width];
            bool sawNaN, sawNaN2, sawNaN3;
            fixed (float* px = x, pn = withNaN, po = nanOutside, pm = colMax, scratchMax = otherMax)
            fixed (int* pr = colRow, scratchRow = otherRow)
            {
                switch (path)
                {
                    case 0:
                        sawNaN = PoolSimd.ColumnMax512(px, width, hs, he, pm, pr);
                        sawNaN2 = PoolSimd.ColumnMax512(pn, width, hs, he, scratchMax, scratchRow);
                        sawNaN3 = PoolSimd.ColumnMax512(po, width, hs, he, scratchMax, scratchRow);
                        break;
                    case 1:
                        sawNaN = PoolSimd.ColumnMax256(px, width, hs, he, pm, pr);
                        sawNaN2 = PoolSimd.ColumnMax256(pn, width, hs, he, scratchMax, scratchRow);
                        sawNaN3 = PoolSimd.ColumnMax256(po, width, hs, he, scratchMax, scratchRow);
                        break;
                    default:
                        sawNaN = PoolSimd.ColumnMaxScalar(px, width, hs, he, pm, pr, 0);
                        sawNaN2 = PoolSimd.ColumnMaxScalar(pn, width, hs, he, scratchMax, scratchRow, 0);
                        sawNaN3 = PoolSimd.ColumnMaxScalar(po, width, hs, he, scratchMax, scratchRow, 0);
                        break;
                }
            }
            Assert.Equal(expectedMax, colMax);
            Assert.Equal(expectedRow, colRow);
            Assert.False(sawNaN, "no NaN, path " + path);
            Assert.True(sawNaN2, "NaN in the rows, path " + path);
            Assert.False(sawNaN3, "NaN outside the rows, path " + path);
        }
    }

    public static TheoryData<string> WideConfigs() => new(nameof(K3S2Wide), nameof(K3S2PadWide), nameof(K2S3Wide), nameof(K4S2AsymWide),
        nameof(K2S2Short), nameof(K3S2Short), nameof(K2S2Wide));

    [Theory, MemberData(nameof(WideConfigs))]
    public void MaxPoolWindowsHoldingANaNGiveNaNOnEveryPath(string config) => Dispatch(config, 2, new NaNWindowCheck());

    private sealed class NaNWindowCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = ShapeOf<T>();
            float[] x = ToFloat(Uniform(batch * shape.InSize, -1, 1, 31));
            for (int i = 5; i < x.Length; i += 97) x[i] = float.NaN; // some rows meet a NaN, others do not
            // The windows holding a NaN: the maximum of an indicator; the others: the maximum of the rest.
            double[] holdsNaN = Ref.MaxPoolForward(x.Select(v => float.IsNaN(v) ? 1.0 : 0.0).ToArray(), batch, shape, out _);
            double[] expected = Ref.MaxPoolForward(x.Select(v => float.IsNaN(v) ? -2.0 : v).ToArray(), batch, shape, out _);
            Assert.Contains(holdsNaN, v => v > 0);
            Assert.Contains(holdsNaN, v => v == 0);

            var y = new float[expected.Length];
            var yTraining = new float[expected.Length];
            var argmax = new int[expected.Length];
            MaxPool2d.Forward<T>(x, y, batch);
            MaxPool2d.ForwardTraining<T>(x, yTraining, argmax, batch);
            for (int o = 0; o < expected.Length; o++)
            {
                if (holdsNaN[o] > 0)
                {
                    Assert.True(float.IsNaN(y[o]), $"{typeof(T).Name} inference output {o} should be NaN");
                    Assert.True(float.IsNaN(yTraining[o]), $"{typeof(T).Name} training output {o} should be NaN");
                }
                else
                {
                    Assert.Equal((float)expected[o], y[o]);
                    Assert.Equal((float)expected[o], yTraining[o]);
                }
            }
        }
    }

    [Theory, MemberData(nameof(WideConfigs))]
    public void MaxPoolVectorAndScalarWindowPassesAgree(string config) => Dispatch(config, 3, new VectorScalarCheck());

    private sealed class VectorScalarCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = ShapeOf<T>();
            // Three distinct values: most windows hold several maxima, so the tie rule decides most indices.
            float[] x = ToFloat(Uniform(batch * shape.InSize, 0, 3, 41).Select(Math.Floor).ToArray());
            // Paths: scalar, the sixteen-wide stride-2 pass (on AVX-512; else the eight-wide one), the eight-wide one.
            var results = new (float[] Y, float[] YTraining, int[] Argmax)[3];
            try
            {
                for (int path = 0; path < 3; path++)
                {
                    PoolSimd.VectorEnabled = path > 0;
                    PoolSimd.Stride2Enabled = path < 2;
                    var r = (Y: new float[batch * shape.OutSize], YTraining: new float[batch * shape.OutSize], Argmax: new int[batch * shape.OutSize]);
                    MaxPool2d.Forward<T>(x, r.Y, batch);
                    MaxPool2d.ForwardTraining<T>(x, r.YTraining, r.Argmax, batch);
                    results[path] = r;
                }
            }
            finally
            {
                PoolSimd.VectorEnabled = true;
                PoolSimd.Stride2Enabled = true;
            }
            for (int path = 1; path < 3; path++)
            {
                Assert.Equal(results[0].Y, results[path].Y);
                Assert.Equal(results[0].YTraining, results[path].YTraining);
                Assert.Equal(results[0].Argmax, results[path].Argmax);
            }
        }
    }

    /// <summary>On AVX-512 the stride-2 pools (AlexNet's 3/2, the compact net's 2/2, padded or not, short rows or long) take
    /// the sixteen-wide pass, so the checks above run it; elsewhere it is off.</summary>
    [Fact]
    public void StrideTwoPoolsTakeTheSixteenWidePassOnAvx512()
    {
        bool expected = Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        Assert.Equal(expected, PoolSimd.Stride2<K2S2Short>(out int s0, out int e0));
        Assert.Equal((0, 7), (s0, e0));
        Assert.Equal(expected, PoolSimd.Stride2<K3S2Short>(out _, out int e1));
        Assert.Equal(3, e1);
        Assert.Equal(expected, PoolSimd.Stride2<K3S2PadWide>(out int s2, out int e2));
        Assert.Equal((1, 20), (s2, e2)); // output 0's window starts in the padding (column −1), output 19's ends at column 39
        Assert.Equal(expected, PoolSimd.Stride2<K4S2AsymWide>(out _, out _));
        Assert.False(PoolSimd.Stride2<K2S3Wide>(out _, out _)); // stride 3
    }

    [Fact]
    public void MaxPoolWindowInsidePaddingGivesZeroAndNoGradient()
    {
        var x = Enumerable.Repeat(-7f, 2 * 9).ToArray(); // negative: a −∞-padded window must still yield 0
        var y = new float[2 * 9];
        var argmax = new int[2 * 9];
        MaxPool2d.ForwardTraining<PadOnlyExclude>(x, y, argmax, 1);
        // Output row 0 and column 0 lie entirely in the padding.
        for (int c = 0; c < 2; c++)
        for (int i = 0; i < 9; i++)
        {
            bool padOnly = i / 3 == 0 || i % 3 == 0;
            Assert.Equal(padOnly ? 0f : -7f, y[c * 9 + i]);
            Assert.Equal(padOnly, argmax[c * 9 + i] == -1);
        }
        var yInference = new float[2 * 9];
        MaxPool2d.Forward<PadOnlyExclude>(x, yInference, 1);
        Assert.Equal(y, yInference);

        var dx = new float[x.Length];
        MaxPool2d.Backward<PadOnlyExclude>(Enumerable.Repeat(1f, y.Length).ToArray(), argmax, dx, 1);
        Assert.Equal(2 * 4f, dx.Sum()); // only the 4 real windows per channel pass gradient
    }

    [Fact]
    public void MaxPoolBackwardRejectsForeignArgmax()
    {
        var argmax = new int[2 * 3 * 4];
        argmax[5] = 63; // outside the 7×9 plane
        var ex = Assert.Throws<ArgumentException>(() => MaxPool2d.Backward<K3S2>(new float[argmax.Length], argmax, new float[2 * 7 * 9], 1));
        Assert.Equal("argmax", ex.ParamName);
    }

    // ---- average pooling ----

    [Theory, MemberData(nameof(Cases))]
    public void AvgPoolForwardMatchesReference(string config, int batch) => Dispatch(config, batch, new AvgForwardCheck());

    private sealed class AvgForwardCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = AvgShapeOf<T>();
            double[] x = UniformFloat(batch * shape.InSize, -3, 3, 21);
            double[] expected = Ref.AvgPoolForward(x, batch, shape);
            var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
            AvgPool2d.Forward<T>(ToFloat(x), y, batch);
            AssertClose(y, expected, 1e-4, typeof(T).Name + " Forward");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void AvgPoolBackwardMatchesReference(string config, int batch) => Dispatch(config, batch, new AvgBackwardCheck());

    private sealed class AvgBackwardCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = AvgShapeOf<T>();
            double[] dy = UniformFloat(batch * shape.OutSize, -1, 1, 22);
            double[] expected = Ref.AvgPoolBackward(dy, batch, shape);
            var dx = Enumerable.Repeat(float.NaN, batch * shape.InSize).ToArray();
            AvgPool2d.Backward<T>(ToFloat(dy), dx, batch);
            AssertClose(dx, expected, 1e-3, typeof(T).Name + " Backward");
        }
    }

    [Theory, MemberData(nameof(ConfigNames))]
    public void AvgPoolReferenceBackwardMatchesFiniteDifferences(string config) => Dispatch(config, 2, new AvgFiniteDifferenceCheck());

    private sealed class AvgFiniteDifferenceCheck : ICheck
    {
        public void Run<T>(int batch) where T : struct, IAvgPool2dConfig
        {
            var shape = AvgShapeOf<T>();
            double[] x = Uniform(batch * shape.InSize, -3, 3, 23);
            double[] dy = Uniform(batch * shape.OutSize, -1, 1, 24);
            double[] numeric = FiniteDifference(v => Ref.AvgPoolForward(v, batch, shape), x, dy);
            AssertClose(Ref.AvgPoolBackward(dy, batch, shape), numeric, 1e-6, typeof(T).Name + " reference backward");
        }
    }

    [Fact]
    public void AvgPoolDivisorsMatchPyTorchByHand()
    {
        // torch.nn.functional.avg_pool2d(torch.ones(1,1,3,3), 3, 1, 1): corners 4/9, edges 6/9, centre 1.
        var y = new float[9];
        AvgPool2d.Forward<Ones3x3>(Enumerable.Repeat(1f, 9).ToArray(), y, 1);
        float c = 4f / 9, e = 6f / 9;
        Assert.Equal(new[] { c, e, c, e, 1f, e, c, e, c }, y);

        // count_include_pad=False: every window averages ones.
        var yExclude = new float[2 * 30];
        AvgPool2d.Forward<K3S1Pad1Exclude>(Enumerable.Repeat(1f, 2 * 30).ToArray(), yExclude, 1);
        Assert.All(yExclude, v => Assert.Equal(1f, v, 6));

        // Pad 2 (top/left/bottom/right), kernel 2, stride 2 on 3×3 ones: window (1,1) covers rows/cols 0..1 (4 real),
        // window (2,2) covers row/col 2..3 of which 3 is padding: 1 real of 4 counted positions.
        var yInclude = new float[2 * 9];
        AvgPool2d.Forward<PadOnlyInclude>(Enumerable.Repeat(1f, 2 * 9).ToArray(), yInclude, 1);
        Assert.Equal(new[] { 0f, 0, 0, 0, 1, 0.5f, 0, 0.5f, 0.25f }, yInclude.Take(9));
        var yPadOnlyExclude = new float[2 * 9];
        AvgPool2d.Forward<PadOnlyExclude>(Enumerable.Repeat(1f, 2 * 9).ToArray(), yPadOnlyExclude, 1);
        Assert.Equal(new[] { 0f, 0, 0, 0, 1, 1, 0, 1, 1 }, yPadOnlyExclude.Take(9));
    }

    // ---- shared ----

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        const int batch = 4;
        var shape = ShapeOf<Large>();
        float[] x = ToFloat(UniformFloat(batch * shape.InSize, -3, 3, 31));
        float[] dy = ToFloat(UniformFloat(batch * shape.OutSize, -1, 1, 32));
        float[][] Run()
        {
            var max = new float[dy.Length];
            var maxTrain = new float[dy.Length];
            var argmax = new int[dy.Length];
            var maxGrad = new float[x.Length];
            var avg = new float[dy.Length];
            var avgGrad = new float[x.Length];
            MaxPool2d.Forward<Large>(x, max, batch);
            MaxPool2d.ForwardTraining<Large>(x, maxTrain, argmax, batch);
            MaxPool2d.Backward<Large>(dy, argmax, maxGrad, batch);
            AvgPool2d.Forward<Large>(x, avg, batch);
            AvgPool2d.Backward<Large>(dy, avgGrad, batch);
            return new[] { max, maxTrain, argmax.Select(i => (float)i).ToArray(), maxGrad, avg, avgGrad };
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
            AssertClose(serial[0], Ref.MaxPoolForward(ToDouble(x), batch, shape, out _), 1e-4, "Large max forward");
            AssertClose(serial[4], Ref.AvgPoolForward(ToDouble(x), batch, ShapeOf<Large>() with { CountIncludePad = false }), 1e-4, "Large avg forward");
        }
        finally
        {
            StaticParallel.ThreadCount = saved;
        }
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var shortOutput = Assert.Throws<ArgumentException>(() => MaxPool2d.Forward<K3S2>(new float[2 * 63], new float[23], 1));
        Assert.Equal("output", shortOutput.ParamName);
        var shortInput = Assert.Throws<ArgumentException>(() => AvgPool2d.Forward<K3S2>(new float[2 * 63 - 1], new float[24], 1));
        Assert.Equal("input", shortInput.ParamName);
        var shortArgmax = Assert.Throws<ArgumentException>(() => MaxPool2d.ForwardTraining<K3S2>(new float[2 * 63], new float[24], new int[23], 1));
        Assert.Equal("argmax", shortArgmax.ParamName);
        var badBatch = Assert.Throws<ArgumentOutOfRangeException>(() => AvgPool2d.Backward<K3S2>(new float[24], new float[2 * 63], 0));
        Assert.Equal("batch", badBatch.ParamName);
    }
}
