using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>
/// Garbage in: seeded random networks with random layers and argument values (zero, negative, int.MinValue/MaxValue,
/// huge and NaN floats, wrong types, missing arguments) and randomly truncated sources. The generator must never
/// throw, and whatever it generates for a source that compiles must compile too.
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 20_120_612;
    private const int Cases = 300;

    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    private enum Arg { Int, Float, Bool, Init, Text }

    private sealed record LayerShape(string Name, Arg[] Constructor, (string Name, Arg Type)[] Named);

    private static readonly (string, Arg)[] Window =
    {
        ("KernelHeight", Arg.Int), ("KernelWidth", Arg.Int), ("Stride", Arg.Int), ("StrideHeight", Arg.Int), ("StrideWidth", Arg.Int),
        ("Padding", Arg.Int), ("PaddingHeight", Arg.Int), ("PaddingWidth", Arg.Int),
    };

    private static readonly (string, Arg)[] Parameters =
        { ("Bias", Arg.Bool), ("WeightInit", Arg.Init), ("WeightStd", Arg.Float), ("BiasInit", Arg.Init), ("BiasValue", Arg.Float) };

    private static readonly LayerShape[] Layers =
    {
        new("Conv2d", new[] { Arg.Int, Arg.Int }, Window.Concat(Parameters).Append(("Groups", Arg.Int)).Append(("InChannels", Arg.Int)).ToArray()),
        new("Dense", new[] { Arg.Int }, Parameters.Append(("InFeatures", Arg.Int)).ToArray()),
        new("ReLU", Array.Empty<Arg>(), Array.Empty<(string, Arg)>()),
        new("ELU", Array.Empty<Arg>(), new[] { ("Alpha", Arg.Float) }),
        new("LocalResponseNorm", new[] { Arg.Int }, new[] { ("Alpha", Arg.Float), ("Beta", Arg.Float), ("K", Arg.Float) }),
        new("TfLocalResponseNorm", new[] { Arg.Int }, new[] { ("Bias", Arg.Float), ("Alpha", Arg.Float), ("Beta", Arg.Float) }),
        new("MaxPool2d", new[] { Arg.Int }, Window),
        new("AvgPool2d", new[] { Arg.Int }, Window.Append(("CountIncludePad", Arg.Bool)).ToArray()),
        new("Dropout", new[] { Arg.Float }, Array.Empty<(string, Arg)>()),
        new("Flatten", Array.Empty<Arg>(), Array.Empty<(string, Arg)>()),
        new("Softmax", Array.Empty<Arg>(), Array.Empty<(string, Arg)>()),
    };

    private static readonly string[] SaneInts = { "1", "2", "3", "4", "5", "8", "11", "16" };
    private static readonly string[] EdgeInts = { "0", "-1", "-2", "int.MaxValue", "int.MinValue", "1 << 30", "65536", "Padding.Same", "46341" };
    private static readonly string[] SaneFloats = { "0f", "0.5f", "1f", "1e-4f", "0.75f", "2f", "0.01f" };
    private static readonly string[] EdgeFloats = { "float.NaN", "float.PositiveInfinity", "float.NegativeInfinity", "-1f", "1e30f", "-1e30f", "float.MaxValue", "float.Epsilon", "1.0f", "int.MaxValue" };
    private static readonly string[] Inits = { "Init.PyTorchDefault", "Init.Normal", "Init.TruncatedNormal", "Init.GlorotUniform", "Init.HeNormal", "Init.Zeros", "Init.Constant", "(Init)99", "(Init)(-3)", "0" };
    private static readonly string[] Names = { "\"a\"", "\"b1\"", "\"conv1\"", "\"1x\"", "\"\"", "null", "\"a-b\"", "\"A\"", "\"forward\"" };
    private static readonly string[] WrongType = { "\"x\"", "1.5", "true", "null", "typeof(int)", "new int[0]", "'c'", "undefinedName" };

    /// <summary>A value of the given type: mostly sane, sometimes an edge case, rarely of the wrong type.</summary>
    private static string Value(Random r, Arg type, int edgePercent = 23, int wrongPercent = 7)
    {
        int roll = r.Next(100);
        if (roll < wrongPercent) return WrongType[r.Next(WrongType.Length)];
        bool edge = roll < wrongPercent + edgePercent;
        return type switch
        {
            Arg.Int => edge ? EdgeInts[r.Next(EdgeInts.Length)] : SaneInts[r.Next(SaneInts.Length)],
            Arg.Float => edge ? EdgeFloats[r.Next(EdgeFloats.Length)] : SaneFloats[r.Next(SaneFloats.Length)],
            Arg.Bool => r.Next(2) == 0 ? "true" : "false",
            Arg.Init => edge ? Inits[r.Next(Inits.Length)] : "Init.PyTorchDefault",
            _ => Names[r.Next(Names.Length)],
        };
    }

    private static string Layer(Random r, LayerShape shape, int edgePercent, int wrongPercent)
    {
        var args = new List<string>();
        foreach (var type in shape.Constructor)
        {
            if (r.Next(100) >= wrongPercent) args.Add(Value(r, type, edgePercent, wrongPercent)); // sometimes missing
        }
        int named = r.Next(4);
        for (int i = 0; i < named && shape.Named.Length > 0; i++)
        {
            var (name, type) = shape.Named[r.Next(shape.Named.Length)];
            if (args.Any(a => a.StartsWith(name + " =", StringComparison.Ordinal)) && r.Next(100) >= wrongPercent) continue;
            args.Add($"{name} = {Value(r, type, edgePercent, wrongPercent)}");
        }
        if (r.Next(100) < 10) args.Add($"Name = {Value(r, Arg.Text, edgePercent, wrongPercent)}");
        if (r.Next(100) < wrongPercent / 3) args.Add("Unknown = 1");
        return args.Count == 0 && r.Next(2) == 0 ? $"[{shape.Name}]" : $"[{shape.Name}({string.Join(", ", args)})]";
    }

    private static LayerShape Kind(string name) => Layers.Single(l => l.Name == name);

    /// <summary>Layers in any order with any arguments: mostly diagnostics.</summary>
    private static IEnumerable<string> ChaosLayers(Random r)
    {
        int count = r.Next(100) < 5 ? 0 : 1 + r.Next(9);
        for (int i = 0; i < count; i++) yield return Layer(r, Layers[r.Next(Layers.Length)], 23, 7);
    }

    /// <summary>Image layers, Flatten, feature layers, maybe Softmax, with mostly sane values: often valid.</summary>
    private static IEnumerable<string> PlausibleLayers(Random r)
    {
        string[] spatial = { "Conv2d", "Conv2d", "ReLU", "ELU", "LocalResponseNorm", "TfLocalResponseNorm", "MaxPool2d", "AvgPool2d" };
        string[] features = { "Dense", "Dense", "ReLU", "ELU", "Dropout" };
        int a = r.Next(5), b = r.Next(4);
        for (int i = 0; i < a; i++) yield return Layer(r, Kind(spatial[r.Next(spatial.Length)]), 4, 1);
        if (r.Next(100) < 90) yield return "[Flatten]";
        for (int i = 0; i < b; i++) yield return Layer(r, Kind(features[r.Next(features.Length)]), 4, 1);
        if (r.Next(100) < 30) yield return "[Softmax]";
    }

    private static string Network(Random r, string index)
    {
        var sb = new StringBuilder();
        string Dim() => r.Next(100) < 85 ? new[] { "1", "3", "8", "13", "16", "32", "64", "227" }[r.Next(8)] : Value(r, Arg.Int);
        var network = new List<string> { Dim(), Dim(), Dim() };
        if (r.Next(100) < 5) network.RemoveAt(r.Next(3));
        if (r.Next(100) < 20) network.Add($"Classes = {(r.Next(2) == 0 ? "10" : Value(r, Arg.Int))}");
        if (r.Next(100) < 95) sb.Append($"[Network({string.Join(", ", network)})]\n");
        foreach (var layer in r.Next(2) == 0 ? ChaosLayers(r) : PlausibleLayers(r))
            sb.Append(layer).Append(r.Next(3) == 0 ? " " : "\n");
        string partial = r.Next(100) < 5 ? "" : "partial ";
        string generic = r.Next(100) < 3 ? "<T>" : "";
        string declaration = $"public {partial}class Net{index}{generic} {{ }}\n";
        return r.Next(100) switch
        {
            < 5 => $"public partial class Outer{index} {{\n{sb}{declaration}}}\n",
            < 8 => $"public class Outer{index} {{\n{sb}{declaration}}}\n",
            _ => sb + declaration,
        };
    }

    private static string Source(Random r, int caseIndex)
    {
        var sb = new StringBuilder("using AlexNet.Gen;\n");
        if (r.Next(2) == 0) sb.Append("namespace Fuzz;\n");
        int networks = 1 + r.Next(2);
        for (int i = 0; i < networks; i++) sb.Append(Network(r, $"{caseIndex}_{i}"));
        string text = sb.ToString();
        return r.Next(100) < 15 ? text.Substring(0, r.Next(text.Length)) : text;
    }

    [Fact]
    public void GeneratorNeverThrowsAndWhatItGeneratesCompiles()
    {
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var random = new Random(Seed);
        var driver = GeneratorHarness.CreateDriver();
        int generated = 0, compiledInputs = 0, diagnosed = 0;
        var failures = new List<string>();
        var combined = new List<(int Case, SyntaxTree Tree, string Source)>();
        for (int i = 0; i < Cases; i++)
        {
            string source = Source(random, i);
            var compilation = GeneratorHarness.Compilation(GeneratorHarness.Parse(source, $"/fuzz/Case{i}.cs"));
            // One driver for every case: each run replaces the previous case's tree, so the incremental tables also see
            // networks disappear and appear. The analyzer runs on every tenth case.
            var run = GeneratorHarness.Run(driver, compilation, runAnalyzer: i % 10 == 0);
            var exception = run.Generator.Exception;
            var crashes = run.DriverDiagnostics.Concat(run.AnalyzerDiagnostics).Where(d => d.Id is "CS8785" or "AD0001").ToList();
            if (exception is not null || crashes.Count > 0)
            {
                failures.Add($"case {i}: generator threw {exception?.GetType().Name} {exception?.Message} {string.Join("; ", crashes.Select(GeneratorRun.Message))}\n{source}");
                continue;
            }
            if (run.Diagnostics.Count > 0) diagnosed++;
            generated += run.Sources.Length;

            bool inputCompiles = !compilation.GetParseDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)
                && !compilation.GetDeclarationDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);
            if (!inputCompiles) continue;
            compiledInputs++;
            // Class names are unique per case, so every clean case and its generated code fit in one compilation,
            // which binds the runtime's kernels once instead of once per case.
            foreach (var tree in run.Output.SyntaxTrees)
                combined.Add((i, tree, source));
        }

        var all = GeneratorHarness.Compilation(combined.Select(c => c.Tree).ToArray());
        var errorsByTree = all.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is not null)
            .GroupBy(d => d.Location.SourceTree!).ToList();
        foreach (var group in errorsByTree)
        {
            var (index, tree, source) = combined.Single(c => c.Tree == group.Key);
            // Inputs were checked for declaration errors only; a body error in a generated file is the generator's.
            if (tree.FilePath.StartsWith("/fuzz/", StringComparison.Ordinal)) continue;
            failures.Add($"case {index}: generated {System.IO.Path.GetFileName(tree.FilePath)} does not compile:\n" +
                string.Join("\n", group.Take(3).Select(d => $"  {d.Id} {GeneratorRun.Message(d)} at `{tree.GetText().ToString(d.Location.SourceSpan)}`")) + "\n" + source);
        }
        _output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s, {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s CPU.");
        _output.WriteLine($"{Cases} cases: {generated} sources generated, {diagnosed} cases with ANG diagnostics, {compiledInputs} inputs without declaration errors.");
        Assert.True(failures.Count == 0, $"{failures.Count} failing cases:\n\n" + string.Join("\n\n", failures.Take(5)));
        // The fuzz must exercise both sides, or it proves nothing.
        Assert.True(generated >= 30, $"only {generated} sources were generated");
        Assert.True(diagnosed >= 100, $"only {diagnosed} cases reported a diagnostic");
    }
}
