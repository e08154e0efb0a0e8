using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity.Kernels;

/// <summary>Conv2d.Forward / Backward against libtorch's conv2d and autograd (input, weight and bias gradients).</summary>
public class ConvParityTests
{
    [Fact]
    public void PaperConv1_11x11Stride4_On227_AlsoAsFirstLayer()
        // The first layer passes an empty input gradient; its weight and bias gradients are checked that way too.
        => Check<PaperConv1>(1, 701, new Reference(Stride: 4), alsoWithoutInputGradient: true);

    [Fact]
    public void Groups2_5x5Pad2_OddBatch()
        => Check<Grouped5x5>(3, 703, new Reference(Padding: 2, Groups: 2));

    [Fact]
    public void Stride2Pad1_Rectangular_Groups2_NoBias()
        => Check<RectStride2NoBias>(2, 704, new Reference(Stride: 2, Padding: 1, Groups: 2));

    [Fact]
    public void AsymmetricSame_3x3Stride2_MatchesExplicitPad()
        // TensorFlow SAME on 14×11: rows 0 above / 1 below, columns 1 / 1.
        => Check<SameStride2>(2, 705, new Reference(Stride: 2, Pad: new long[] { 1, 1, 0, 1 }));

    [Fact]
    public void AsymmetricSame_EvenKernel4x4Stride1_MatchesExplicitPad()
        // SAME with an even kernel: total padding 3, one before and two after on each axis.
        => Check<SameEven4>(2, 706, new Reference(Pad: new long[] { 1, 2, 1, 2 }));

    [Fact]
    public void Pointwise1x1()
        => Check<Pointwise>(2, 707, new Reference());

    [Fact]
    public void Conv3x3Pad1_SingleSample()
        => Check<Conv3Like>(1, 708, new Reference(Padding: 1));

    [Fact]
    public void Winograd3x3_TwoGroupsOf128_Batch4()
    {
        // 3×3 stride 1 with ≥ 128 channels per group and batch ≥ 4: forward and input gradient take Winograd F(2×2, 3×3).
        Assert.True(!System.Runtime.Intrinsics.X86.Avx2.IsSupported || Conv2d.UsesWinograd(Conv2d.Geometry.Of<Winograd3x3>(), 4));
        Check<Winograd3x3>(4, 709, new Reference(Padding: 1, Groups: 2));
    }

    [Fact]
    public void Winograd5x5_64To192_Batch4()
    {
        // torchvision conv2's shape at a smaller image: forward and input gradient take Winograd F(2×2, 5×5).
        Assert.True(!System.Runtime.Intrinsics.X86.Avx2.IsSupported || Conv2d.UsesWinograd(Conv2d.Geometry.Of<Winograd5x5>(), 4));
        Check<Winograd5x5>(4, 710, new Reference(Padding: 2));
    }

    // ---- harness ----

    /// <summary>libtorch call: optional explicit F.pad [left, right, top, bottom] first, then conv2d.</summary>
    private sealed record Reference(int Stride = 1, int Padding = 0, int Groups = 1, long[]? Pad = null);

    private sealed record ConvData(float[] X, float[] W, float[] B, float[] Dy);

    private static ConvData Data<T>(int batch, ulong seed) where T : struct, IConv2dConfig
    {
        int weights = T.OutChannels * (T.InChannels / T.Groups) * T.KernelHeight * T.KernelWidth;
        // Weights scaled like a He-style initialization, so outputs stay O(1) for any fan-in.
        float scale = (float)Math.Sqrt(3.0 / ((T.InChannels / T.Groups) * T.KernelHeight * T.KernelWidth));
        return new ConvData(
            TestData.Uniform(seed, batch * T.InChannels * T.InHeight * T.InWidth),
            TestData.Uniform(seed + 1, weights, -scale, scale),
            T.HasBias ? TestData.Uniform(seed + 2, T.OutChannels) : Array.Empty<float>(),
            TestData.Uniform(seed + 3, batch * T.OutChannels * T.OutHeight * T.OutWidth));
    }

    private static (Tensor X, Tensor W, Tensor? B, Tensor Y) RunTorch<T>(int batch, ConvData data, Reference reference) where T : struct, IConv2dConfig
    {
        var xt = TorchRef.Double(data.X, new long[] { batch, T.InChannels, T.InHeight, T.InWidth }, requiresGrad: true);
        var wt = TorchRef.Double(data.W, new long[] { T.OutChannels, T.InChannels / T.Groups, T.KernelHeight, T.KernelWidth }, requiresGrad: true);
        var bt = T.HasBias ? TorchRef.Double(data.B, new long[] { T.OutChannels }, requiresGrad: true) : null;
        var input = reference.Pad is null ? xt : F.pad(xt, reference.Pad);
        var yt = F.conv2d(input, wt, bt,
            strides: new long[] { reference.Stride, reference.Stride },
            padding: new long[] { reference.Padding, reference.Padding },
            groups: reference.Groups);
        Assert.Equal(new long[] { batch, T.OutChannels, T.OutHeight, T.OutWidth }, yt.shape);
        return (xt, wt, bt, yt);
    }

