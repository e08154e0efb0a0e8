using System;
using System.Collections.Generic;

namespace AlexNet.Gen.Benchmarks.Models;

/// <summary>The benchmarked networks (Networks.cs), by name in the benchmark parameters.</summary>
public enum ModelKind
{
    TorchvisionAlexNet,
    PaperAlexNet,
    CompactAlexNet,
}

/// <summary>One layer of a <see cref="ModelSpec"/>; only the fields its kind uses are set.</summary>
public sealed record LayerSpec(string Kind, int Out = 0, int Kernel = 0, int Stride = 1, int Padding = 0, int Groups = 1, float P = 0f)
{
    public static LayerSpec Conv(int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1)
        => new("conv", outChannels, kernel, stride, padding, groups);

    public static LayerSpec Dense(int outFeatures) => new("dense", outFeatures);
    public static LayerSpec MaxPool(int kernel, int stride) => new("maxpool", Kernel: kernel, Stride: stride);
    public static LayerSpec Lrn5() => new("lrn", Kernel: 5);
    public static LayerSpec Dropout(float p) => new("dropout", P: p);
    public static readonly LayerSpec Relu = new("relu");
    public static readonly LayerSpec Flatten = new("flatten");
    public static readonly LayerSpec Softmax = new("softmax");
}

/// <summary>
/// The same layer lists as the attribute declarations in Networks.cs, written once more as data: the libtorch
/// side is built from it (<see cref="TorchNetworks"/>) and the multiply-adds are counted from it. The torch
/// builder checks that every parameter shape equals ours, so a drift between the two lists fails at setup.
/// </summary>
public sealed class ModelSpec
{
    private ModelSpec(ModelKind kind, int channels, int height, int width, int trainingBatch, params LayerSpec[] layers)
    {
        Kind = kind;
        Channels = channels;
        Height = height;
        Width = width;
        TrainingBatch = trainingBatch;
        Layers = layers;
        (ForwardMacs, FirstLayerMacs) = CountMacs();
    }

