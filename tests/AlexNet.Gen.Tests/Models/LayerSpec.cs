using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text;

namespace AlexNet.Gen.Tests.Models;

/// <summary>Layer kinds of the test-side description (mirrors the layer attributes one to one).</summary>
internal enum LayerKind
{
    Conv2d,
    Dense,
    ReLU,
    ELU,
    LocalResponseNorm,
    TfLocalResponseNorm,
    MaxPool2d,
    AvgPool2d,
    Dropout,
    Flatten,
    Softmax,
}

/// <summary>
/// One layer as written in its attribute: null means "not set" so that defaults are resolved by the reference
/// (<see cref="NetworkReference"/>), independently of the generator. <see cref="ToAttribute"/> renders the C#
/// attribute text; <see cref="FromAttributeData"/> reads the attribute of a network declared in this project.
/// </summary>
internal sealed record LayerSpec(LayerKind Kind)
{
    /// <summary>Conv2d output channels or Dense output features.</summary>
    public int Out { get; init; }
    public int KernelSize { get; init; }
    public int? KernelHeight { get; init; }
    public int? KernelWidth { get; init; }
    public int? Stride { get; init; }
    public int? StrideHeight { get; init; }
    public int? StrideWidth { get; init; }
    /// <summary>Symmetric padding, or <see cref="Padding.Same"/>; null = not written.</summary>
    public int? Padding { get; init; }
    public int? PaddingHeight { get; init; }
    public int? PaddingWidth { get; init; }
    public int Groups { get; init; } = 1;
    public bool Bias { get; init; } = true;
    public bool CountIncludePad { get; init; } = true;
    /// <summary>PyTorch LRN size, or TensorFlow LRN depth radius.</summary>
    public int Size { get; init; }
    /// <summary>ELU alpha or LRN alpha (null: the attribute's default).</summary>
    public float? Alpha { get; init; }
    public float? Beta { get; init; }
    /// <summary>PyTorch LRN k, or TensorFlow LRN bias.</summary>
    public float? K { get; init; }
    public float P { get; init; }
    /// <summary>An explicit layer name (the attribute's Name), or null for the default (conv1, fc1, …).</summary>
    public string? Name { get; init; }

    public bool HasParameters => Kind is LayerKind.Conv2d or LayerKind.Dense;

    public static LayerSpec Conv(int outChannels, int kernel) => new(LayerKind.Conv2d) { Out = outChannels, KernelSize = kernel };
    public static LayerSpec Fc(int outFeatures) => new(LayerKind.Dense) { Out = outFeatures };
    public static LayerSpec MaxPool(int kernel) => new(LayerKind.MaxPool2d) { KernelSize = kernel };
    public static LayerSpec AvgPool(int kernel) => new(LayerKind.AvgPool2d) { KernelSize = kernel };
    public static LayerSpec Of(LayerKind kind) => new(kind);

    /// <summary>The attribute as C# source, e.g. <c>[Conv2d(8, 3, StrideHeight = 2, Padding = Padding.Same)]</c>.</summary>
    public string ToAttribute()
    {
        var args = new List<string>();
        void Named(string name, int? value)
        {
            if (value is { } v) args.Add(name + " = " + (v == AlexNet.Gen.Padding.Same && name == "Padding" ? "Padding.Same" : I(v)));
        }
        void NamedF(string name, float? value)
        {
            if (value is { } v) args.Add(name + " = " + F(v));
        }
        void Window()
        {
            Named("KernelHeight", KernelHeight);
            Named("KernelWidth", KernelWidth);
            Named("Stride", Stride);
            Named("StrideHeight", StrideHeight);
            Named("StrideWidth", StrideWidth);
            Named("Padding", Padding);
            Named("PaddingHeight", PaddingHeight);
            Named("PaddingWidth", PaddingWidth);
        }

        string head;
        switch (Kind)
        {
            case LayerKind.Conv2d:
                head = $"Conv2d({I(Out)}, {I(KernelSize)}";
                Window();
                if (Groups != 1) args.Add("Groups = " + I(Groups));
                if (!Bias) args.Add("Bias = false");
                break;
            case LayerKind.Dense:
                head = $"Dense({I(Out)}";
                if (!Bias) args.Add("Bias = false");
                break;
            case LayerKind.MaxPool2d:
                head = $"MaxPool2d({I(KernelSize)}";
                Window();
                break;
            case LayerKind.AvgPool2d:
                head = $"AvgPool2d({I(KernelSize)}";
                Window();
                if (!CountIncludePad) args.Add("CountIncludePad = false");
                break;
            case LayerKind.LocalResponseNorm:
                head = $"LocalResponseNorm({I(Size)}";
                NamedF("Alpha", Alpha);
                NamedF("Beta", Beta);
                NamedF("K", K);
                break;
            case LayerKind.TfLocalResponseNorm:
                head = $"TfLocalResponseNorm({I(Size)}";
                NamedF("Bias", K);
                NamedF("Alpha", Alpha);
                NamedF("Beta", Beta);
                break;
            case LayerKind.ELU:
                head = "ELU(";
                NamedF("Alpha", Alpha);
                break;
            case LayerKind.Dropout:
                head = $"Dropout({F(P)}";
                break;
            default:
                head = Kind + "(";
                break;
        }
        if (Name is not null) args.Add($"Name = \"{Name}\"");
        var text = new StringBuilder("[").Append(head);
        bool first = head.EndsWith('(');
        foreach (var a in args)
        {
            text.Append(first ? "" : ", ").Append(a);
            first = false;
        }
        return text.Append(")]").ToString();
    }

