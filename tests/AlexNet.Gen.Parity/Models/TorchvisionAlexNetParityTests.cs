using System;
using System.Collections.Generic;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace AlexNet.Gen.Parity.Models;

/// <summary>
/// torchvision's AlexNet (224×224, logits) declared with our attributes against <see cref="TorchvisionAlexNet"/>
/// (torchvision's module tree and names, float64); our conv1…fc3 map to features.0…classifier.6.
/// </summary>
public sealed class TorchvisionAlexNetParityTests : IClassFixture<TorchvisionAlexNetParityTests.Models>
{
    private const int Batch = 2, Steps = 3;
    private static readonly long[] InputShape = { Batch, 3, 224, 224 };

    private readonly Models _models;

    public TorchvisionAlexNetParityTests(Models models)
    {
        _models = models;
        _models.Reset();
    }

    [Fact]
    public void AdaptiveAvgPoolTo6x6_IsTheIdentityAt224()
    {
        // Why our declaration can leave torchvision's avgpool out: at 224 the trunk already ends at 256×6×6.
        using var threads = new TorchThreads(2);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.tensor(Input(), InputShape, dtype: ScalarType.Float32).to_type(ScalarType.Float64);
        var features = _models.Torch.Features(x);
        var pooled = TorchvisionAlexNet.AveragePool(features);

        Assert.Equal(new long[] { Batch, 256, 6, 6 }, features.shape);
        Assert.Equal(features.shape, pooled.shape);
        // Each output averages a 1×1 window: exactly its input.
        double[] before = TorchRef.Values(features);
        Assert.Contains(before, v => v > 0);
        Assert.Equal(before, TorchRef.Values(pooled));
        Assert.Equal(256 * 6 * 6, _models.Ours.Parameters["fc1.weight"].Shape[1]);
    }

    [Fact]
    public void Forward_LogitsMatchLibTorch()
    {
        using var threads = new TorchThreads(2);
        _models.Parity.AssertForward(Input(), InputShape);
    }

    [Fact]
    public void Backward_LossAndEveryParameterGradientMatchAutograd()
    {
        using var threads = new TorchThreads(2);
        _models.Parity.AssertGradients(Input(), InputShape, Labels());
    }

    [Fact]
    public void ThreeSgdSteps_MatchTorchOptimSgd()
    {
        using var threads = new TorchThreads(2);
        _models.Parity.AssertSgdSteps(Input(), InputShape, Labels(), Steps, parameterTolerance: 1e-4, displacementTolerance: 1e-3);
    }

    private static float[] Input() => TestData.Uniform(224, Batch * 3 * 224 * 224);

    private static int[] Labels() => TestData.Labels(225, Batch, 1000);

    /// <summary>Both models, built once for the class; <see cref="Reset"/> restores the initial parameters.</summary>
    public sealed class Models : IDisposable
    {
        private readonly float[] _initial;

        public Models()
        {
            Ours = new TorchvisionAlexNetParity(seed: 224);
            _initial = (float[])Ours.Parameters.Values.Clone();
            // Dropout(0) like ours (see ParityNetworks.cs); the module also runs in eval mode.
            var kinks = new KinkWatch();
            // Watched ReLU/max-pool (torchvision's indices) → our layer that writes its output/input (ReLUs are fused).
            kinks.Follow(Ours, new Dictionary<string, string>
            {
                ["features.1"] = "conv1", ["features.2"] = "conv1", ["features.4"] = "conv2", ["features.5"] = "conv2",
                ["features.7"] = "conv3", ["features.9"] = "conv4", ["features.11"] = "conv5", ["features.12"] = "conv5",
                ["classifier.2"] = "fc1", ["classifier.5"] = "fc2",
            });
            Torch = new TorchvisionAlexNet(classes: 1000, dropout: 0, ScalarType.Float64) { Kinks = kinks };
            Torch.eval();
            Parity = new ModelParity(Ours, Torch, TorchvisionNames.Invert(TorchvisionNames.AlexNet)) { Kinks = kinks };
        }

        internal TorchvisionAlexNetParity Ours { get; }

        internal TorchvisionAlexNet Torch { get; }

        internal ModelParity Parity { get; }

        public void Reset()
        {
            _initial.AsSpan().CopyTo(Ours.Parameters.Values);
            Parity.CopyParametersToTorch();
        }

        public void Dispose()
        {
            Torch.Dispose();
            // ~1 GB of managed parameter arrays: release them before the next class builds its own big pair.
            GC.Collect();
        }
    }
}
