using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity.Kernels;

/// <summary>ReLU and ELU against libtorch's relu / elu, forward and autograd.</summary>
public class ActivationParityTests
{
    // Longer than one parallel chunk (16384), with a ragged tail.
    private const int Length = 40_003;

    [Fact]
    public void Relu()
    {
        float[] x = TestData.Uniform(401, Length, -3f, 3f);
        float[] dy = TestData.Uniform(402, Length);
        float[] y = TestData.NaNs(Length);
        Activations.Relu(x, y);
        float[] dx = TestData.NaNs(Length);
        Activations.ReluBackward(y, dy, dx);

        using var scope = torch.NewDisposeScope();
        var xt = TorchRef.Double(x, new long[] { Length }, requiresGrad: true);
        var yt = F.relu(xt);
        ParityAssert.AssertForward(y, TorchRef.Values(yt), "relu forward");
        TorchRef.Backward(yt, dy);
        ParityAssert.AssertGradient(dx, TorchRef.Gradient(xt), "relu input gradient");
    }

    [Theory]
    [InlineData(1.0f)]
    [InlineData(0.3f)]
    public void Elu(float alpha)
    {
        float[] x = TestData.Uniform(403, Length, -4f, 3f);
        float[] dy = TestData.Uniform(404, Length);
        float[] y = TestData.NaNs(Length);
        Activations.Elu(x, y, alpha);
        float[] dx = TestData.NaNs(Length);
        Activations.EluBackward(y, dy, dx, alpha);

        using var scope = torch.NewDisposeScope();
        var xt = TorchRef.Double(x, new long[] { Length }, requiresGrad: true);
        var yt = F.elu(xt, alpha);
        ParityAssert.AssertForward(y, TorchRef.Values(yt), $"elu({alpha}) forward");
        TorchRef.Backward(yt, dy);
        ParityAssert.AssertGradient(dx, TorchRef.Gradient(xt), $"elu({alpha}) input gradient");
    }
}
