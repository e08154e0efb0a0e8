using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity.Kernels;

/// <summary>LocalResponseNorm against libtorch's local_response_norm, forward and autograd.</summary>
public class LrnParityTests
{
    [Fact]
    public void Paper_Size5_Alpha1e4_Beta075_K2()
        // Large inputs so the Σx² term is not negligible next to k = 2.
        => Check<Paper>(2, 301, scale: 40f, x => F.local_response_norm(x, 5, 1e-4, 0.75, 2.0));

    [Fact]
    public void EvenSize_AsymmetricWindow_GeneralBeta_SeveralTiles()
        // size 4: two channels before, one after; 24×24 = 576 pixels spans more than one 512-pixel tile.
        => Check<EvenStrong>(2, 302, scale: 2f, x => F.local_response_norm(x, 4, 2.0, 0.6, 1.0));

    [Fact]
    public void TensorFlowConvention_MapsToTorchWithAlphaTimesSize()
        // TF: depth_radius 2, bias 1, alpha 0.01, beta 0.5 ⇔ PyTorch size 5, alpha 0.05 (PyTorch divides alpha by size).
        => Check<TensorFlowStyle>(3, 303, scale: 3f, x => F.local_response_norm(x, 5, 0.01 * 5, 0.5, 1.0));

    private static void Check<T>(int batch, ulong seed, float scale, Func<Tensor, Tensor> reference) where T : struct, ILrnConfig
    {
        int length = batch * T.Channels * T.Height * T.Width;
        float[] x = TestData.Uniform(seed, length, -scale, scale);
        float[] dy = TestData.Uniform(seed + 1000, length);

        float[] y = TestData.NaNs(length);
        LocalResponseNorm.Forward<T>(x, y, batch);
        float[] yTraining = TestData.NaNs(length);
        float[] lrnScale = TestData.NaNs(length);
        LocalResponseNorm.ForwardTraining<T>(x, yTraining, lrnScale, batch);
        float[] dx = TestData.NaNs(length);
        LocalResponseNorm.Backward<T>(x, yTraining, lrnScale, dy, dx, batch);

        using var disposeScope = torch.NewDisposeScope();
        long[] shape = { batch, T.Channels, T.Height, T.Width };
        var xt = TorchRef.Double(x, shape, requiresGrad: true);
        var yt = reference(xt);
        Assert.Equal(shape, yt.shape);
        double[] expected = TorchRef.Values(yt);
        ParityAssert.AssertForward(y, expected, typeof(T).Name + " forward");
        ParityAssert.AssertForward(yTraining, expected, typeof(T).Name + " training forward");
        TorchRef.Backward(yt, dy);
        ParityAssert.AssertGradient(dx, TorchRef.Gradient(xt), typeof(T).Name + " input gradient");
    }

    // PyTorch size n: WindowBefore = n/2, WindowAfter = (n−1)/2, Coefficient = alpha/n.
    private struct Paper : ILrnConfig
    {
        public static int Channels => 16;
        public static int Height => 6;
        public static int Width => 6;
        public static int WindowBefore => 2;
        public static int WindowAfter => 2;
        public static float Coefficient => 1e-4f / 5;
        public static float Beta => 0.75f;
        public static float K => 2f;
    }

    private struct EvenStrong : ILrnConfig
    {
        public static int Channels => 7;
        public static int Height => 24;
        public static int Width => 24;
        public static int WindowBefore => 2;
        public static int WindowAfter => 1;
        public static float Coefficient => 2f / 4;
        public static float Beta => 0.6f;
        public static float K => 1f;
    }

    private struct TensorFlowStyle : ILrnConfig
    {
        public static int Channels => 9;
        public static int Height => 5;
        public static int Width => 3;
        public static int WindowBefore => 2;
        public static int WindowAfter => 2;
        public static float Coefficient => 0.01f;
        public static float Beta => 0.5f;
        public static float K => 1f;
    }
}
