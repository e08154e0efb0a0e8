using System;
using System.Collections.Generic;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace AlexNet.Gen.Parity.Models;

/// <summary>
/// The compact Fashion-MNIST AlexNet (samples/FashionMnist) against libtorch float64: with Dropout(0), and with the
/// sample's own Dropout(0.5) where our masks are replayed into the torch model.
/// </summary>
public sealed class FashionAlexNetParityTests
{
    private const int Batch = 8, Steps = 3, Classes = 10, Features = 64 * 3 * 3;
    private static readonly long[] InputShape = { Batch, 1, 28, 28 };

    [Fact]
    public void Forward_LogitsMatchLibTorch()
    {
        var ours = new FashionAlexNetParity(seed: 28);
        var kinks = new KinkWatch();
        kinks.Follow(ours, OurKinkLayers);
        using var torchNet = BuildTorch(null, kinks);
        var parity = new ModelParity(ours, torchNet) { Kinks = kinks };
        parity.CopyParametersToTorch();
        parity.AssertForward(Input(), InputShape);
    }

    [Fact]
    public void Backward_LossAndEveryParameterGradientMatchAutograd()
    {
        var ours = new FashionAlexNetParity(seed: 29);
        var kinks = new KinkWatch();
        kinks.Follow(ours, OurKinkLayers);
        using var torchNet = BuildTorch(null, kinks);
        var parity = new ModelParity(ours, torchNet) { Kinks = kinks };
        parity.CopyParametersToTorch();
        parity.AssertGradients(Input(), InputShape, Labels());
    }

    [Fact]
    public void ThreeSgdSteps_MatchTorchOptimSgd()
    {
        var ours = new FashionAlexNetParity(seed: 30);
        var kinks = new KinkWatch();
        kinks.Follow(ours, OurKinkLayers);
        using var torchNet = BuildTorch(null, kinks);
        var parity = new ModelParity(ours, torchNet) { Kinks = kinks };
        parity.CopyParametersToTorch();
        parity.AssertSgdSteps(Input(), InputShape, Labels(), Steps, parameterTolerance: 1e-4, displacementTolerance: 1e-3);
    }

    /// <summary>
    /// The sample's exact declaration, Dropout(0.5) included. Our masks follow the Dropout kernel's contract (element
    /// i of a layer's [N, features] mask takes the generator's next NextSingle draw: 0 below p, else 1/(1 − p); the
    /// layers draw in order). Before each training forward the test copies the model's generator state and replays
    /// both masks into the torch model, so the two compute the same function; gradients and SGD steps then match.
    /// (With seed 31 the SGD part met a conv3 ReLU input 1.6e-8·max from zero at step 2, which float32 resolved the
    /// other way: a 2.7e-3 conv1 displacement mismatch that <see cref="KinkWatch"/> pins on that near-kink.)
    /// </summary>
    [Fact]
    public void SampleDeclarationWithDropout_ReplayedMasks_GradientsAndSgdStepsMatch()
    {
        var ours = new FashionMnistSampleNet(seed: 34);
        var masks = new Tensor?[2];
        var kinks = new KinkWatch();
        kinks.Follow(ours, OurKinkLayers);
        using var torchNet = BuildTorch(masks, kinks);
        var parity = new ModelParity(ours, torchNet)
        {
            Kinks = kinks,
            BeforeTrainingForward = () =>
            {
                var replay = new SeededRandom(1);
                replay.SetState(ours.Random.GetState());
                for (int m = 0; m < masks.Length; m++)
                {
                    int features = m == 0 ? Features : 256;
                    var values = new double[Batch * features];
                    for (int i = 0; i < values.Length; i++)
                        values[i] = replay.NextSingle() < 0.5f ? 0.0 : 2.0;
                    masks[m]?.Dispose();
                    masks[m] = torch.tensor(values, new long[] { Batch, features }, dtype: ScalarType.Float64);
                }
            },
        };
        parity.CopyParametersToTorch();
        try
        {
            parity.AssertGradients(Input(), InputShape, Labels());
            // The masks must have done something: some features dropped, the rest doubled.
            using var maskSum = masks[0]!.sum();
            double kept = maskSum.item<double>() / 2;
            Assert.InRange(kept, 0.3 * Batch * Features, 0.7 * Batch * Features);
            parity.AssertSgdSteps(Input(), InputShape, Labels(), Steps, parameterTolerance: 1e-4, displacementTolerance: 1e-3);
        }
        finally
        {
            foreach (var mask in masks) mask?.Dispose();
        }
    }

    /// <summary>The sample network in libtorch; with <paramref name="masks"/>, dropout multiplies by masks[0]/masks[1] (set per step).</summary>
    private static TorchModule BuildTorch(Tensor?[]? masks, KinkWatch kinks)
    {
        var net = new TorchNet()
            .Conv("conv1", 1, 32, 3, padding: 1).Lambda(kinks.Relu("relu1")).Relu().Lrn(5, 1e-4, 0.75, 2.0).Lambda(kinks.MaxPool("pool1", 2, 2)).MaxPool(2, 2)
            .Conv("conv2", 32, 64, 3, padding: 1).Lambda(kinks.Relu("relu2")).Relu().Lrn(5, 1e-4, 0.75, 2.0).Lambda(kinks.MaxPool("pool2", 2, 2)).MaxPool(2, 2)
            .Conv("conv3", 64, 128, 3, padding: 1).Lambda(kinks.Relu("relu3")).Relu()
            .Conv("conv4", 128, 128, 3, padding: 1).Lambda(kinks.Relu("relu4")).Relu()
            .Conv("conv5", 128, 64, 3, padding: 1).Lambda(kinks.Relu("relu5")).Relu()
            .Lambda(kinks.MaxPool("pool3", 3, 2)).MaxPool(3, 2)
            .Flatten();
        net = masks is null ? net.Dropout(0) : net.Lambda(x => x * (masks[0] ?? throw new InvalidOperationException("mask 1 not set")));
        net = net.Linear("fc1", Features, 256).Lambda(kinks.Relu("relu6")).Relu();
        net = masks is null ? net.Dropout(0) : net.Lambda(x => x * (masks[1] ?? throw new InvalidOperationException("mask 2 not set")));
        return net.Linear("fc2", 256, 256).Lambda(kinks.Relu("relu7")).Relu().Linear("fc3", 256, Classes).Build();
    }

    /// <summary>Watched ReLU/max-pool → our layer that writes its output/input (ReLUs are fused, pools 1–2 follow LRN).</summary>
    private static readonly Dictionary<string, string> OurKinkLayers = new()
    {
        ["relu1"] = "conv1", ["pool1"] = "norm1", ["relu2"] = "conv2", ["pool2"] = "norm2", ["relu3"] = "conv3",
        ["relu4"] = "conv4", ["relu5"] = "conv5", ["pool3"] = "conv5", ["relu6"] = "fc1", ["relu7"] = "fc2",
    };

    private static float[] Input() => TestData.Uniform(2828, Batch * 28 * 28, 0f, 1f);

    private static int[] Labels() => TestData.Labels(2829, Batch, Classes);
}