    public ModelKind Kind { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Issue #6: 64 for the AlexNets, 128 for the compact network.</summary>
    public int TrainingBatch { get; }

    public IReadOnlyList<LayerSpec> Layers { get; }

    /// <summary>Multiply-adds of the convolutions and dense layers for one image (what dominates the time).</summary>
    public long ForwardMacs { get; }

    /// <summary>Those of the first layer, whose input gradient a training step skips.</summary>
    public long FirstLayerMacs { get; }

    public int InputLength => Channels * Height * Width;

    /// <summary>FLOPs (2 per multiply-add) of inference for one image.</summary>
    public double InferenceFlops => 2.0 * ForwardMacs;

    /// <summary>FLOPs of one training image: forward, weight gradients (as many), input gradients (all but the first layer).</summary>
    public double TrainingFlops => 2.0 * (3 * ForwardMacs - FirstLayerMacs);

    public static ModelSpec Get(ModelKind kind) => kind switch
    {
        ModelKind.TorchvisionAlexNet => Torchvision,
        ModelKind.PaperAlexNet => Paper,
        ModelKind.CompactAlexNet => Compact,
        _ => throw new ArgumentException($"Unknown model {kind}.", nameof(kind)),
    };

    /// <summary>A new generated network of this kind (seeded, so every run starts from the same parameters).</summary>
    public INetwork CreateOurs(int seed) => Kind switch
    {
        ModelKind.TorchvisionAlexNet => new TorchvisionAlexNet(seed),
        ModelKind.PaperAlexNet => new PaperAlexNet(seed),
        ModelKind.CompactAlexNet => new CompactAlexNet(seed),
        _ => throw new ArgumentException($"Unknown model {Kind}."),
    };

    private static readonly ModelSpec Torchvision = new(ModelKind.TorchvisionAlexNet, 3, 224, 224, 64,
        LayerSpec.Conv(64, 11, 4, 2), LayerSpec.Relu, LayerSpec.MaxPool(3, 2),
        LayerSpec.Conv(192, 5, 1, 2), LayerSpec.Relu, LayerSpec.MaxPool(3, 2),
        LayerSpec.Conv(384, 3, 1, 1), LayerSpec.Relu,
        LayerSpec.Conv(256, 3, 1, 1), LayerSpec.Relu,
        LayerSpec.Conv(256, 3, 1, 1), LayerSpec.Relu, LayerSpec.MaxPool(3, 2),
        LayerSpec.Flatten,
        LayerSpec.Dropout(0.5f), LayerSpec.Dense(4096), LayerSpec.Relu,
        LayerSpec.Dropout(0.5f), LayerSpec.Dense(4096), LayerSpec.Relu,
        LayerSpec.Dense(1000));

    private static readonly ModelSpec Paper = new(ModelKind.PaperAlexNet, 3, 227, 227, 64,
        LayerSpec.Conv(96, 11, 4), LayerSpec.Relu, LayerSpec.Lrn5(), LayerSpec.MaxPool(3, 2),
        LayerSpec.Conv(256, 5, 1, 2, 2), LayerSpec.Relu, LayerSpec.Lrn5(), LayerSpec.MaxPool(3, 2),
        LayerSpec.Conv(384, 3, 1, 1), LayerSpec.Relu,
        LayerSpec.Conv(384, 3, 1, 1, 2), LayerSpec.Relu,
        LayerSpec.Conv(256, 3, 1, 1, 2), LayerSpec.Relu, LayerSpec.MaxPool(3, 2),
        LayerSpec.Flatten,
        LayerSpec.Dropout(0.5f), LayerSpec.Dense(4096), LayerSpec.Relu,
        LayerSpec.Dropout(0.5f), LayerSpec.Dense(4096), LayerSpec.Relu,
        LayerSpec.Dense(1000), LayerSpec.Softmax);

    private static readonly ModelSpec Compact = new(ModelKind.CompactAlexNet, 1, 28, 28, 128,
        LayerSpec.Conv(32, 3, 1, 1), LayerSpec.Relu, LayerSpec.Lrn5(), LayerSpec.MaxPool(2, 2),
        LayerSpec.Conv(64, 3, 1, 1), LayerSpec.Relu, LayerSpec.Lrn5(), LayerSpec.MaxPool(2, 2),
        LayerSpec.Conv(128, 3, 1, 1), LayerSpec.Relu,
        LayerSpec.Conv(128, 3, 1, 1), LayerSpec.Relu,
        LayerSpec.Conv(64, 3, 1, 1), LayerSpec.Relu, LayerSpec.MaxPool(3, 2),
        LayerSpec.Flatten,
        LayerSpec.Dropout(0.5f), LayerSpec.Dense(256), LayerSpec.Relu,
        LayerSpec.Dropout(0.5f), LayerSpec.Dense(256), LayerSpec.Relu,
        LayerSpec.Dense(10));

    /// <summary>Walks the shapes: the input features of each layer, for the torch builder and the MAC count.</summary>
    public IEnumerable<(LayerSpec Layer, int C, int H, int W)> WithInputShapes()
    {
        int c = Channels, h = Height, w = Width;
        foreach (var layer in Layers)
        {
            yield return (layer, c, h, w);
            switch (layer.Kind)
            {
                case "conv":
                    h = (h + 2 * layer.Padding - layer.Kernel) / layer.Stride + 1;
                    w = (w + 2 * layer.Padding - layer.Kernel) / layer.Stride + 1;
                    c = layer.Out;
                    break;
                case "maxpool":
                    h = (h - layer.Kernel) / layer.Stride + 1;
                    w = (w - layer.Kernel) / layer.Stride + 1;
                    break;
                case "flatten":
                    c = c * h * w;
                    h = w = 1;
                    break;
                case "dense":
                    c = layer.Out;
                    break;
            }
        }
    }

    private (long Total, long First) CountMacs()
    {
        long total = 0, first = -1;
        foreach (var (layer, c, h, w) in WithInputShapes())
        {
            long macs;
            if (layer.Kind == "conv")
            {
                long oh = (h + 2 * layer.Padding - layer.Kernel) / layer.Stride + 1;
                long ow = (w + 2 * layer.Padding - layer.Kernel) / layer.Stride + 1;
                macs = oh * ow * layer.Out * (c / layer.Groups) * layer.Kernel * layer.Kernel;
            }
            else if (layer.Kind == "dense")
            {
                macs = (long)c * layer.Out;
            }
            else
            {
                continue;
            }
            total += macs;
            if (first < 0) first = macs;
        }
        return (total, first);
    }
}
