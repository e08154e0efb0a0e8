using System;
using System.Collections.Generic;
using System.Globalization;
using AlexNet.Gen.Tests.Reference;

namespace AlexNet.Gen.Tests.Models;

/// <summary>A per-sample activation shape: C×H×W when spatial, else <see cref="Channels"/> features.</summary>
internal readonly record struct ActivationShape(int Channels, int Height, int Width, bool Spatial)
{
    public int Length => Channels * Height * Width;

    public static ActivationShape Image(int c, int h, int w) => new(c, h, w, true);

    public static ActivationShape Features(int n) => new(n, 1, 1, false);

    public override string ToString() => Spatial ? $"{Channels}×{Height}×{Width}" : Length.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One layer with every default resolved and every dimension known: what the reference computes with.</summary>
internal sealed class ResolvedLayer
{
    public required LayerSpec Spec { get; init; }
    public required ActivationShape Input { get; init; }
    public required ActivationShape Output { get; init; }
    public string Name { get; set; } = "";
    public Conv2dShape Conv { get; init; }
    public PoolingShape Pool { get; init; }
    /// <summary>LRN window (channels before/after), the coefficient multiplying Σa², β and k.</summary>
    public int WindowBefore { get; init; }
    public int WindowAfter { get; init; }
    public double Coefficient { get; init; }
    public double Beta { get; init; }
    public double K { get; init; }
    public double EluAlpha { get; init; }

    public LayerKind Kind => Spec.Kind;
    public string WeightName => Name + ".weight";
    public string BiasName => Name + ".bias";
    public bool HasBias => Spec.HasParameters && Spec.Bias;

    public int[] WeightShape => Kind == LayerKind.Conv2d
        ? new[] { Conv.OutChannels, Conv.InChannels / Conv.Groups, Conv.KernelHeight, Conv.KernelWidth }
        : new[] { Output.Length, Input.Length };

    public long ParameterCount => !Spec.HasParameters ? 0
        : (Kind == LayerKind.Conv2d ? (long)Conv.WeightSize : (long)Output.Length * Input.Length) + (HasBias ? Output.Channels : 0);
}

/// <summary>
/// The test side's own shape inference, written from the attribute documentation: default stride = kernel for pools
/// and 1 for convolutions, per-axis overrides, TensorFlow SAME, PyTorch vs TensorFlow LRN windows.
/// </summary>
internal static class NetworkShapes
{
    /// <summary>Resolves one layer on <paramref name="input"/>; false (with the reason) when the generator would refuse it.</summary>
    public static bool TryResolve(LayerSpec s, ActivationShape input, out ResolvedLayer? layer, out string error)
    {
        layer = null;
        error = "";
        switch (s.Kind)
        {
            case LayerKind.Conv2d:
            {
                if (!input.Spatial) { error = "convolution after Flatten"; return false; }
                if (s.Groups < 1 || input.Channels % s.Groups != 0 || s.Out % s.Groups != 0) { error = "groups do not divide the channels"; return false; }
                if (!TryWindow(s, input, pool: false, out var w, out error)) return false;
                var conv = new Conv2dShape(input.Channels, input.Height, input.Width, s.Out, w.OutH, w.OutW,
                    w.KH, w.KW, w.SH, w.SW, w.Top, w.Left, s.Groups, s.Bias);
                layer = new ResolvedLayer { Spec = s, Input = input, Output = ActivationShape.Image(s.Out, w.OutH, w.OutW), Conv = conv };
                return true;
            }
            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool2d:
            {
                if (!input.Spatial) { error = "pooling after Flatten"; return false; }
                if (!TryWindow(s, input, pool: true, out var w, out error)) return false;
                var pool = new PoolingShape(input.Channels, input.Height, input.Width, w.OutH, w.OutW, w.KH, w.KW, w.SH, w.SW,
                    w.Top, w.Left, w.Bottom, w.Right, s.Kind == LayerKind.AvgPool2d && s.CountIncludePad);
                layer = new ResolvedLayer { Spec = s, Input = input, Output = ActivationShape.Image(input.Channels, w.OutH, w.OutW), Pool = pool };
                return true;
            }
            case LayerKind.LocalResponseNorm:
            {
                if (!input.Spatial) { error = "LRN after Flatten"; return false; }
                int size = s.Size;
                float alpha = s.Alpha ?? 1e-4f;
                layer = new ResolvedLayer
                {
                    Spec = s, Input = input, Output = input,
                    WindowBefore = size / 2, WindowAfter = (size - 1) / 2, // PyTorch: ⌊size/2⌋ before, ⌊(size−1)/2⌋ after
                    Coefficient = (double)alpha / size, Beta = s.Beta ?? 0.75f, K = s.K ?? 1f,
                };
                return true;
            }
            case LayerKind.TfLocalResponseNorm:
            {
                if (!input.Spatial) { error = "LRN after Flatten"; return false; }
                layer = new ResolvedLayer
                {
                    Spec = s, Input = input, Output = input,
                    WindowBefore = s.Size, WindowAfter = s.Size, // TensorFlow: radius on both sides, alpha not divided
                    Coefficient = s.Alpha ?? 1f, Beta = s.Beta ?? 0.5f, K = s.K ?? 1f,
                };
                return true;
            }
            case LayerKind.Dense:
                if (input.Spatial) { error = "Dense on a spatial input"; return false; }
                layer = new ResolvedLayer { Spec = s, Input = input, Output = ActivationShape.Features(s.Out) };
                return true;
            case LayerKind.Flatten:
                layer = new ResolvedLayer { Spec = s, Input = input, Output = ActivationShape.Features(input.Length) };
                return true;
            case LayerKind.Softmax:
                if (input.Spatial) { error = "Softmax on a spatial input"; return false; }
                layer = new ResolvedLayer { Spec = s, Input = input, Output = input };
                return true;
            case LayerKind.ELU:
                layer = new ResolvedLayer { Spec = s, Input = input, Output = input, EluAlpha = s.Alpha ?? 1f };
                return true;
            default: // ReLU, Dropout
                layer = new ResolvedLayer { Spec = s, Input = input, Output = input };
                return true;
        }
    }

    private struct WindowGeometry
    {
        public int KH, KW, SH, SW, Top, Left, Bottom, Right, OutH, OutW;
    }

    private static bool TryWindow(LayerSpec s, ActivationShape input, bool pool, out WindowGeometry w, out string error)
    {
        w = default;
        error = "";
        w.KH = s.KernelHeight ?? s.KernelSize;
        w.KW = s.KernelWidth ?? s.KernelSize;
        // Pools: an unset stride is the kernel size of that axis (PyTorch); convolutions: 1.
        w.SH = s.StrideHeight ?? s.Stride ?? (pool ? w.KH : 1);
        w.SW = s.StrideWidth ?? s.Stride ?? (pool ? w.KW : 1);
        if (w.KH < 1 || w.KW < 1 || w.SH < 1 || w.SW < 1) { error = "non-positive kernel or stride"; return false; }
        if (s.Padding == Padding.Same)
        {
            if (s.PaddingHeight is not null || s.PaddingWidth is not null) { error = "SAME with per-axis padding"; return false; }
            Same(input.Height, w.KH, w.SH, out w.OutH, out w.Top, out w.Bottom);
            Same(input.Width, w.KW, w.SW, out w.OutW, out w.Left, out w.Right);
            return true;
        }
        int ph = s.PaddingHeight ?? s.Padding ?? 0, pw = s.PaddingWidth ?? s.Padding ?? 0;
        if (ph < 0 || pw < 0) { error = "negative padding"; return false; }
        if (pool && (2 * ph > w.KH || 2 * pw > w.KW)) { error = "pool padding over half the window"; return false; }
        w.Top = w.Bottom = ph;
        w.Left = w.Right = pw;
        w.OutH = (input.Height + 2 * ph - w.KH) / w.SH + 1;
        w.OutW = (input.Width + 2 * pw - w.KW) / w.SW + 1;
        if (input.Height + 2 * ph < w.KH || input.Width + 2 * pw < w.KW) { error = "window larger than the padded input"; return false; }
        return true;
    }

    /// <summary>TensorFlow SAME: out = ⌈in/s⌉, total pad max((out − 1)·s + k − in, 0), the smaller half first.</summary>
    private static void Same(int input, int kernel, int stride, out int output, out int before, out int after)
    {
        output = (input + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + kernel - input, 0);
        before = total / 2;
        after = total - before;
    }

    /// <summary>Resolves a whole network and assigns the default names (conv1, fc1, pool1 … counted per kind) or the declared ones.</summary>
    public static List<ResolvedLayer> ResolveAll(ActivationShape input, IReadOnlyList<LayerSpec> specs)
    {
        var layers = new List<ResolvedLayer>();
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var current = input;
        for (int i = 0; i < specs.Count; i++)
        {
            if (specs[i].Kind == LayerKind.Softmax && i != specs.Count - 1)
                throw new ArgumentException("Softmax must be the last layer.", nameof(specs));
            if (!TryResolve(specs[i], current, out var layer, out string error))
                throw new ArgumentException($"Layer {i} ({specs[i].ToAttribute()}) on {current}: {error}.", nameof(specs));
            string prefix = Prefix(specs[i].Kind);
            counters.TryGetValue(prefix, out int n);
            counters[prefix] = ++n;
            layer!.Name = specs[i].Name ?? prefix + n.ToString(CultureInfo.InvariantCulture);
            layers.Add(layer);
            current = layer.Output;
        }
        return layers;
    }

    private static string Prefix(LayerKind kind) => kind switch
    {
        LayerKind.Conv2d => "conv",
        LayerKind.Dense => "fc",
        LayerKind.MaxPool2d or LayerKind.AvgPool2d => "pool",
        LayerKind.LocalResponseNorm or LayerKind.TfLocalResponseNorm => "norm",
        LayerKind.ReLU => "relu",
        LayerKind.ELU => "elu",
        LayerKind.Dropout => "dropout",
        LayerKind.Flatten => "flatten",
        _ => "softmax",
    };
}