    /// <summary>
    /// Reads a layer attribute as written in source: the constructor arguments and exactly the named arguments that
    /// were set (so an explicit <c>PaddingWidth = 0</c> is told apart from an unset one).
    /// </summary>
    public static LayerSpec FromAttributeData(CustomAttributeData data)
    {
        var ctor = data.ConstructorArguments.Select(a => a.Value).ToArray();
        var named = data.NamedArguments.ToDictionary(a => a.MemberName, a => a.TypedValue.Value, StringComparer.Ordinal);
        int? Int(string name) => named.TryGetValue(name, out var v) ? (int)v! : null;
        float? Float(string name) => named.TryGetValue(name, out var v) ? (float)v! : null;
        bool Flag(string name, bool fallback) => named.TryGetValue(name, out var v) ? (bool)v! : fallback;
        int Arg(int i) => (int)ctor[i]!;

        LayerSpec Window(LayerSpec s) => s with
        {
            KernelHeight = Int("KernelHeight"), KernelWidth = Int("KernelWidth"),
            Stride = Int("Stride"), StrideHeight = Int("StrideHeight"), StrideWidth = Int("StrideWidth"),
            Padding = Int("Padding"), PaddingHeight = Int("PaddingHeight"), PaddingWidth = Int("PaddingWidth"),
        };

        LayerSpec spec = data.AttributeType.Name switch
        {
            nameof(Conv2dAttribute) => Window(new LayerSpec(LayerKind.Conv2d) { Out = Arg(0), KernelSize = Arg(1) })
                with { Groups = Int("Groups") ?? 1, Bias = Flag("Bias", true) },
            nameof(DenseAttribute) => new LayerSpec(LayerKind.Dense) { Out = Arg(0), Bias = Flag("Bias", true) },
            nameof(ReLUAttribute) => new LayerSpec(LayerKind.ReLU),
            nameof(ELUAttribute) => new LayerSpec(LayerKind.ELU) { Alpha = Float("Alpha") },
            nameof(LocalResponseNormAttribute) => new LayerSpec(LayerKind.LocalResponseNorm) { Size = Arg(0), Alpha = Float("Alpha"), Beta = Float("Beta"), K = Float("K") },
            nameof(TfLocalResponseNormAttribute) => new LayerSpec(LayerKind.TfLocalResponseNorm) { Size = Arg(0), Alpha = Float("Alpha"), Beta = Float("Beta"), K = Float("Bias") },
            nameof(MaxPool2dAttribute) => Window(new LayerSpec(LayerKind.MaxPool2d) { KernelSize = Arg(0) }),
            nameof(AvgPool2dAttribute) => Window(new LayerSpec(LayerKind.AvgPool2d) { KernelSize = Arg(0) }) with { CountIncludePad = Flag("CountIncludePad", true) },
            nameof(DropoutAttribute) => new LayerSpec(LayerKind.Dropout) { P = (float)ctor[0]! },
            nameof(FlattenAttribute) => new LayerSpec(LayerKind.Flatten),
            nameof(SoftmaxAttribute) => new LayerSpec(LayerKind.Softmax),
            _ => throw new ArgumentException($"Unknown layer attribute {data.AttributeType.Name}.", nameof(data)),
        };
        return spec with { Name = named.TryGetValue("Name", out var n) ? (string?)n : null };
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture) + "f";
}
