using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>The descriptor table itself: ids, severities, help links, the release-tracking file, and test coverage.</summary>
public sealed class DescriptorTests
{
    /// <summary>Every id with the severity the tests in this project assert for it. A new descriptor must be added here, with a test.</summary>
    private static readonly (string Id, DiagnosticSeverity Severity)[] Tested =
    {
        ("ANG0001", DiagnosticSeverity.Error), ("ANG0002", DiagnosticSeverity.Error), ("ANG0003", DiagnosticSeverity.Error),
        ("ANG0004", DiagnosticSeverity.Error), ("ANG0005", DiagnosticSeverity.Error), ("ANG0006", DiagnosticSeverity.Error),
        ("ANG0007", DiagnosticSeverity.Error), ("ANG0022", DiagnosticSeverity.Error),
        ("ANG0010", DiagnosticSeverity.Error), ("ANG0011", DiagnosticSeverity.Error), ("ANG0012", DiagnosticSeverity.Error),
        ("ANG0013", DiagnosticSeverity.Error), ("ANG0014", DiagnosticSeverity.Error), ("ANG0015", DiagnosticSeverity.Error),
        ("ANG0016", DiagnosticSeverity.Error), ("ANG0017", DiagnosticSeverity.Error), ("ANG0018", DiagnosticSeverity.Error),
        ("ANG0019", DiagnosticSeverity.Error), ("ANG0020", DiagnosticSeverity.Error), ("ANG0021", DiagnosticSeverity.Error),
        ("ANG0030", DiagnosticSeverity.Warning),
    };

    private static DiagnosticDescriptor[] All() => typeof(DiagnosticDescriptors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToArray();

    [Fact]
    public void EveryDescriptorIsCoveredByTests()
    {
        var all = All();
        Assert.Equal(Tested.Select(t => t.Id).OrderBy(i => i), all.Select(d => d.Id).OrderBy(i => i));
        foreach (var d in all)
            Assert.Equal(Tested.Single(t => t.Id == d.Id).Severity, d.DefaultSeverity);
    }

    [Fact]
    public void DescriptorsAreWellFormed()
    {
        foreach (var d in All())
        {
            Assert.Matches("^ANG[0-9]{4}$", d.Id);
            Assert.Equal("AlexNet.Gen", d.Category);
            Assert.True(d.IsEnabledByDefault, d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.Title.ToString()), d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.Description.ToString()), d.Id);
            Assert.EndsWith("#" + d.Id.ToLowerInvariant(), d.HelpLinkUri);
        }
        var ids = All().Select(d => d.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // The *Id constants name the descriptors' ids.
        var constants = typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Id", StringComparison.Ordinal)).Select(f => (string)f.GetRawConstantValue()!);
        Assert.Equal(ids.OrderBy(i => i), constants.OrderBy(i => i));
    }

    [Fact]
    public void ReleaseTrackingFileListsEveryDescriptor()
    {
        string file = Path.Combine(GeneratorDirectory(), "AnalyzerReleases.Unshipped.md");
        var rows = File.ReadAllLines(file)
            .Where(l => l.StartsWith("ANG", StringComparison.Ordinal))
            .Select(l => l.Split('|').Select(c => c.Trim()).ToArray())
            .ToDictionary(c => c[0], c => c);
        foreach (var d in All())
        {
            Assert.True(rows.ContainsKey(d.Id), $"{d.Id} is missing from AnalyzerReleases.Unshipped.md");
            Assert.Equal(d.Category, rows[d.Id][1]);
            Assert.Equal(d.DefaultSeverity.ToString(), rows[d.Id][2]);
            Assert.Equal(d.Title.ToString(), rows[d.Id][3]);
        }
        Assert.Equal(All().Length, rows.Count);
    }

    [Fact]
    public void AnalyzerSupportsOnlyLayerWithoutNetwork()
    {
        Assert.Equal(new[] { DiagnosticDescriptors.LayerWithoutNetworkId },
            new LayerWithoutNetworkAnalyzer().SupportedDiagnostics.Select(d => d.Id).ToArray());
    }

    private static string GeneratorDirectory([CallerFilePath] string callerFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(callerFile)!, "..", "..", "generator", "AlexNet.Gen.Generator"));
}
