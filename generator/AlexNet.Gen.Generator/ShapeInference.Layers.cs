using System;
using System.Collections.Generic;
using System.Globalization;
using AlexNet.Gen.Generator.Model;
using AlexNet.Gen.Shapes;

namespace AlexNet.Gen.Generator;

internal static partial class ShapeInference
{
    /// <summary>What one layer's inference needs to know and report.</summary>
    private sealed class LayerContext
    {
        public LayerContext(LayerSpec layer, string name, TensorShape input, string origin, string? flattenedFrom, List<DiagnosticInfo> diagnostics)
        {
            Layer = layer;
            Name = name;
            Input = input;
            Origin = origin;
            FlattenedFrom = flattenedFrom;
            Diagnostics = diagnostics;
        }

        public LayerSpec Layer { get; }
        public string Name { get; }
        public TensorShape Input { get; }
        /// <summary>The last layer that changed the shape ("pool3"), or "the input".</summary>
        public string Origin { get; }
        /// <summary>The C×H×W that Flatten turned into the current features, if any.</summary>
        public string? FlattenedFrom { get; }
        public List<DiagnosticInfo> Diagnostics { get; }
        public bool Failed { get; private set; }

        public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object[] args)
        {
            var info = DiagnosticInfo.Create(descriptor, location ?? Layer.Location, args);
            Diagnostics.Add(info);
            if (descriptor.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error) Failed = true;
        }

        public bool Has(string name) => Layer.Find(name) is not null;

        public double Number(string name, double fallback) => Layer.Find(name)?.Value ?? fallback;

        public LocationInfo? Where(string name) => Layer.Find(name)?.Location ?? Layer.Location;

        /// <summary>An integer argument that must be positive; reports and returns 0 otherwise.</summary>
        public int Positive(string name, string what, int fallback)
        {
            double v = Number(name, fallback);
            if (v <= 0 || v > int.MaxValue || v != Math.Floor(v))
            {
                Report(DiagnosticDescriptors.InvalidArgument, Where(name), Name, $"{what} must be positive but is {Format(v)}");
                return 0;
            }
            return (int)v;
        }

        /// <summary>An override (KernelHeight) that, when present, must be positive; otherwise the shared value.</summary>
        public int Override(string name, string what, int shared)
        {
            if (!Has(name)) return shared;
            return Positive(name, what, shared);
        }

        public float NonNegativeFloat(string name, string what, float fallback, bool strictlyPositive = false)
        {
            double v = Number(name, fallback);
            if (double.IsNaN(v) || double.IsInfinity(v) || v < 0 || (strictlyPositive && v == 0))
            {
                Report(DiagnosticDescriptors.InvalidArgument, Where(name), Name,
                    $"{what} must be {(strictlyPositive ? "positive" : "non-negative")} and finite but is {Format(v)}");
                return fallback;
            }
            return (float)v;
        }

