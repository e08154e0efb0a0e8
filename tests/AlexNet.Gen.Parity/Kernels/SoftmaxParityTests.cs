using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity.Kernels;

/// <summary>Softmax and the fused softmax cross-entropy against libtorch's softmax / cross_entropy.</summary>
public class SoftmaxParityTests
{
    [Theory]
    [InlineData(5, 10)]
    [InlineData(3, 1000)]
    public void Softmax_ForwardAndBackward(int batch, int classes)
    {
        int length = batch * classes;
        float[] z = TestData.Uniform(501, length, -6f, 6f);
        float[] dp = TestData.Uniform(502, length);
        float[] p = TestData.NaNs(length);
        Softmax.Forward(z, p, batch, classes);
        float[] dz = TestData.NaNs(length);
        Softmax.Backward(p, dp, dz, batch, classes);

        using var scope = torch.NewDisposeScope();
        var zt = TorchRef.Double(z, new long[] { batch, classes }, requiresGrad: true);
        var pt = F.softmax(zt, 1);
        ParityAssert.AssertForward(p, TorchRef.Values(pt), "softmax forward");
        TorchRef.Backward(pt, dp);
        ParityAssert.AssertGradient(dz, TorchRef.Gradient(zt), "softmax logit gradient");
    }

    [Theory]
    [InlineData(8, 10, 0.0f)]
    [InlineData(8, 10, 0.1f)]
    [InlineData(4, 1000, 0.1f)]
    [InlineData(6, 7, 1.0f)]
    public void CrossEntropy_WithLabelSmoothing(int batch, int classes, float smoothing)
    {
        int length = batch * classes;
        float[] z = TestData.Uniform(601, length, -5f, 5f);
        int[] labels = TestData.Labels(602, batch, classes);
        float[] dz = TestData.NaNs(length);
        float loss = CrossEntropy.SoftmaxCrossEntropy(z, labels, dz, batch, classes, smoothing);
        float lossOnly = CrossEntropy.SoftmaxCrossEntropyLoss(z, labels, batch, classes, smoothing);

        using var scope = torch.NewDisposeScope();
        var zt = TorchRef.Double(z, new long[] { batch, classes }, requiresGrad: true);
        var lt = F.cross_entropy(zt, TorchRef.Labels(labels), label_smoothing: smoothing);
        double[] expected = TorchRef.Values(lt);
        ParityAssert.AssertForward(new[] { loss }, expected, "cross-entropy loss");
        ParityAssert.AssertForward(new[] { lossOnly }, expected, "cross-entropy loss (loss only)");
        lt.backward();
        ParityAssert.AssertGradient(dz, TorchRef.Gradient(zt), "cross-entropy logit gradient");
    }

    [Fact]
    public void CrossEntropy_HugeLogits_StayFinite()
    {
        // ±1e4 logits overflow a naive exp; libtorch's log-sum-exp and ours must agree.
        const int batch = 3, classes = 5;
        float[] z = TestData.Uniform(603, batch * classes, -1e4f, 1e4f);
        int[] labels = TestData.Labels(604, batch, classes);
        float[] dz = TestData.NaNs(batch * classes);
        float loss = CrossEntropy.SoftmaxCrossEntropy(z, labels, dz, batch, classes, 0.1f);

        using var scope = torch.NewDisposeScope();
        var zt = TorchRef.Double(z, new long[] { batch, classes }, requiresGrad: true);
        var lt = F.cross_entropy(zt, TorchRef.Labels(labels), label_smoothing: 0.1);
        ParityAssert.AssertForward(new[] { loss }, TorchRef.Values(lt), "cross-entropy loss, huge logits");
        lt.backward();
        ParityAssert.AssertGradient(dz, TorchRef.Gradient(zt), "cross-entropy gradient, huge logits");
    }
}
