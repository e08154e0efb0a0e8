using System;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity;

/// <summary>
/// libtorch loads (through the patched libLibTorchSharp.so on older libstdc++) and its ops match values computed
/// by hand here, so later parity failures point at our kernels, not at the reference.
/// </summary>
public class LibTorchLoadTests
{
    [Fact]
    public void Conv2d_MatchesHandComputedWindowSums()
    {
        // Input 0..8 in a 3×3 plane, a 2×2 kernel of ones, bias 0.5: each output is the sum of a 2×2 block + 0.5.
        using var input = TorchRef.Double(new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 8 }, new long[] { 1, 1, 3, 3 });
        using var weight = TorchRef.Double(new float[] { 1, 1, 1, 1 }, new long[] { 1, 1, 2, 2 });
        using var bias = TorchRef.Double(new float[] { 0.5f }, new long[] { 1 });
        using var output = F.conv2d(input, weight, bias);

        Assert.Equal(new long[] { 1, 1, 2, 2 }, output.shape);
        Assert.Equal(new[] { 8.5, 12.5, 20.5, 24.5 }, TorchRef.Values(output));
    }

    [Fact]
    public void Conv2d_StrideAndPadding_MatchHandComputedValues()
    {
        // 2×2 input [1 2; 3 4] padded by 1 to 4×4; a 3×3 kernel at stride 2 fits once (output 1×1), its window
        // covering padded rows/columns 0..2: the centre tap sits on x[0,0], the bottom-right tap on x[1,1].
        using var input = TorchRef.Double(new float[] { 1, 2, 3, 4 }, new long[] { 1, 1, 2, 2 });
        using var weight = TorchRef.Double(new float[] { 0, 0, 0, 0, 1, 0, 0, 0, 2 }, new long[] { 1, 1, 3, 3 });
        using var output = F.conv2d(input, weight, strides: new long[] { 2, 2 }, padding: new long[] { 1, 1 });

        // Centre tap sees x[0,0] = 1, bottom-right tap sees x[1,1] = 4 weighted by 2: 1 + 8 = 9.
        Assert.Equal(new long[] { 1, 1, 1, 1 }, output.shape);
        Assert.Equal(new[] { 9.0 }, TorchRef.Values(output));
    }

    [Fact]
    public void LocalResponseNorm_MatchesTheFormula()
    {
        // Three channels of one pixel: with size 5 every channel's window covers all three.
        // PyTorch: b = a / (k + alpha/size · Σ a²)^beta = a / (2 + 1e-4/5 · 14)^0.75.
        using var input = TorchRef.Double(new float[] { 1, 2, 3 }, new long[] { 1, 3, 1, 1 });
        using var output = F.local_response_norm(input, 5, 1e-4, 0.75, 2.0);

        double denominator = Math.Pow(2.0 + 1e-4 / 5 * 14, 0.75);
        double[] values = TorchRef.Values(output);
        Assert.Equal(3, values.Length);
        for (int c = 0; c < 3; c++)
            Assert.Equal((c + 1) / denominator, values[c], 12);
    }

    [Fact]
    public void Autograd_GivesTheHandComputedGradientOfASquare()
    {
        using var x = TorchRef.Double(new float[] { 3f, -2f }, new long[] { 2 }, requiresGrad: true);
        using var loss = (x * x).sum();
        loss.backward();

        Assert.Equal(new[] { 6.0, -4.0 }, TorchRef.Gradient(x));
    }
}