        public bool Flag(string name, bool fallback) => Has(name) ? Number(name, 0) != 0 : fallback;
    }

    private static LayerPlan? InferLayer(LayerContext c, bool shapesKnown)
    {
        switch (c.Layer.Kind)
        {
            case LayerKind.Conv2d:
                return InferConvolution(c, shapesKnown);
            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool2d:
                return InferPool(c, shapesKnown);
            case LayerKind.LocalResponseNorm:
            case LayerKind.TfLocalResponseNorm:
                return InferLrn(c, shapesKnown);
            case LayerKind.Dense:
                return InferDense(c, shapesKnown);
            case LayerKind.ELU:
            {
                float alpha = c.NonNegativeFloat("Alpha", "ELU alpha", 1f);
                return c.Failed || !shapesKnown ? null : new LayerPlan { Kind = LayerKind.ELU, Input = c.Input, Output = c.Input, Alpha = alpha, Options = "α " + FormatFloat(alpha) };
            }
            case LayerKind.Dropout:
            {
                double p = c.Number("P", 0);
                if (double.IsNaN(p) || p < 0 || p >= 1)
                    c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("P"), c.Name, $"dropout probability must be in [0, 1) but is {Format(p)}");
                return c.Failed || !shapesKnown ? null : new LayerPlan { Kind = LayerKind.Dropout, Input = c.Input, Output = c.Input, Probability = (float)p, Options = "p " + FormatFloat((float)p) };
            }
            case LayerKind.Flatten:
                return !shapesKnown ? null : new LayerPlan { Kind = LayerKind.Flatten, Input = c.Input, Output = TensorShape.Features((int)c.Input.Length) };
            case LayerKind.Softmax:
                if (!shapesKnown) return null;
                if (c.Input.IsSpatial)
                {
                    c.Report(DiagnosticDescriptors.DenseOnSpatial, null, c.Name, c.Input.ToString(), c.Origin);
                    return null;
                }
                return new LayerPlan { Kind = LayerKind.Softmax, Input = c.Input, Output = c.Input };
            default:
                return !shapesKnown ? null : new LayerPlan { Kind = c.Layer.Kind, Input = c.Input, Output = c.Input };
        }
    }

    private struct Window
    {
        public int KernelHeight, KernelWidth, StrideHeight, StrideWidth, PadTop, PadLeft, PadBottom, PadRight, OutHeight, OutWidth;
        public bool Same;
    }

    /// <summary>Reads kernel, stride and padding (square, per-axis overrides, or SAME) and validates each.</summary>
    private static bool ReadWindow(LayerContext c, int defaultStride, bool isPool, out Window w)
    {
        w = default;
        int kernel = c.Positive("KernelSize", "kernel size", 1);
        w.KernelHeight = c.Override("KernelHeight", "kernel height", kernel);
        w.KernelWidth = c.Override("KernelWidth", "kernel width", kernel);
        int stride = c.Has("Stride") ? c.Positive("Stride", "stride", 1) : defaultStride;
        w.StrideHeight = c.Has("StrideHeight") ? c.Positive("StrideHeight", "stride height", 1) : (stride > 0 ? stride : w.KernelHeight);
        w.StrideWidth = c.Has("StrideWidth") ? c.Positive("StrideWidth", "stride width", 1) : (stride > 0 ? stride : w.KernelWidth);

        double padding = c.Number("Padding", 0);
        if (padding == ShapeMath.SamePadding)
        {
            w.Same = true;
            if (c.Has("PaddingHeight") || c.Has("PaddingWidth"))
                c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("PaddingHeight"), c.Name, "Padding.Same cannot be combined with PaddingHeight/PaddingWidth");
        }
        else if (padding < 0 || padding > int.MaxValue || padding != Math.Floor(padding))
        {
            c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("Padding"), c.Name, $"padding must be non-negative (or Padding.Same) but is {Format(padding)}");
        }
        int pad = padding > 0 && padding <= int.MaxValue ? (int)padding : 0;
        int padH = pad, padW = pad;
        foreach (var (name, what) in new[] { ("PaddingHeight", "padding height"), ("PaddingWidth", "padding width") })
        {
            if (!c.Has(name)) continue;
            double v = c.Number(name, 0);
            if (v < 0 || v > int.MaxValue || v != Math.Floor(v))
                c.Report(DiagnosticDescriptors.InvalidArgument, c.Where(name), c.Name, $"{what} must be non-negative but is {Format(v)}");
            else if (name == "PaddingHeight") padH = (int)v;
            else padW = (int)v;
        }
        if (c.Failed || w.KernelHeight == 0 || w.KernelWidth == 0 || w.StrideHeight == 0 || w.StrideWidth == 0) return false;

        if (isPool && !w.Same && (2L * padH > w.KernelHeight || 2L * padW > w.KernelWidth))
        {
            // PyTorch refuses this too: a window could then lie entirely in padding.
            c.Report(DiagnosticDescriptors.InvalidArgument, c.Where(c.Has("Padding") ? "Padding" : "PaddingHeight"), c.Name,
                $"padding {padH}×{padW} must be at most half of the {w.KernelHeight}×{w.KernelWidth} window");
            return false;
        }
        w.PadTop = w.PadBottom = padH;
        w.PadLeft = w.PadRight = padW;
        return true;
    }

    /// <summary>Output size of a window over the current input; reports a window that does not fit, and a stride that drops input.</summary>
    private static bool ApplyWindow(LayerContext c, ref Window w)
    {
        var input = c.Input;
        bool ok;
        if (w.Same)
        {
            ok = ShapeMath.TrySamePadding(input.Height, w.KernelHeight, w.StrideHeight, out w.OutHeight, out w.PadTop, out w.PadBottom)
                & ShapeMath.TrySamePadding(input.Width, w.KernelWidth, w.StrideWidth, out w.OutWidth, out w.PadLeft, out w.PadRight);
        }
        else
        {
            ok = ShapeMath.TryWindowOutput(input.Height, w.KernelHeight, w.StrideHeight, w.PadTop, w.PadBottom, out w.OutHeight)
                & ShapeMath.TryWindowOutput(input.Width, w.KernelWidth, w.StrideWidth, w.PadLeft, w.PadRight, out w.OutWidth);
        }
        if (!ok && FitsButTooLarge(input, w))
        {
            c.Report(DiagnosticDescriptors.SizeOverflow, null, c.Name, "the output tensor", MaxElements);
            return false;
        }
        if (!ok)
        {
            string received = input.ToString();
            if ((long)w.PadTop + w.PadBottom + w.PadLeft + w.PadRight > 0)
                received += $" (padded to {(long)input.Height + w.PadTop + w.PadBottom}×{(long)input.Width + w.PadLeft + w.PadRight})";
            c.Report(DiagnosticDescriptors.WindowTooLarge, null, c.Name, w.KernelHeight, w.KernelWidth, StrideText(w), received);
            return false;
        }

        if (!w.Same)
        {
            int rows = ShapeMath.UncoveredElements(input.Height, w.KernelHeight, w.StrideHeight, w.PadTop, w.PadBottom, w.OutHeight);
            int cols = ShapeMath.UncoveredElements(input.Width, w.KernelWidth, w.StrideWidth, w.PadLeft, w.PadRight, w.OutWidth);
            if (rows > 0 || cols > 0)
            {
                var lost = new List<string>();
                if (rows > 0) lost.Add(rows == 1 ? "1 row" : $"{rows} rows");
                if (cols > 0) lost.Add(cols == 1 ? "1 column" : $"{cols} columns");
                long coveredH = (long)(w.OutHeight - 1) * w.StrideHeight + w.KernelHeight - w.PadTop;
                long coveredW = (long)(w.OutWidth - 1) * w.StrideWidth + w.KernelWidth - w.PadLeft;
                c.Report(DiagnosticDescriptors.StrideDropsInput, null, c.Name, w.KernelHeight, w.KernelWidth, StrideText(w), input.ToString(),
                    string.Join(" and ", lost), $"{Math.Min(coveredH, input.Height)}×{Math.Min(coveredW, input.Width)}");
            }
        }
        return true;
    }

    /// <summary>True when the window fits its padded input but the output length does not fit in an int.</summary>
    private static bool FitsButTooLarge(TensorShape input, Window w)
    {
        if (w.Same) return false; // SAME output is ceil(input / stride) ≤ input, which already fits.
        long paddedH = (long)input.Height + w.PadTop + w.PadBottom;
        long paddedW = (long)input.Width + w.PadLeft + w.PadRight;
        return paddedH >= w.KernelHeight && paddedW >= w.KernelWidth;
    }

    private static LayerPlan? InferConvolution(LayerContext c, bool shapesKnown)
    {
        int outChannels = c.Positive("OutChannels", "output channels", 1);
        int groups = c.Positive("Groups", "groups", 1);
        bool windowOk = ReadWindow(c, 1, isPool: false, out var w);
        if (c.Has("InChannels")) c.Positive("InChannels", "InChannels", 1);
        ReadInitializers(c, out int weightInit, out float weightStd, out int biasInit, out float biasValue);
        if (!shapesKnown || c.Failed || !windowOk) return null;

        var input = c.Input;
        if (!input.IsSpatial)
        {
            c.Report(DiagnosticDescriptors.SpatialAfterFlatten, null, c.Name, input.Channels, c.Origin);
            return null;
        }
        if (input.Channels % groups != 0)
        {
            c.Report(DiagnosticDescriptors.GroupsDoNotDivide, c.Where("Groups"), c.Name, groups, $"the {input.Channels} input channels from {c.Origin}");
            return null;
        }
        if (outChannels % groups != 0)
        {
            c.Report(DiagnosticDescriptors.GroupsDoNotDivide, c.Where("Groups"), c.Name, groups, $"the {outChannels} output channels");
            return null;
        }
        if (c.Has("InChannels"))
        {
            int declared = (int)c.Number("InChannels", 0);
            int perGroup = input.Channels / groups;
            if (declared != input.Channels && declared != perGroup)
            {
                string hint = "";
                if (declared > 0 && input.Channels % declared == 0 && input.Channels / declared > 1 && outChannels % (input.Channels / declared) == 0)
                    hint = $"; use Groups = {input.Channels / declared} if each group should see {declared} channels (the paper's per-GPU depth)";
                c.Report(DiagnosticDescriptors.InChannelsMismatch, c.Where("InChannels"), c.Name, declared, input.Channels, c.Origin, hint);
                return null;
            }
        }
        if (!ApplyWindow(c, ref w)) return null;

        int inPerGroup = input.Channels / groups;
        long weight = ShapeMath.CheckedProduct(MaxElements, outChannels, inPerGroup, w.KernelHeight, w.KernelWidth);
        long output = ShapeMath.CheckedProduct(MaxElements, outChannels, w.OutHeight, w.OutWidth);
        if (weight < 0 || output < 0)
        {
            c.Report(DiagnosticDescriptors.SizeOverflow, null, c.Name, weight < 0 ? "the weight tensor" : "the output tensor", MaxElements);
            return null;
        }
        bool bias = c.Flag("Bias", true);
        int window = inPerGroup * w.KernelHeight * w.KernelWidth;
        return new LayerPlan
        {
            Kind = LayerKind.Conv2d,
            Input = input,
            Output = new TensorShape(outChannels, w.OutHeight, w.OutWidth, true),
            KernelHeight = w.KernelHeight, KernelWidth = w.KernelWidth,
            StrideHeight = w.StrideHeight, StrideWidth = w.StrideWidth,
            PadTop = w.PadTop, PadLeft = w.PadLeft, PadBottom = w.PadBottom, PadRight = w.PadRight,
            SamePadding = w.Same,
            Groups = groups,
            HasBias = bias,
            WeightShape = new[] { outChannels, inPerGroup, w.KernelHeight, w.KernelWidth }.ToEquatableArray(),
            WeightLength = (int)weight,
            BiasLength = bias ? outChannels : 0,
            FanIn = window,
            FanOut = outChannels * w.KernelHeight * w.KernelWidth, // PyTorch: weight.size(0) · receptive field, groups or not
            WeightInit = weightInit, WeightStd = weightStd, BiasInit = biasInit, BiasValue = biasValue,
            MultiplyAdds = output * window,
            Options = WindowText(w) + (groups > 1 ? $", groups {groups}" : "") + (bias ? "" : ", no bias"),
        };
    }

    private static LayerPlan? InferPool(LayerContext c, bool shapesKnown)
    {
        bool windowOk = ReadWindow(c, 0, isPool: true, out var w);
        if (!shapesKnown || c.Failed || !windowOk) return null;
        var input = c.Input;
        if (!input.IsSpatial)
        {
            c.Report(DiagnosticDescriptors.SpatialAfterFlatten, null, c.Name, input.Channels, c.Origin);
            return null;
        }
        if (!ApplyWindow(c, ref w)) return null;
        if (ShapeMath.CheckedProduct(MaxElements, input.Channels, w.OutHeight, w.OutWidth) < 0)
        {
            c.Report(DiagnosticDescriptors.SizeOverflow, null, c.Name, "the output tensor", MaxElements);
            return null;
        }
        bool avg = c.Layer.Kind == LayerKind.AvgPool2d;
        bool includePad = avg && c.Flag("CountIncludePad", true);
        return new LayerPlan
        {
            Kind = c.Layer.Kind,
            Input = input,
            Output = new TensorShape(input.Channels, w.OutHeight, w.OutWidth, true),
            KernelHeight = w.KernelHeight, KernelWidth = w.KernelWidth,
            StrideHeight = w.StrideHeight, StrideWidth = w.StrideWidth,
            PadTop = w.PadTop, PadLeft = w.PadLeft, PadBottom = w.PadBottom, PadRight = w.PadRight,
            SamePadding = w.Same,
            CountIncludePad = includePad,
            Options = WindowText(w) + (avg ? (includePad ? ", counts padding" : ", excludes padding") : ""),
        };
    }

    private static LayerPlan? InferLrn(LayerContext c, bool shapesKnown)
    {
        int before, after;
        float coefficient, beta, k;
        string options;
        if (c.Layer.Kind == LayerKind.LocalResponseNorm)
        {
            int size = c.Positive("Size", "LRN size", 1);
            float alpha = c.NonNegativeFloat("Alpha", "LRN alpha", 1e-4f);
            beta = c.NonNegativeFloat("Beta", "LRN beta", 0.75f);
            k = c.NonNegativeFloat("K", "LRN k", 1f, strictlyPositive: true);
            ShapeMath.PyTorchLrnWindow(Math.Max(size, 1), out before, out after);
            coefficient = alpha / Math.Max(size, 1);
            options = $"size {size}, α {FormatFloat(alpha)}, β {FormatFloat(beta)}, k {FormatFloat(k)} (PyTorch)";
        }
        else
        {
            double radius = c.Number("DepthRadius", 5);
            if (radius < 0 || radius != Math.Floor(radius))
                c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("DepthRadius"), c.Name, $"depth radius must be a non-negative integer but is {Format(radius)}");
            else if (radius > MaxDepthRadius)
                c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("DepthRadius"), c.Name, $"depth radius must be at most {MaxDepthRadius} but is {Format(radius)}");
            float bias = c.NonNegativeFloat("Bias", "LRN bias", 1f, strictlyPositive: true);
            float alpha = c.NonNegativeFloat("Alpha", "LRN alpha", 1f);
            beta = c.NonNegativeFloat("Beta", "LRN beta", 0.5f);
            before = after = radius >= 0 && radius <= MaxDepthRadius ? (int)radius : 0;
            coefficient = alpha;
            k = bias;
            options = $"radius {before}, bias {FormatFloat(bias)}, α {FormatFloat(alpha)}, β {FormatFloat(beta)} (TensorFlow)";
        }
        if (!shapesKnown || c.Failed) return null;
        if (!c.Input.IsSpatial)
        {
            c.Report(DiagnosticDescriptors.SpatialAfterFlatten, null, c.Name, c.Input.Channels, c.Origin);
            return null;
        }
        return new LayerPlan
        {
            Kind = c.Layer.Kind,
            Input = c.Input,
            Output = c.Input,
            WindowBefore = before,
            WindowAfter = after,
            Coefficient = coefficient,
            Beta = beta,
            K = k,
            MultiplyAdds = c.Input.Length * (before + after + 1),
            Options = options,
        };
    }

    private static LayerPlan? InferDense(LayerContext c, bool shapesKnown)
    {
        int outFeatures = c.Positive("OutFeatures", "output features", 1);
        if (c.Has("InFeatures")) c.Positive("InFeatures", "InFeatures", 1);
        ReadInitializers(c, out int weightInit, out float weightStd, out int biasInit, out float biasValue);
        if (!shapesKnown || c.Failed) return null;
        var input = c.Input;
        if (input.IsSpatial)
        {
            c.Report(DiagnosticDescriptors.DenseOnSpatial, null, c.Name, input.ToString(), c.Origin);
            return null;
        }
        int inFeatures = input.Channels;
        if (c.Has("InFeatures") && (int)c.Number("InFeatures", 0) != inFeatures)
        {
            var argument = c.Layer.Find("InFeatures")!;
            string written = argument.Expression is { } e ? $" ({e.Replace(" * ", "×").Replace("*", "×")})" : "";
            string received = c.FlattenedFrom is { } f ? $"{inFeatures} = {f}" : inFeatures.ToString(CultureInfo.InvariantCulture);
            c.Report(DiagnosticDescriptors.InFeaturesMismatch, argument.Location, c.Name, (int)argument.Value, written, received, c.Origin);
            return null;
        }
        long weight = ShapeMath.CheckedProduct(MaxElements, outFeatures, inFeatures);
        if (weight < 0)
        {
            c.Report(DiagnosticDescriptors.SizeOverflow, null, c.Name, "the weight tensor", MaxElements);
            return null;
        }
        bool bias = c.Flag("Bias", true);
        return new LayerPlan
        {
            Kind = LayerKind.Dense,
            Input = input,
            Output = TensorShape.Features(outFeatures),
            HasBias = bias,
            WeightShape = new[] { outFeatures, inFeatures }.ToEquatableArray(),
            WeightLength = (int)weight,
            BiasLength = bias ? outFeatures : 0,
            FanIn = inFeatures,
            FanOut = outFeatures,
            WeightInit = weightInit, WeightStd = weightStd, BiasInit = biasInit, BiasValue = biasValue,
            MultiplyAdds = weight,
            Options = bias ? "" : "no bias",
        };
    }

    /// <summary>Weight and bias initializers; setting BiasValue alone means a constant bias.</summary>
    private static void ReadInitializers(LayerContext c, out int weightInit, out float weightStd, out int biasInit, out float biasValue)
    {
        weightInit = (int)c.Number("WeightInit", 0);
        weightStd = (float)c.Number("WeightStd", 0);
        biasInit = (int)c.Number("BiasInit", c.Has("BiasValue") ? InitConstant : 0);
        biasValue = (float)c.Number("BiasValue", 0);
        if (weightInit < 0 || weightInit > InitConstant)
            c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("WeightInit"), c.Name, $"unknown initializer {weightInit}");
        if (biasInit < 0 || biasInit > InitConstant)
            c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("BiasInit"), c.Name, $"unknown initializer {biasInit}");
        bool stdFinite = !float.IsNaN(weightStd) && !float.IsInfinity(weightStd);
        if (!stdFinite)
            c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("WeightStd"), c.Name, $"WeightStd must be finite but is {FormatFloat(weightStd)}");
        else if ((weightInit == InitNormal || weightInit == InitTruncatedNormal) && !(weightStd > 0 && weightStd < 1e6f))
            c.Report(DiagnosticDescriptors.InvalidArgument, c.Where(c.Has("WeightStd") ? "WeightStd" : "WeightInit"), c.Name,
                $"a normal initializer needs WeightStd > 0 but it is {FormatFloat(weightStd)}");
        if (float.IsNaN(biasValue) || float.IsInfinity(biasValue))
            c.Report(DiagnosticDescriptors.InvalidArgument, c.Where("BiasValue"), c.Name, $"BiasValue must be finite but is {FormatFloat(biasValue)}");
    }

    /// <summary>A window wider than this many channels on each side is certainly a mistake (and keeps sums in range).</summary>
    private const int MaxDepthRadius = 100000;

    // Values of AlexNet.Gen.Init (the generator cannot reference the runtime assembly).
    private const int InitNormal = 1;
    private const int InitTruncatedNormal = 2;
    private const int InitConstant = 9;

    private static string StrideText(Window w) => w.StrideHeight == w.StrideWidth ? w.StrideHeight.ToString(CultureInfo.InvariantCulture) : $"{w.StrideHeight}×{w.StrideWidth}";

    private static string WindowText(Window w)
    {
        string kernel = $"{w.KernelHeight}×{w.KernelWidth}";
        string stride = StrideText(w);
        string pad = w.Same ? "SAME" : w.PadTop == w.PadLeft ? w.PadTop.ToString(CultureInfo.InvariantCulture) : $"{w.PadTop}×{w.PadLeft}";
        if (w.Same && (w.PadTop != w.PadBottom || w.PadLeft != w.PadRight || w.PadTop > 0))
            pad += $" ({w.PadTop},{w.PadBottom})×({w.PadLeft},{w.PadRight})";
        return $"{kernel} / {stride}, pad {pad}";
    }

    private static string Format(double v) => double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    public static string FormatFloat(float v) => v.ToString("R", CultureInfo.InvariantCulture);
}
