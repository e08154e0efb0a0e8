using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using AlexNet.Gen.Generator.Model;

namespace AlexNet.Gen.Generator.Emit;

/// <summary>The model summary (layers, shapes, parameters, multiply-adds, memory) shown on hover and as <c>Summary</c>.</summary>
internal static class SummaryEmitter
{
    public static string Table(NetworkPlan plan)
    {
        var rows = new List<string[]> { new[] { "Layer", "Kind", "Output", "Parameters", "Mult-adds", "Options" } };
        rows.Add(new[] { "input", "", plan.Input.ToString(), "", "", "" });
        long macs = 0;
        foreach (var l in plan.Layers)
        {
            macs += l.MultiplyAdds;
            rows.Add(new[]
            {
                l.Name,
                l.Kind.ToString(),
                l.Output.ToString(),
                l.ParameterCount == 0 ? "" : Group(l.ParameterCount),
                l.MultiplyAdds == 0 ? "" : Group(l.MultiplyAdds),
                l.Options,
            });
        }
        rows.Add(new[] { "total", "", "", Group(plan.ParameterCount), Group(macs), "" });

        int columns = rows[0].Length;
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (int c = 0; c < columns; c++)
            {
                bool numeric = c == 3 || c == 4;
                string cell = numeric ? row[c].PadLeft(widths[c]) : row[c].PadRight(widths[c]);
                line.Append(cell);
                if (c < columns - 1) line.Append("  ");
            }
            sb.Append(line.ToString().TrimEnd()).Append('\n');
        }
        sb.Append($"Input {plan.Input} ({Group(plan.Input.Length)} floats), output {plan.Output.Length} {(plan.EndsWithSoftmax ? "probabilities" : "values")}.\n");
        sb.Append($"Activations per sample: {Group(InferenceActivationFloats(plan))} floats at inference; ");
        sb.Append($"training keeps {Bytes(TrainingBytesPerSample(plan))} per sample for backward.\n");
        return sb.ToString();
    }

    /// <summary>Floats per sample in the two buffers inference writes in turn (<see cref="BufferPlan"/>).</summary>
    public static long InferenceActivationFloats(NetworkPlan plan)
    {
        var (a, b) = BufferPlan.InferenceLengths(plan);
        return a + b;
    }

    /// <summary>Bytes per sample that the training forward keeps for backward: activations, input copy, masks, LRN scales, pool indices.</summary>
    public static long TrainingBytesPerSample(NetworkPlan plan)
    {
        long floats = plan.Input.Length;
        foreach (var l in plan.Layers)
        {
            if (BufferPlan.OwnsOutput(l, training: true)) floats += l.Output.Length;
            if (l.Kind == LayerKind.Dropout) floats += l.Output.Length; // mask
            if (l.Kind is LayerKind.LocalResponseNorm or LayerKind.TfLocalResponseNorm) floats += l.Output.Length; // scale
            if (l.Kind == LayerKind.MaxPool2d) floats += l.Output.Length; // argmax (int)
        }
        return floats * 4;
    }

    public static string Group(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes >= 1 << 20
        ? (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
        : (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB";

    public static string EscapeXml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
