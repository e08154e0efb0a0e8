using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using AlexNet.Gen.Generator.Tests.Support;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>
/// Snapshots of the generated source, checked in as Baselines/*.verified.cs (Verify's naming). A mismatch writes
/// *.received.cs next to the baseline and fails; ALEXNET_GEN_ACCEPT=1 overwrites the baseline instead.
/// </summary>
public sealed class BaselineTests
{
    private const string AcceptVariable = "ALEXNET_GEN_ACCEPT";

    [Fact]
    public void PaperAlexNetSample()
    {
        // The sample project's own file, so the snapshot follows what users see when they build the sample.
        string sample = File.ReadAllText(Path.Combine(RepositoryRoot(), "samples", "PaperAlexNet", "Models.cs"));
        string generated = Generate(sample, "PaperAlexNetSample.PaperAlexNet.g.cs");
        int lines = generated.Count(c => c == '\n');
        Assert.True(lines < 3000, $"The generated paper AlexNet has {lines} lines; it must stay under 3000.");
        Verify("PaperAlexNet", generated);
    }

    [Fact]
    public void EveryLayerKind()
    {
        Verify("AllLayers", Generate(SampleModels.AllLayers, "Samples.Small.AllLayers.g.cs"));
    }

    [Fact]
    public void SampleDeclarationCopyMatchesTheSample()
    {
        // Other tests use SampleModels.PaperAlexNet; it must stay the sample's declaration (ignoring the doc comment).
        static string Attributes(string source) => string.Join("\n", source.Replace("\r\n", "\n").Split('\n')
            .Select(l => l.Trim()).Where(l => l.StartsWith('[') || l.StartsWith("public partial class", StringComparison.Ordinal)));
        string sample = File.ReadAllText(Path.Combine(RepositoryRoot(), "samples", "PaperAlexNet", "Models.cs"));
        Assert.Equal(Attributes(sample), Attributes(SampleModels.PaperAlexNet));
    }

    private static string Generate(string source, string hintName)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(source), runAnalyzer: false);
        run.AssertNoCrash();
        Assert.Empty(run.Diagnostics);
        run.AssertOutputClean();
        return run.Source(hintName).Replace("\r\n", "\n");
    }

    private static void Verify(string name, string generated, [CallerFilePath] string callerFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "Baselines");
        string verified = Path.Combine(directory, name + ".verified.cs");
        string received = Path.Combine(directory, name + ".received.cs");

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, generated);
            File.Delete(received);
            return;
        }
        if (!File.Exists(verified))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(received, generated);
            Assert.Fail($"No baseline {verified}. Wrote {received}: review it, then rename it or run with {AcceptVariable}=1.");
        }

        string expected = File.ReadAllText(verified).Replace("\r\n", "\n");
        if (expected == generated)
        {
            File.Delete(received);
            return;
        }
        File.WriteAllText(received, generated);
        var a = expected.Split('\n');
        var b = generated.Split('\n');
        int line = 0;
        while (line < a.Length && line < b.Length && a[line] == b[line]) line++;
        Assert.Fail($"Generated code differs from {verified} at line {line + 1}:\n" +
            $"  baseline: {(line < a.Length ? a[line] : "(end of file)")}\n" +
            $"  received: {(line < b.Length ? b[line] : "(end of file)")}\n" +
            $"Wrote {received}. Compare with: diff {verified} {received}\n" +
            $"If the change is intended, run the tests with {AcceptVariable}=1 to accept it.");
    }

    /// <summary>The repository root, found from this source file's path (tests/AlexNet.Gen.Generator.Tests/…).</summary>
    private static string RepositoryRoot([CallerFilePath] string callerFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(callerFile)!, "..", ".."));
}
