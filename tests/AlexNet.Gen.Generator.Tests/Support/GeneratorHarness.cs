using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AlexNet.Gen.Generator.Tests.Support;

/// <summary>
/// Compiles test sources against the .NET 10 reference assemblies plus the AlexNet.Gen runtime, runs the
/// generator (with step tracking) and the [Network]-less layer analyzer, and collects what they produced.
/// </summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    public static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        allowUnsafe: true,
        concurrentBuild: false,
        // Test sources need no XML docs; Diagnose mode still checks the generated docs (CS1570, CS1574 …).
        specificDiagnosticOptions: new[] { new KeyValuePair<string, ReportDiagnostic>("CS1591", ReportDiagnostic.Suppress) });

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
        Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location))
            .ToImmutableArray(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>Source files get distinct absolute paths so diagnostics name the file they belong to.</summary>
    public static string PathOf(int index) => $"/tests/Source{index}.cs";

    public static SyntaxTree Parse(string text, string path) => CSharpSyntaxTree.ParseText(text, ParseOptions, path, Encoding.UTF8);

    // Compilations derived from one empty compilation share its bound references (Roslyn reuses the reference
    // manager when only syntax trees change), which saves binding ~170 reference assemblies per test.
    private static readonly Lazy<CSharpCompilation> Empty = new(() =>
        CSharpCompilation.Create("GeneratorTestAssembly", Array.Empty<SyntaxTree>(), References, CompilationOptions),
        LazyThreadSafetyMode.ExecutionAndPublication);

    public static CSharpCompilation Compilation(params SyntaxTree[] trees) => Empty.Value.AddSyntaxTrees(trees);

    public static CSharpCompilation Compilation(params string[] sources)
        => Compilation(sources.Select((s, i) => Parse(s, PathOf(i))).ToArray());

    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        new[] { new NetworkGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(CSharpCompilation compilation, bool runAnalyzer = true)
        => Run(CreateDriver(), compilation, runAnalyzer);

    public static GeneratorRun Run(GeneratorDriver driver, CSharpCompilation compilation, bool runAnalyzer = true)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        var analyzerDiagnostics = runAnalyzer ? Analyze(compilation) : ImmutableArray<Diagnostic>.Empty;
        return new GeneratorRun(compilation, output, driver, driverDiagnostics, analyzerDiagnostics);
    }

    /// <summary>Parses markup sources ({|ID:…|} markers), compiles and runs; the expected diagnostics come back with the run.</summary>
    public static GeneratorRun RunMarkup(params string[] markupSources)
    {
        var trees = new List<SyntaxTree>();
        var expected = new List<ExpectedDiagnostic>();
        for (int i = 0; i < markupSources.Length; i++)
        {
            var (text, spans) = Markup.Parse(markupSources[i], PathOf(i));
            trees.Add(Parse(text, PathOf(i)));
            expected.AddRange(spans);
        }
        var run = Run(Compilation(trees.ToArray()));
        run.Expected = expected;
        return run;
    }

    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation)
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new LayerWithoutNetworkAnalyzer());
        var crashes = new List<Diagnostic>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (_, _, diagnostic) => { lock (crashes) crashes.Add(diagnostic); },
            concurrentAnalysis: false, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false);
        // Only the analyzer's own diagnostics (no compiler binding of method bodies); a throw becomes AD0001 via the callback.
        var reported = compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return reported.AddRange(crashes);
    }
}

/// <summary>The outcome of one generator (and analyzer) run.</summary>
internal sealed class GeneratorRun
{
    public GeneratorRun(CSharpCompilation input, Compilation output, GeneratorDriver driver,
        ImmutableArray<Diagnostic> driverDiagnostics, ImmutableArray<Diagnostic> analyzerDiagnostics)
    {
        Input = input;
        Output = output;
        Driver = driver;
        DriverDiagnostics = driverDiagnostics;
        AnalyzerDiagnostics = analyzerDiagnostics;
        Result = driver.GetRunResult();
    }

    public CSharpCompilation Input { get; }
    public Compilation Output { get; }
    public GeneratorDriver Driver { get; }
    public GeneratorDriverRunResult Result { get; }
    /// <summary>Everything the generator reported, including CS8785 if it threw.</summary>
    public ImmutableArray<Diagnostic> DriverDiagnostics { get; }
    public ImmutableArray<Diagnostic> AnalyzerDiagnostics { get; }
    public List<ExpectedDiagnostic> Expected { get; set; } = new();

