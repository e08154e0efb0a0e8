using System.Linq;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>ANG0001–ANG0006: what is wrong with the class that carries the layers.</summary>
public sealed class DeclarationDiagnosticTests
{
    /// <summary>Runs markup, checks ids and spans against its markers, and returns the one diagnostic with <paramref name="id"/>.</summary>
    internal static Diagnostic Expect(string id, DiagnosticSeverity severity, string message, params string[] markup)
    {
        var run = GeneratorHarness.RunMarkup(markup);
        run.AssertDiagnosticsMatchMarkup();
        var d = run.Single(id);
        Assert.Equal(severity, d.Severity);
        Assert.Equal(message, GeneratorRun.Message(d));
        if (severity == DiagnosticSeverity.Error) Assert.Empty(run.Sources);
        return d;
    }

    [Fact]
    public void ClassNotPartial()
    {
        Expect("ANG0001", DiagnosticSeverity.Error,
            "Network class 'Net' must be declared partial so the generated layers can be added to it",
            """
            using AlexNet.Gen;
            [Network(1, 4, 4)]
            [ReLU]
            public class {|ANG0001:Net|} { }
            """);
    }

    [Fact]
    public void GenericClass()
    {
        Expect("ANG0002", DiagnosticSeverity.Error,
            "Network class 'Net' must not be generic: every dimension is a compile-time constant",
            """
            using AlexNet.Gen;
            [Network(1, 4, 4)]
            [ReLU]
            public partial class {|ANG0002:Net|}<T> { }
            """);
    }

    [Fact]
    public void NestedInNonPartialClass()
    {
        Expect("ANG0003", DiagnosticSeverity.Error,
            "Network class 'Net' is nested in 'Outer', which must be partial too",
            """
            using AlexNet.Gen;
            namespace Models;
            public class Outer
            {
                [Network(1, 4, 4)]
                [ReLU]
                public partial class {|ANG0003:Net|} { }
            }
            """);
    }

    [Fact]
    public void NestedInGenericPartialClass()
    {
        // A class inside a generic type is generic itself (Roslyn's IsGenericType), so ANG0002 comes along.
        Expect("ANG0003", DiagnosticSeverity.Error,
            "Network class 'Net' is nested in 'Outer', which must be partial too",
            """
            using AlexNet.Gen;
            public partial class Outer<T>
            {
                [Network(1, 4, 4)]
                [ReLU]
                public partial class {|ANG0002:{|ANG0003:Net|}|} { }
            }
            """);
    }

    [Fact]
    public void NestedInPartialTypesGeneratesCompilingCode()
    {
        var run = GeneratorHarness.RunMarkup(
            """
            using AlexNet.Gen;
            namespace Models.Deep;
            public partial struct Outer
            {
                public partial class Middle
                {
                    [Network(2, 5, 5, Classes = 3)]
                    [Conv2d(4, 3)] [ReLU] [Flatten] [Dense(3)]
                    internal partial class Net { }
                }
            }
            """);
        run.AssertDiagnosticsMatchMarkup();
        var source = run.Source("Models.Deep.Outer.Middle.Net.g.cs");
        Assert.Contains("partial struct Outer", source);
        Assert.Contains("partial class Middle", source);
        run.AssertOutputClean();
        var type = run.Output.GetTypeByMetadataName("Models.Deep.Outer+Middle+Net");
        Assert.NotNull(type);
        Assert.Contains(type!.AllInterfaces, i => i.ToDisplayString() == "AlexNet.Gen.INetwork");
    }

    [Fact]
    public void LayersWithoutNetworkAttribute()
    {
        var d = Expect("ANG0004", DiagnosticSeverity.Error,
            "'Net' has layer attributes but no [Network(channels, height, width)] declaring its input",
            """
            using AlexNet.Gen;
            [System.Serializable]
            [{|ANG0004:Conv2d(8, 3)|}]
            [ReLU]
            public partial class Net { }
            """);
        // The analyzer, not the generator, reports it: the generator never sees a class without [Network].
        Assert.True(d.Location.IsInSource);
    }

    [Fact]
    public void AnalyzerIsQuietOnNetworksAndOnClassesWithoutLayers()
    {
        var run = GeneratorHarness.RunMarkup(
            """
            using AlexNet.Gen;
            [Network(1, 2, 2)] [Flatten] public partial class Fine { }
            [System.Obsolete] public class Unrelated { }
            """);
        run.AssertDiagnosticsMatchMarkup();
        Assert.Single(run.Sources);
    }

    [Fact]
    public void NetworkWithoutLayers()
    {
        Expect("ANG0005", DiagnosticSeverity.Error,
            "Network 'Net' declares no layers",
            """
            using AlexNet.Gen;
            [Network(3, 8, 8)]
            public partial class {|ANG0005:Net|} { }
            """);
    }

    [Fact]
    public void LayersSplitOverTwoPartialDeclarations()
    {
        Expect("ANG0006", DiagnosticSeverity.Error,
            "Network 'Net' declares layers on more than one partial declaration; their order would be undefined",
            """
            using AlexNet.Gen;
            [Network(1, 4, 4)]
            [Flatten]
            public partial class {|ANG0006:Net|} { }
            """,
            """
            using AlexNet.Gen;
            [Dense(10)]
            public partial class Net { }
            """);
    }

    [Fact]
    public void LayersOnOneDeclarationAndNetworkOnAnotherAreAccepted()
    {
        // Only the layers need one declaration (their order); [Network] may sit on another part.
        var run = GeneratorHarness.RunMarkup(
            """
            using AlexNet.Gen;
            [Network(1, 4, 4)]
            public partial class Net { }
            """,
            """
            using AlexNet.Gen;
            [Flatten] [Dense(10)]
            public partial class Net { }
            """);
        run.AssertDiagnosticsMatchMarkup();
        Assert.Contains("public const int OutputLength = 10;", run.Source("Net.g.cs"));
        run.AssertOutputClean();
    }

    [Fact]
    public void ErrorsInOneModelDoNotStopAnotherModel()
    {
        var run = GeneratorHarness.RunMarkup(
            """
            using AlexNet.Gen;
            namespace Models;
            [Network(3, 8, 8)]
            [Conv2d(4, 3)]
            [{|ANG0018:Dense(10)|}]
            public partial class Broken { }

            [Network(3, 8, 8, Classes = 10)]
            [Conv2d(4, 3)] [ReLU] [Flatten] [Dense(10)] [Softmax]
            public partial class Valid { }
            """);
        run.AssertDiagnosticsMatchMarkup();
        Assert.Equal(new[] { "Models.Valid.g.cs" }, run.Sources.Select(s => GeneratorRun.ReadableHint(s.HintName)).ToArray());
        run.AssertOutputClean();
        Assert.Null(run.Output.GetTypeByMetadataName("Models.Broken")!.GetMembers("Forward").FirstOrDefault());
        Assert.NotEmpty(run.Output.GetTypeByMetadataName("Models.Valid")!.GetMembers("Forward"));
    }
}
