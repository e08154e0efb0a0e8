using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using AlexNet.Gen.Generator.Model;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>
/// The incremental pipeline caches its outputs by equality, so the models it carries must hold no symbols, syntax,
/// compilations or locations (which would pin a compilation in memory and never compare equal). As System.Text.Json's
/// generator tests, walk every type reachable from the pipeline outputs by reflection.
/// </summary>
public sealed class ModelPurityTests
{
    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SemanticModel), typeof(Location),
        typeof(SyntaxToken), typeof(SyntaxTrivia), typeof(SyntaxReference), typeof(AttributeData), typeof(TypedConstant),
        typeof(IOperation), typeof(SourceText),
    };

    /// <summary>Immutable, equatable Roslyn values that hold nothing compilation-bound.</summary>
    private static readonly Type[] AllowedLeaves = { typeof(DiagnosticDescriptor), typeof(TextSpan), typeof(LinePositionSpan), typeof(LinePosition) };

    private static readonly Type[] Roots =
    {
        typeof(NetworkSpec), typeof(NetworkPlan), typeof(LayerSpec), typeof(LayerPlan), typeof(DiagnosticInfo), typeof(LocationInfo),
        typeof(Result<NetworkSpec>), typeof(Result<NetworkPlan>), typeof(EquatableArray<DiagnosticInfo>),
    };

    [Fact]
    public void ModelTypesHoldNoCompilationBoundObjects()
    {
        var problems = new List<string>();
        var seen = new HashSet<Type>();
        foreach (var root in Roots) Walk(root, root.Name, seen, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The walk really went through the graph (TensorShape via LayerPlan, LayerArgument via EquatableArray<LayerArgument>).
        Assert.Contains(typeof(TensorShape), seen);
        Assert.Contains(typeof(LayerArgument), seen);
        Assert.Contains(typeof(ContainingTypeSpec), seen);
    }

    [Fact]
    public void PipelineOutputTypesAreCoveredAndPure()
    {
        // The types the steps actually produce at run time, not just the ones listed above.
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(SampleModels.AllLayers,
            "using AlexNet.Gen; [Network(1, 2, 2)] [Dense(3)] public partial class Broken { }"), runAnalyzer: false);
        var outputTypes = run.Generator.TrackedSteps
            .Where(s => s.Key is TrackingNames.Parse or TrackingNames.Infer or TrackingNames.Diagnostics or TrackingNames.Plan)
            .SelectMany(s => s.Value).SelectMany(step => step.Outputs).Select(o => o.Value.GetType()).Distinct().ToList();
        Assert.Contains(typeof(Result<NetworkSpec>), outputTypes);
        Assert.Contains(typeof(NetworkPlan), outputTypes);
        var problems = new List<string>();
        var seen = new HashSet<Type>();
        foreach (var type in outputTypes) Walk(type, type.Name, seen, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheWalkFindsAForbiddenTypeDeepInside()
    {
        var problems = new List<string>();
        Walk(typeof(Impure), nameof(Impure), new HashSet<Type>(), problems);
        Assert.Single(problems, p => p.Contains("ISymbol", StringComparison.Ordinal));
        problems.Clear();
        Walk(typeof(ImpureThroughObject), nameof(ImpureThroughObject), new HashSet<Type>(), problems);
        Assert.Single(problems);
    }

    private sealed record Impure(EquatableArray<Holder> Items);

    private sealed record Holder(int Value, ISymbol?[] Symbols);

    private sealed record ImpureThroughObject(object Anything);

    private static void Walk(Type type, string path, HashSet<Type> seen, List<string> problems)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying) type = underlying;
        if (type.IsArray)
        {
            Walk(type.GetElementType()!, path + "[]", seen, problems);
            return;
        }
        if (!seen.Add(type)) return;
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || AllowedLeaves.Contains(type)) return;
        foreach (var forbidden in Forbidden)
        {
            if (forbidden.IsAssignableFrom(type))
            {
                problems.Add($"{path} is a {forbidden.Name} ({type})");
                return;
            }
        }
        if (type == typeof(object) || type.IsInterface && !type.IsGenericType || type.IsAbstract && type.Assembly != typeof(NetworkSpec).Assembly && !type.IsGenericType)
        {
            problems.Add($"{path} is typed {type.Name}, which could hold anything");
            return;
        }
        if (type.Assembly == typeof(NetworkSpec).Assembly && !type.IsInterface
            && !typeof(IEquatable<>).MakeGenericType(type).IsAssignableFrom(type))
        {
            problems.Add($"{path} ({type.Name}) is not IEquatable<{type.Name}>, so the pipeline cannot compare it");
        }
        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes)
            Walk(argument, $"{path}<{argument.Name}>", seen, problems);
        if (type.IsInterface) return;
        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                Walk(field.FieldType, $"{path}.{field.Name}", seen, problems);
            foreach (var property in t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (property.Name == "EqualityContract") continue; // records' System.Type of themselves
                Walk(property.PropertyType, $"{path}.{property.Name}", seen, problems);
            }
        }
    }
}
