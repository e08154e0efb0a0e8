using System;
using System.Collections.Generic;
using System.Linq;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>Edits that do not touch a network leave every step cached; changing a layer re-runs it and changes the output.</summary>
public sealed class IncrementalityTests
{
    private static readonly string[] Steps = { TrackingNames.Parse, TrackingNames.Infer, TrackingNames.Diagnostics, TrackingNames.Plan };

    private const string Unrelated = """
        namespace Other;
        public static class Helpers { public static int Twice(int x) => 2 * x; }
        """;

    // A valid model, one with a warning, and one with an error, so diagnostics flow through every step too.
    private const string MoreModels = """
        using AlexNet.Gen;
        namespace Samples.Small;
        [Network(1, 10, 10)] [MaxPool2d(3)] [Flatten] public partial class Warns { }
        [Network(3, 8, 8)] [Conv2d(4, 3)] [Dense(10)] public partial class Broken { }
        """;

    private static (GeneratorDriver Driver, CSharpCompilation Compilation, SyntaxTree Model, SyntaxTree Other) Start()
    {
        var model = GeneratorHarness.Parse(SampleModels.AllLayers, "/tests/AllLayers.cs");
        var more = GeneratorHarness.Parse(MoreModels, "/tests/MoreModels.cs");
        var other = GeneratorHarness.Parse(Unrelated, "/tests/Other.cs");
        var compilation = GeneratorHarness.Compilation(model, more, other);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Null(first.Exception);
        Assert.Equal(2, first.GeneratedSources.Length);
        Assert.Equal(2, first.Diagnostics.Length); // ANG0030 on Warns, ANG0018 on Broken
        return (driver, compilation, model, other);
    }

    private static IEnumerable<(string Step, IncrementalStepRunReason Reason)> Reasons(GeneratorRunResult result)
    {
        foreach (var name in Steps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), $"step {name} was not tracked");
            foreach (var step in result.TrackedSteps[name])
            {
                foreach (var output in step.Outputs) yield return (name, output.Reason);
            }
        }
    }

    private static void AssertAllCached(GeneratorDriver driver)
    {
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        var reasons = Reasons(result).ToList();
        Assert.NotEmpty(reasons);
        var rerun = reasons.Where(r => r.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)).ToList();
        Assert.True(rerun.Count == 0, "Steps re-ran: " + string.Join(", ", rerun));
        // Each network shows up in every step (3 parsed, 3 inferred, 3 diagnostic sets, 2 plans).
        Assert.Equal(3 + 3 + 3 + 2, reasons.Count);
        var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"source output {o.Reason}"));
    }

    [Fact]
    public void AddingAnUnrelatedFileKeepsEveryStepCached()
    {
        var (driver, compilation, _, _) = Start();
        var added = compilation.AddSyntaxTrees(GeneratorHarness.Parse("public record Point(int X, int Y);", "/tests/Point.cs"));
        AssertAllCached(driver.RunGenerators(added));
    }

    [Fact]
    public void EditingAnUnrelatedFileKeepsEveryStepCached()
    {
        var (driver, compilation, _, other) = Start();
        var edited = compilation.ReplaceSyntaxTree(other, other.WithChangedText(other.GetText().Replace(0, 0, "// edited\n")));
        AssertAllCached(driver.RunGenerators(edited));
    }

    [Fact]
    public void TriviaAfterTheModelReparsesToAnEqualModel()
    {
        // The model's file changes (so Parse runs again) but nothing before the edit moves: the spec is equal,
        // and everything after Parse stays cached. This checks the model's value equality, not just caching.
        var (driver, compilation, model, _) = Start();
        var text = model.GetText();
        var edited = compilation.ReplaceSyntaxTree(model, model.WithChangedText(text.Replace(text.Length, 0, "\n// trailing comment\n")));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        var reasons = Reasons(result).ToList();
        Assert.Contains(reasons, r => r.Step == TrackingNames.Parse && r.Reason == IncrementalStepRunReason.Unchanged);
        Assert.DoesNotContain(reasons, r => r.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New or IncrementalStepRunReason.Removed);
    }

    [Fact]
    public void ChangingALayerArgumentReRunsAndChangesTheOutput()
    {
        var (driver, compilation, model, _) = Start();
        string before = driver.GetRunResult().Results.Single().GeneratedSources.Single(s => GeneratorRun.ReadableHint(s.HintName) == "Samples.Small.AllLayers.g.cs").SourceText.ToString();
        var text = model.GetText().ToString();
        Assert.Contains("[Dropout(0.25f)]", text);
        var edited = compilation.ReplaceSyntaxTree(model, model.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From(text.Replace("[Dropout(0.25f)]", "[Dropout(0.75f)]"))));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        var reasons = Reasons(result).ToList();
        Assert.Contains((TrackingNames.Parse, IncrementalStepRunReason.Modified), reasons);
        Assert.Contains((TrackingNames.Infer, IncrementalStepRunReason.Modified), reasons);
        Assert.Contains((TrackingNames.Plan, IncrementalStepRunReason.Modified), reasons);
        string after = result.GeneratedSources.Single(s => GeneratorRun.ReadableHint(s.HintName) == "Samples.Small.AllLayers.g.cs").SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Contains("0.25f", before);
        Assert.DoesNotContain("0.25f", after);
        Assert.Contains("Dropout.ForwardTraining(x, y, _dropout1Mask.AsSpan(0, n * 120), 0.75f, _random)", after);
        // The other two networks did not change: their outputs in the later steps are cached.
        Assert.Equal(2, reasons.Count(r => r.Step == TrackingNames.Infer && r.Reason == IncrementalStepRunReason.Cached));
    }

    [Fact]
    public void FixingAnErrorRemovesTheDiagnosticAndAddsTheSource()
    {
        var (driver, compilation, _, _) = Start();
        var more = compilation.SyntaxTrees.Single(t => t.FilePath == "/tests/MoreModels.cs");
        string text = more.GetText().ToString().Replace("[Conv2d(4, 3)] [Dense(10)]", "[Conv2d(4, 3)] [Flatten] [Dense(10)]");
        var result = driver.RunGenerators(compilation.ReplaceSyntaxTree(more, more.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text))))
            .GetRunResult().Results.Single();
        Assert.Equal(3, result.GeneratedSources.Length);
        Assert.Equal(new[] { "ANG0030" }, result.Diagnostics.Select(d => d.Id).ToArray());
    }
}