    private static void Check<T>(int batch, ulong seed, Reference reference, bool alsoWithoutInputGradient = false)
        where T : struct, IConv2dConfig
    {
        var data = Data<T>(batch, seed);
        var workspace = new Workspace();
        float[] y = TestData.NaNs(data.Dy.Length);
        Conv2d.Forward<T>(data.X, data.W, data.B, y, batch, workspace);
        float[] dx = TestData.NaNs(data.X.Length);
        float[] dw = TestData.NaNs(data.W.Length);
        float[] db = T.HasBias ? TestData.NaNs(T.OutChannels) : Array.Empty<float>();
        Conv2d.Backward<T>(data.X, data.W, data.Dy, dx, dw, db, batch, workspace);

        using var scope = torch.NewDisposeScope();
        var (xt, wt, bt, yt) = RunTorch<T>(batch, data, reference);
        string name = typeof(T).Name;
        ParityAssert.AssertForward(y, TorchRef.Values(yt), name + " forward");
        TorchRef.Backward(yt, data.Dy);
        ParityAssert.AssertGradient(dx, TorchRef.Gradient(xt), name + " input gradient");
        ParityAssert.AssertGradient(dw, TorchRef.Gradient(wt), name + " weight gradient");
        if (bt is not null)
            ParityAssert.AssertGradient(db, TorchRef.Gradient(bt), name + " bias gradient");

        if (alsoWithoutInputGradient)
        {
            float[] dwOnly = TestData.NaNs(data.W.Length);
            float[] dbOnly = T.HasBias ? TestData.NaNs(T.OutChannels) : Array.Empty<float>();
            Conv2d.Backward<T>(data.X, data.W, data.Dy, Span<float>.Empty, dwOnly, dbOnly, batch, workspace);
            ParityAssert.AssertGradient(dwOnly, TorchRef.Gradient(wt), name + " weight gradient (no input gradient)");
            if (bt is not null)
                ParityAssert.AssertGradient(dbOnly, TorchRef.Gradient(bt), name + " bias gradient (no input gradient)");
        }

        // A second forward through the same (now warm) workspace gives the same result.
        float[] again = TestData.NaNs(y.Length);
        Conv2d.Forward<T>(data.X, data.W, data.B, again, batch, workspace);
        Assert.Equal(y, again);
    }

    // ---- configs: out = floor((in + padTop + padBottom − k) / s) + 1; bottom/right padding is implied ----

    private struct PaperConv1 : IConv2dConfig
    {
        public static int InChannels => 3;
        public static int InHeight => 227;
        public static int InWidth => 227;
        public static int OutChannels => 96;
        public static int OutHeight => 55;
        public static int OutWidth => 55;
        public static int KernelHeight => 11;
        public static int KernelWidth => 11;
        public static int StrideHeight => 4;
        public static int StrideWidth => 4;
        public static int PadTop => 0;
        public static int PadLeft => 0;
        public static int Groups => 1;
        public static bool HasBias => true;
    }

    private struct Grouped5x5 : IConv2dConfig
    {
        public static int InChannels => 16;
        public static int InHeight => 13;
        public static int InWidth => 13;
        public static int OutChannels => 24;
        public static int OutHeight => 13;
        public static int OutWidth => 13;
        public static int KernelHeight => 5;
        public static int KernelWidth => 5;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PadTop => 2;
        public static int PadLeft => 2;
        public static int Groups => 2;
        public static bool HasBias => true;
    }

    private struct RectStride2NoBias : IConv2dConfig
    {
        public static int InChannels => 6;
        public static int InHeight => 9;
        public static int InWidth => 12;
        public static int OutChannels => 10;
        public static int OutHeight => 5;
        public static int OutWidth => 6;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int Groups => 2;
        public static bool HasBias => false;
    }

    private struct SameStride2 : IConv2dConfig
    {
        public static int InChannels => 4;
        public static int InHeight => 14;
        public static int InWidth => 11;
        public static int OutChannels => 8;
        public static int OutHeight => 7;
        public static int OutWidth => 6;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 1;
        public static int Groups => 1;
        public static bool HasBias => true;
    }

    private struct SameEven4 : IConv2dConfig
    {
        public static int InChannels => 3;
        public static int InHeight => 10;
        public static int InWidth => 10;
        public static int OutChannels => 5;
        public static int OutHeight => 10;
        public static int OutWidth => 10;
        public static int KernelHeight => 4;
        public static int KernelWidth => 4;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int Groups => 1;
        public static bool HasBias => true;
    }

    private struct Pointwise : IConv2dConfig
    {
        public static int InChannels => 12;
        public static int InHeight => 7;
        public static int InWidth => 7;
        public static int OutChannels => 20;
        public static int OutHeight => 7;
        public static int OutWidth => 7;
        public static int KernelHeight => 1;
        public static int KernelWidth => 1;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PadTop => 0;
        public static int PadLeft => 0;
        public static int Groups => 1;
        public static bool HasBias => true;
    }

    private struct Winograd3x3 : IConv2dConfig
    {
        public static int InChannels => 256;
        public static int InHeight => 13;
        public static int InWidth => 11;
        public static int OutChannels => 256;
        public static int OutHeight => 13;
        public static int OutWidth => 11;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int Groups => 2;
        public static bool HasBias => true;
    }

    private struct Winograd5x5 : IConv2dConfig
    {
        public static int InChannels => 64;
        public static int InHeight => 15;
        public static int InWidth => 13;
        public static int OutChannels => 192;
        public static int OutHeight => 15;
        public static int OutWidth => 13;
        public static int KernelHeight => 5;
        public static int KernelWidth => 5;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PadTop => 2;
        public static int PadLeft => 2;
        public static int Groups => 1;
        public static bool HasBias => true;
    }

    private struct Conv3Like : IConv2dConfig
    {
        public static int InChannels => 32;
        public static int InHeight => 13;
        public static int InWidth => 13;
        public static int OutChannels => 48;
        public static int OutHeight => 13;
        public static int OutWidth => 13;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int Groups => 1;
        public static bool HasBias => true;
    }
}
