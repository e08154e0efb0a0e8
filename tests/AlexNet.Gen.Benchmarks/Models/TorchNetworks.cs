using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace AlexNet.Gen.Benchmarks.Models;

/// <summary>
/// libtorch versions of the benchmarked networks in float32, built from a <see cref="ModelSpec"/> as torchvision
/// builds its AlexNet (ReLU in place, dropout as modules). A trailing softmax is left out of the module: the training
/// step fuses it into cross-entropy (as our Backward does) and inference applies it after the module.
/// </summary>
public static class TorchNetworks
{
    public static TorchModule Build(ModelSpec spec)
    {
        var modules = new List<(string, TorchModule)>();
        foreach (var (layer, c, _, _) in spec.WithInputShapes())
        {
            TorchModule? module = layer.Kind switch
            {
                "conv" => nn.Conv2d(c, layer.Out, layer.Kernel, stride: layer.Stride, padding: layer.Padding, groups: layer.Groups,
                    dtype: ScalarType.Float32),
                "dense" => nn.Linear(c, layer.Out, dtype: ScalarType.Float32),
                "relu" => nn.ReLU(inplace: true),
                "lrn" => nn.LocalResponseNorm(layer.Kernel, 1e-4, 0.75, 2.0),
                "maxpool" => nn.MaxPool2d(layer.Kernel, layer.Stride),
                "flatten" => nn.Flatten(),
                "dropout" => nn.Dropout(layer.P),
                "softmax" => null,
                _ => throw new ArgumentException($"Layer kind '{layer.Kind}' has no libtorch counterpart here.", nameof(spec)),
            };
            if (module is not null) modules.Add((modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));
        }
        return nn.Sequential(modules.ToArray());
    }

    /// <summary>True when the spec ends in softmax (applied after the module at inference).</summary>
    public static bool EndsInSoftmax(ModelSpec spec) => spec.Layers[^1].Kind == "softmax";

    /// <summary>
    /// Copies our parameters into the module in declaration order (both list weight then bias per layer), checking
    /// every shape, so both sides compute on the same numbers (no denormal or saturation difference between them).
    /// </summary>
    public static void LoadParameters(TorchModule module, ParameterCollection ours)
    {
        var theirs = module.parameters().ToArray();
        if (theirs.Length != ours.Count)
            throw new ArgumentException($"libtorch module has {theirs.Length} parameter tensors, ours {ours.Count}.", nameof(ours));
        using var noGrad = torch.no_grad();
        for (int i = 0; i < theirs.Length; i++)
        {
            var p = ours[i];
            long[] shape = theirs[i].shape;
            if (!shape.Select(d => (int)d).SequenceEqual(p.Shape.ToArray()))
                throw new ArgumentException($"{p.Name}: our shape {p.ShapeText}, libtorch's [{string.Join(", ", shape)}].", nameof(ours));
            using var values = torch.tensor(p.Values.ToArray(), shape, dtype: ScalarType.Float32);
            theirs[i].copy_(values);
        }
    }
}
