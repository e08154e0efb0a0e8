using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity.Kernels;

/// <summary>MaxPool2d and AvgPool2d against libtorch's max_pool2d / avg_pool2d, forward and autograd.</summary>
public class PoolingParityTests
{
    // ---- max pooling ----

    [Fact]
    public void MaxPool_Paper_3x3Stride2_On55() => CheckMaxPool<MaxPaper55>(2, 101, x => F.max_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 }));

    [Fact]
    public void MaxPool_Paper_3x3Stride2_On13() => CheckMaxPool<MaxPaper13>(3, 102, x => F.max_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 }));

    [Fact]
    public void MaxPool_SymmetricPadding() => CheckMaxPool<MaxPadded>(2, 103, x => F.max_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }));

    [Fact]
    public void MaxPool_AsymmetricSame_MatchesNegativeInfinityPadding()
        // TensorFlow SAME on 14×11: rows pad 0 above / 1 below, columns 1 / 1; padding never wins a max.
        => CheckMaxPool<MaxSameRect>(2, 104, x => F.max_pool2d(
            F.pad(x, new long[] { 1, 1, 0, 1 }, value: double.NegativeInfinity), new long[] { 3, 3 }, new long[] { 2, 2 }));

    // ---- average pooling ----

    [Fact]
    public void AvgPool_CountIncludePad_Padded() => CheckAvgPool<AvgPaddedIncl>(2, 201,
        x => F.avg_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, count_include_pad: true));

    [Fact]
    public void AvgPool_CountExcludePad_Padded() => CheckAvgPool<AvgPaddedExcl>(2, 202,
        x => F.avg_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, count_include_pad: false));

    [Fact]
    public void AvgPool_NoPadding_2x2Stride2() => CheckAvgPool<AvgPlain>(3, 203,
        x => F.avg_pool2d(x, new long[] { 2, 2 }, new long[] { 2, 2 }));

    [Fact]
    public void AvgPool_AsymmetricSame_DividesByRealElements()
        // TensorFlow SAME average: sum over the zero-padded window ÷ number of real inputs in it.
        => CheckAvgPool<AvgSameRect>(2, 204, x =>
        {
            long[] pad = { 1, 1, 0, 1 };
            var window = new long[] { 3, 3 };
            var stride = new long[] { 2, 2 };
            var sums = F.avg_pool2d(F.pad(x, pad), window, stride);
            var counts = F.avg_pool2d(F.pad(torch.ones_like(x), pad), window, stride);
            return sums / counts;
        });

    // ---- harness ----

    private static void CheckMaxPool<T>(int batch, ulong seed, Func<Tensor, Tensor> reference) where T : struct, IPool2dConfig
    {
        int inLength = batch * T.Channels * T.InHeight * T.InWidth;
        int outLength = batch * T.Channels * T.OutHeight * T.OutWidth;
        float[] x = TestData.Uniform(seed, inLength);
        float[] dy = TestData.Uniform(seed + 1000, outLength);

        float[] y = TestData.NaNs(outLength);
        MaxPool2d.Forward<T>(x, y, batch);
        float[] yTraining = TestData.NaNs(outLength);
        var argmax = new int[outLength];
        MaxPool2d.ForwardTraining<T>(x, yTraining, argmax, batch);
        float[] dx = TestData.NaNs(inLength);
        MaxPool2d.Backward<T>(dy, argmax, dx, batch);

        using var scope = torch.NewDisposeScope();
        var xt = TorchRef.Double(x, Shape<T>(batch, T.InHeight, T.InWidth), requiresGrad: true);
        var yt = reference(xt);
        Assert.Equal(Shape<T>(batch, T.OutHeight, T.OutWidth), yt.shape);
        double[] expected = TorchRef.Values(yt);
        ParityAssert.AssertForward(y, expected, typeof(T).Name + " forward");
        ParityAssert.AssertForward(yTraining, expected, typeof(T).Name + " training forward");
        TorchRef.Backward(yt, dy);
        ParityAssert.AssertGradient(dx, TorchRef.Gradient(xt), typeof(T).Name + " input gradient");
    }

    private static void CheckAvgPool<T>(int batch, ulong seed, Func<Tensor, Tensor> reference) where T : struct, IAvgPool2dConfig
    {
        int inLength = batch * T.Channels * T.InHeight * T.InWidth;
        int outLength = batch * T.Channels * T.OutHeight * T.OutWidth;
        float[] x = TestData.Uniform(seed, inLength);
        float[] dy = TestData.Uniform(seed + 1000, outLength);

        float[] y = TestData.NaNs(outLength);
        AvgPool2d.Forward<T>(x, y, batch);
        float[] dx = TestData.NaNs(inLength);
        AvgPool2d.Backward<T>(dy, dx, batch);

        using var scope = torch.NewDisposeScope();
        var xt = TorchRef.Double(x, Shape<T>(batch, T.InHeight, T.InWidth), requiresGrad: true);
        var yt = reference(xt);
        Assert.Equal(Shape<T>(batch, T.OutHeight, T.OutWidth), yt.shape);
        ParityAssert.AssertForward(y, TorchRef.Values(yt), typeof(T).Name + " forward");
        TorchRef.Backward(yt, dy);
        ParityAssert.AssertGradient(dx, TorchRef.Gradient(xt), typeof(T).Name + " input gradient");
    }

    private static long[] Shape<T>(int batch, int height, int width) where T : struct, IPool2dConfig
        => new long[] { batch, T.Channels, height, width };

    // ---- configs (PyTorch geometry: out = floor((in + padTop + padBottom − k) / s) + 1) ----

    private struct MaxPaper55 : IPool2dConfig
    {
        public static int Channels => 4;
        public static int InHeight => 55;
        public static int InWidth => 55;
        public static int OutHeight => 27;
        public static int OutWidth => 27;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 0;
        public static int PadBottom => 0;
        public static int PadRight => 0;
    }

    private struct MaxPaper13 : IPool2dConfig
    {
        public static int Channels => 8;
        public static int InHeight => 13;
        public static int InWidth => 13;
        public static int OutHeight => 6;
        public static int OutWidth => 6;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 0;
        public static int PadBottom => 0;
        public static int PadRight => 0;
    }

    private struct MaxPadded : IPool2dConfig
    {
        public static int Channels => 3;
        public static int InHeight => 14;
        public static int InWidth => 14;
        public static int OutHeight => 7;
        public static int OutWidth => 7;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int PadBottom => 1;
        public static int PadRight => 1;
    }

    private struct MaxSameRect : IPool2dConfig
    {
        public static int Channels => 3;
        public static int InHeight => 14;
        public static int InWidth => 11;
        public static int OutHeight => 7;
        public static int OutWidth => 6;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 1;
        public static int PadBottom => 1;
        public static int PadRight => 1;
    }

    private struct AvgPaddedIncl : IAvgPool2dConfig
    {
        public static int Channels => 5;
        public static int InHeight => 13;
        public static int InWidth => 13;
        public static int OutHeight => 7;
        public static int OutWidth => 7;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int PadBottom => 1;
        public static int PadRight => 1;
        public static bool CountIncludePad => true;
    }

    private struct AvgPaddedExcl : IAvgPool2dConfig
    {
        public static int Channels => 5;
        public static int InHeight => 13;
        public static int InWidth => 13;
        public static int OutHeight => 7;
        public static int OutWidth => 7;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int PadBottom => 1;
        public static int PadRight => 1;
        public static bool CountIncludePad => false;
    }

    private struct AvgPlain : IAvgPool2dConfig
    {
        public static int Channels => 4;
        public static int InHeight => 6;
        public static int InWidth => 6;
        public static int OutHeight => 3;
        public static int OutWidth => 3;
        public static int KernelHeight => 2;
        public static int KernelWidth => 2;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 0;
        public static int PadBottom => 0;
        public static int PadRight => 0;
        public static bool CountIncludePad => true;
    }

    private struct AvgSameRect : IAvgPool2dConfig
    {
        public static int Channels => 3;
        public static int InHeight => 14;
        public static int InWidth => 11;
        public static int OutHeight => 7;
        public static int OutWidth => 6;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 1;
        public static int PadBottom => 1;
        public static int PadRight => 1;
        public static bool CountIncludePad => false;
    }
}
