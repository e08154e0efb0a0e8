using System.Linq;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>
/// Valid-but-unusual declarations. The generator must not throw (CS8785 drops every network's code), must not
/// emit code that does not compile, and must not silently compile something other than what was declared.
/// </summary>
public sealed class RobustnessTests
{
    /// <summary>Either the generator reports an ANG error and generates nothing, or what it generates compiles.</summary>
    private static void AssertDiagnosedOrCompiles(GeneratorRun run)
    {
        run.AssertNoCrash();
        var generatedErrors = run.Output.SyntaxTrees.Where(t => !run.Input.SyntaxTrees.Contains(t))
            .SelectMany(t => run.Output.GetSemanticModel(t).GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        bool diagnosed = run.Sources.Length == 0 && run.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        Assert.True(diagnosed || run.Sources.Length > 0 && generatedErrors.Count == 0,
            $"Generated {run.Sources.Length} source(s) with errors:\n{run.Describe(generatedErrors.Take(5))}ANG diagnostics:\n{run.Describe(run.Diagnostics)}");
    }

    [Fact]
    public void ClassNamesThatDifferOnlyInCase()
    {
        // Both are distinct, valid C# types; hint names are compared case-insensitively by Roslyn.
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            namespace Models;
            [Network(1, 2, 2)] [Flatten] public partial class Net { }
            [Network(1, 3, 3)] [Flatten] public partial class NET { }
            """);
        run.AssertNoCrash();
        Assert.Equal(2, run.Sources.Length);
        run.AssertOutputClean();
    }

    [Fact]
    public void NamespaceWithAKeywordIdentifier()
    {
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            namespace @event.Models;
            [Network(1, 2, 2)] [Flatten] public partial class Net { }
            """);
        run.AssertNoCrash();
        Assert.Single(run.Sources);
        run.AssertOutputClean();
    }

    [Theory]
    [InlineData("[Network(1, 2, 2)] [Flatten] public partial class @class { }", "Models.class")]
    [InlineData("public partial class @struct { [Network(1, 2, 2)] [Flatten] public partial class Net { } }", "Models.struct+Net")]
    public void TypeNamesThatAreKeywords(string declaration, string metadataName)
    {
        var run = GeneratorHarness.RunMarkup("using AlexNet.Gen;\nnamespace Models;\n" + declaration);
        AssertDiagnosedOrCompiles(run);
        Assert.Single(run.Sources);
        Assert.NotEmpty(run.Output.GetTypeByMetadataName(metadataName)!.GetMembers("Forward"));
    }

    [Fact]
    public void AUserDefinedLayerAttributeIsNotCompiledAsAReLU()
    {
        // LayerAttribute is public and abstract, so users can derive from it; the generator has no kind for it.
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            public sealed class SigmoidAttribute : LayerAttribute { }
            [Network(1, 2, 2)] [Flatten] [Sigmoid] public partial class Net { }
            """);
        run.AssertNoCrash();
        var generated = string.Concat(run.Sources.Select(s => s.SourceText.ToString()));
        Assert.DoesNotContain("Activations.Relu", generated);
        Assert.Contains(run.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void AUserDefinedLayerAttributeIsReportedWhereItIsApplied()
    {
        DeclarationDiagnosticTests.Expect("ANG0022", DiagnosticSeverity.Error,
            "'SigmoidAttribute' derives from LayerAttribute but is not a layer AlexNet.Gen can compile",
            """
            using AlexNet.Gen;
            public sealed class SigmoidAttribute : LayerAttribute { }
            [Network(1, 2, 2)] [Flatten] [{|ANG0022:Sigmoid|}] public partial class Net { }
            """);
    }

    [Theory]
    [InlineData("public partial record {|ANG0007:Net|} { }", "'Net' is a record; [Network] needs a partial, non-static, non-record class")]
    [InlineData("public static partial class {|ANG0007:Net|} { }", "'Net' is a static class; [Network] needs a partial, non-static, non-record class")]
    public void RecordsAndStaticClassesAreReportedOnTheirName(string declaration, string message)
    {
        DeclarationDiagnosticTests.Expect("ANG0007", DiagnosticSeverity.Error, message,
            "using AlexNet.Gen;\n[Network(1, 2, 2)] [Flatten] " + declaration);
    }

    [Fact]
    public void ARecordWithNetworkIsNotSilentlyIgnored()
    {
        // [Network] is AttributeTargets.Class, which C# also allows on a record class.
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            [Network(1, 2, 2)] [Flatten] public partial record Net { }
            """);
        run.AssertNoCrash();
        Assert.True(run.Sources.Length > 0 || run.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error),
            "Neither code nor a diagnostic: the attributes are ignored without a word.");
    }

    [Fact]
    public void AStaticClassGetsADiagnosticNotCodeThatDoesNotCompile()
    {
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            [Network(1, 2, 2)] [Flatten] public static partial class Net { }
            """);
        AssertDiagnosedOrCompiles(run);
    }

    [Fact]
    public void AbstractAndSealedClassesAndExplicitBaseTypesWork()
    {
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            namespace Models;
            public abstract class Base { }
            [Network(1, 2, 2)] [Flatten] public abstract partial class A : Base { }
            [Network(1, 2, 2)] [Flatten] internal sealed partial class B : System.IDisposable { public void Dispose() { } }
            """);
        run.AssertDiagnosticsMatchMarkup();
        Assert.Equal(2, run.Sources.Length);
        run.AssertOutputClean();
    }

    [Fact]
    public void DepthRadiusAboveTheLimitIsNotCalledNegative()
    {
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            [Network(1, 2, 2)] [TfLocalResponseNorm({|ANG0010:200000|})] public partial class Net { }
            """);
        run.AssertDiagnosticsMatchMarkup();
        string message = GeneratorRun.Message(run.Single("ANG0010"));
        Assert.Contains("200000", message);
        Assert.DoesNotContain("must be non-negative but is 200000", message);
    }

    [Fact]
    public void ConstructorArgumentsByNameAreLocatedByName()
    {
        DeclarationDiagnosticTests.Expect("ANG0010", DiagnosticSeverity.Error, "conv1: kernel size must be positive but is 0", """
            using AlexNet.Gen;
            [Network(1, 4, 4)] [Conv2d({|ANG0010:kernelSize: 0|}, outChannels: 8)] public partial class Net { }
            """);
    }

    [Fact]
    public void NetworksWithoutParametersGenerateCompilingCode()
    {
        // No layer owns a buffer at inference (Flatten is a view, Dropout the identity) and nothing has parameters.
        var run = GeneratorHarness.RunMarkup("""
            using AlexNet.Gen;
            [Network(1, 4, 4)] [Dropout(0.5f)] public partial class OnlyDropout { }
            [Network(1, 4, 4)] [Flatten] [Softmax] public partial class FlattenSoftmax { }
            [Network(2, 4, 4)] [MaxPool2d(2)] [ReLU] public partial class NoParameters { }
            """);
        run.AssertDiagnosticsMatchMarkup();
        Assert.Equal(3, run.Sources.Length);
        run.AssertOutputClean();
        Assert.Contains("input.CopyTo(output);", run.Source("OnlyDropout.g.cs"));
        Assert.Contains("No layer has parameters", run.Source("NoParameters.g.cs"));
    }
}
