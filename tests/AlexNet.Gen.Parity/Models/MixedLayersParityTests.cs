using System.Collections.Generic;
using AlexNet.Gen.Parity.Support;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace AlexNet.Gen.Parity.Models;

/// <summary>
/// <see cref="MixedLayersNet"/> (TensorFlow LRN, ELU, both average-pool divisors, SAME convolutions with asymmetric
/// padding, a 3×21×17 input) against libtorch float64 built from equivalent ops: explicit asymmetric F.pad then
/// conv for SAME, F.local_response_norm with size 2r+1 and alpha·size for TensorFlow's LRN, nn.AvgPool2d with
/// count_include_pad for the first pool, and (zero-padded window sum) ÷ (number of real inputs) for the SAME pool.
/// </summary>
public sealed class MixedLayersParityTests
{
    private const int Batch = 4, Steps = 3, Classes = 7;
    private static readonly long[] InputShape = { Batch, 3, 21, 17 };

    [Fact]
    public void Forward_LogitsMatchLibTorch()
    {
        var ours = new MixedLayersNet(seed: 21);
        var kinks = new KinkWatch();
        kinks.Follow(ours, OurKinkLayers);
        using var torchNet = BuildTorch(kinks);
        var parity = new ModelParity(ours, torchNet) { Kinks = kinks };
        parity.CopyParametersToTorch();
        parity.AssertForward(Input(), InputShape);
    }

    [Fact]
    public void Backward_LossAndEveryParameterGradientMatchAutograd()
    {
        var ours = new MixedLayersNet(seed: 22);
        var kinks = new KinkWatch();
        kinks.Follow(ours, OurKinkLayers);
        using var torchNet = BuildTorch(kinks);
        var parity = new ModelParity(ours, torchNet) { Kinks = kinks };
        parity.CopyParametersToTorch();
        parity.AssertGradients(Input(), InputShape, Labels());
    }

    [Fact]
    public void ThreeSgdSteps_MatchTorchOptimSgd()
    {
        var ours = new MixedLayersNet(seed: 23);
        var kinks = new KinkWatch();
        kinks.Follow(ours, OurKinkLayers);
        using var torchNet = BuildTorch(kinks);
        var parity = new ModelParity(ours, torchNet) { Kinks = kinks };
        parity.CopyParametersToTorch();
        parity.AssertSgdSteps(Input(), InputShape, Labels(), Steps, parameterTolerance: 1e-4, displacementTolerance: 1e-3);
    }

    /// <summary>The watched ReLU → our layer that writes its output (it is fused into conv2).</summary>
    private static readonly Dictionary<string, string> OurKinkLayers = new() { ["relu1"] = "conv2" };

    private static TorchModule BuildTorch(KinkWatch kinks) => new TorchNet()
        // SAME, 4×4 stride 2: 21 → 11 needs 3 rows (1 top, 2 bottom), 17 → 9 needs 3 columns (1 left, 2 right).
        .ConvPadded("conv1", 3, 8, 4, stride: 2, padTop: 1, padBottom: 2, padLeft: 1, padRight: 2)
        .Elu(0.7)
        .LrnTensorFlow(depthRadius: 2, bias: 1.0, alpha: 0.2, beta: 0.75)
        .AvgPool(3, 1, padding: 1, countIncludePad: true)
        .Conv("conv2", 8, 12, 2, groups: 2)
        .Lambda(kinks.Relu("relu1"))
        .Relu()
        // SAME 3×3 stride 2: 10 → 5 and 8 → 4 each need one padded row/column, after (bottom/right).
        .AvgPoolSame(3, 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1)
        .ConvPadded("conv3", 12, 16, 3, stride: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
        .Elu(1.0)
        .Flatten()
        .Dropout(0)
        .Linear("fc1", 16 * 5 * 4, Classes)
        .Build();

    private static float[] Input() => TestData.Uniform(2117, Batch * 3 * 21 * 17, -2f, 2f);

    private static int[] Labels() => TestData.Labels(2118, Batch, Classes);
}
