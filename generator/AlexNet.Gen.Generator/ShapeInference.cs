using System;
using System.Collections.Generic;
using System.Globalization;
using AlexNet.Gen.Generator.Model;
using AlexNet.Gen.Shapes;

namespace AlexNet.Gen.Generator;

/// <summary>
/// Pure shape inference: a <see cref="NetworkSpec"/> in, a <see cref="NetworkPlan"/> (every dimension a constant) or
/// located diagnostics out. Argument errors are reported for every layer; shape propagation stops at the first
/// layer whose output cannot be computed, since every later message would be noise.
/// </summary>
internal static partial class ShapeInference
{
    /// <summary>The largest tensor (per sample) or parameter total we generate code for.</summary>
    public const long MaxElements = int.MaxValue / 2;

    public static Result<NetworkPlan> Infer(NetworkSpec spec)
    {
        var diagnostics = new List<DiagnosticInfo>();
        bool failed = false;

        if (spec.InputChannels <= 0 || spec.InputHeight <= 0 || spec.InputWidth <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidArgument, spec.NetworkLocation, spec.ClassName,
                $"the input {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth} must have positive channels, height and width"));
            failed = true;
        }
        else if (ShapeMath.CheckedProduct(MaxElements, spec.InputChannels, spec.InputHeight, spec.InputWidth) < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeOverflow, spec.NetworkLocation, spec.ClassName,
                $"the input {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth}", MaxElements));
            failed = true;
        }

        if (spec.Layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, spec.Location, spec.ClassName));
            failed = true;
        }

        var names = AssignNames(spec, diagnostics, ref failed);

        var input = new TensorShape(Math.Max(spec.InputChannels, 1), Math.Max(spec.InputHeight, 1), Math.Max(spec.InputWidth, 1), true);
        var current = input;
        string origin = "the input";
        string? flattenedFrom = null;
        bool shapesKnown = !failed;
        var plans = new List<LayerPlan>();
        long parameters = 0;

        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            var context = new LayerContext(layer, names[i], current, origin, flattenedFrom, diagnostics);

            if (layer.Kind == LayerKind.Softmax && i != spec.Layers.Count - 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SoftmaxNotLast, layer.Location, names[i], names[i + 1]));
                failed = true;
            }

            var plan = InferLayer(context, shapesKnown);
            if (context.Failed) failed = true;
            if (plan is null)
            {
                shapesKnown = false;
                continue;
            }

            parameters += plan.ParameterCount;
            if (parameters > MaxElements)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeOverflow, layer.Location, names[i], "the total parameter count", MaxElements));
                failed = true;
                shapesKnown = false;
                continue;
            }

            plans.Add(plan with { Index = i, Name = names[i], MemberName = MemberName(names[i]) });
            if (plan.Kind is LayerKind.Conv2d or LayerKind.Dense or LayerKind.MaxPool2d or LayerKind.AvgPool2d)
            {
                origin = names[i];
                flattenedFrom = null;
            }
            if (plan.Kind == LayerKind.Flatten && current.IsSpatial)
                flattenedFrom = current.ToString();
            current = plan.Output;
        }

        if (spec.ClassesLocation is not null)
        {
            if (spec.Classes <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidArgument, spec.ClassesLocation ?? spec.NetworkLocation, spec.ClassName,
                    $"Classes = {spec.Classes} must be positive"));
                failed = true;
            }
            else if (shapesKnown && plans.Count > 0 && current.Length != spec.Classes)
            {
                var last = plans[plans.Count - 1];
                string outputs = current.IsSpatial ? $"{current.Length} = {current}" : current.Length.ToString(CultureInfo.InvariantCulture);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassesMismatch, spec.ClassesLocation ?? spec.NetworkLocation,
                    spec.ClassName, spec.Classes, last.Name, outputs));
                failed = true;
            }
        }

        if (!failed && shapesKnown) LayerFusion.FuseRelu(plans);
        var result = failed || !shapesKnown
            ? null
            : new NetworkPlan(spec.Namespace, spec.ClassName, spec.ContainingTypes, spec.HintName, input, plans.ToEquatableArray());
        return new Result<NetworkPlan>(result, diagnostics.ToEquatableArray());
    }

    /// <summary>Default names (conv1, fc1, pool1, relu1 …, counted per kind) or the declared Name; checks validity and uniqueness.</summary>
    private static string[] AssignNames(NetworkSpec spec, List<DiagnosticInfo> diagnostics, ref bool failed)
    {
        var names = new string[spec.Layers.Count];
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var used = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            string prefix = Prefix(layer.Kind);
            counters.TryGetValue(prefix, out int n);
            counters[prefix] = ++n;
            var declared = layer.Find("Name");
            string name = prefix + n.ToString(CultureInfo.InvariantCulture);
            if (declared?.Text is { } text)
            {
                if (!IsValidName(text))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, declared.Location ?? layer.Location, text));
                    failed = true;
                }
                else
                {
                    name = text;
                }
            }
            if (used.TryGetValue(name, out int other))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateName, declared?.Location ?? layer.Location, name,
                    $"{other + 1} ({spec.Layers[other].Kind})"));
                failed = true;
            }
            else
            {
                used[name] = i;
            }
            names[i] = name;
        }
        return names;
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

    private static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length > 64 || !char.IsLetter(name[0]) || name[0] > 127) return false;
        foreach (char c in name)
        {
            if (c > 127 || !(char.IsLetterOrDigit(c) || c == '_')) return false;
        }
        return true;
    }

    public static string MemberName(string name) => char.ToUpperInvariant(name[0]) + name.Substring(1);
}