    public GeneratorRunResult Generator => Result.Results.Single();

    public ImmutableArray<GeneratedSourceResult> Sources => Generator.GeneratedSources;

    /// <summary>Every ANG diagnostic from the generator and the analyzer, in source order.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics => DriverDiagnostics.Concat(AnalyzerDiagnostics)
        .Where(d => d.Id.StartsWith("ANG", StringComparison.Ordinal))
        .OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal)
        .ThenBy(d => d.Location.SourceSpan.Start)
        .ThenBy(d => d.Id, StringComparer.Ordinal)
        .ToList();

    /// <summary>The source whose hint, without the generator's case-disambiguating hash, is <paramref name="readableHint"/> (e.g. "Models.Net.g.cs").</summary>
    public string Source(string readableHint) => Sources.Single(s => ReadableHint(s.HintName) == readableHint).SourceText.ToString();

    /// <summary>"Models.Net.1a2b3c4d.g.cs" → "Models.Net.g.cs".</summary>
    public static string ReadableHint(string hintName) =>
        System.Text.RegularExpressions.Regex.Replace(hintName, @"\.[0-9a-f]{8}\.g\.cs$", ".g.cs");

    public Diagnostic Single(string id)
    {
        var matches = Diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matches.Count == 1, $"Expected one {id} but got {matches.Count}:\n{Describe(Diagnostics)}");
        return matches[0];
    }

    /// <summary>The generator must not throw: no exception on the run result, no CS8785 warning, no AD0001 from the analyzer.</summary>
    public void AssertNoCrash()
    {
        Assert.Null(Generator.Exception);
        var crashes = DriverDiagnostics.Concat(AnalyzerDiagnostics).Where(d => d.Id is "CS8785" or "AD0001").ToList();
        Assert.True(crashes.Count == 0, "The generator or analyzer threw:\n" + Describe(crashes));
    }

    /// <summary>The ANG diagnostics are exactly the markup's: same ids, files and spans (line spans included).</summary>
    public void AssertDiagnosticsMatchMarkup()
    {
        AssertNoCrash();
        var actual = Diagnostics.Select(d => Key(d.Id, d.Location.GetLineSpan().Path, d.Location.SourceSpan.Start, d.Location.SourceSpan.End))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        var expected = Expected.Select(e => Key(e.Id, e.Path, e.Span.Start, e.Span.End)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual),
            $"Expected:\n  {string.Join("\n  ", expected)}\nActual:\n{Describe(Diagnostics)}");
        foreach (var d in Diagnostics)
        {
            // The line/column span a diagnostic carries must be the one its text span has in the file.
            var tree = Input.SyntaxTrees.Single(t => t.FilePath == d.Location.GetLineSpan().Path);
            Assert.Equal(tree.GetText().Lines.GetLinePositionSpan(d.Location.SourceSpan), d.Location.GetLineSpan().Span);
        }
    }

    /// <summary>The input compiles without errors (so an expected ANG diagnostic is not an artifact of a broken test source).</summary>
    public void AssertInputCompiles()
    {
        var errors = Input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The test source does not compile:\n" + Describe(errors));
    }

    /// <summary>The compilation with the generated sources has neither errors nor warnings.</summary>
    public void AssertOutputClean()
    {
        var problems = Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, "The generated compilation has diagnostics:\n" + Describe(problems));
    }

    public static string Message(Diagnostic d) => d.GetMessage(CultureInfo.InvariantCulture);

    /// <summary>Id, place, severity, message and the marked text of each diagnostic, for failure messages.</summary>
    public string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        var sb = new StringBuilder();
        foreach (var d in diagnostics)
        {
            var span = d.Location.SourceSpan;
            // Generator diagnostics carry external-file locations (no tree), so find the tree by path.
            var tree = d.Location.SourceTree ?? Input.SyntaxTrees.FirstOrDefault(t => t.FilePath == d.Location.GetLineSpan().Path);
            string text = tree is not null && span.End <= tree.Length ? tree.GetText().ToString(span) : "";
            sb.Append("  ").Append(Key(d.Id, d.Location.GetLineSpan().Path, span.Start, span.End))
              .Append(' ').Append(d.Severity).Append(" \"").Append(Message(d)).Append('"');
            if (text.Length > 0) sb.Append(" at `").Append(text).Append('`');
            sb.Append('\n');
        }
        return sb.Length == 0 ? "  (none)\n" : sb.ToString();
    }

    private static string Key(string id, string path, int start, int end) => $"{id} {path}@{start}..{end}";
}
