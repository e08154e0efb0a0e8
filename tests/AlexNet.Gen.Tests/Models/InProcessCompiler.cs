using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using AlexNet.Gen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AlexNet.Gen.Tests.Models;

/// <summary>
/// Compiles C# source with [Network] classes in-process: the real generator runs through a
/// <see cref="CSharpGeneratorDriver"/>, the result is emitted once and loaded into the default load context, where
/// the runtime assembly is already loaded, so the generated classes implement the same <see cref="INetwork"/>.
/// </summary>
internal static class InProcessCompiler
{
    /// <summary>Compiles, fails the test on any error (with the generator's or compiler's messages), and loads.</summary>
    public static Assembly Compile(string source, string assemblyName)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(source, parse, path: assemblyName + ".cs");
        var references = Basic.Reference.Assemblies.Net100.References.All
            .Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(INetwork).Assembly.Location));
        var compilation = CSharpCompilation.Create(assemblyName, new[] { tree }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));

        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: parse);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var generatorErrors = generatorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(generatorErrors.Count == 0, "generator errors:\n" + string.Join("\n", generatorErrors));

        var generated = driver.GetRunResult().GeneratedTrees.Length;
        Assert.True(generated > 0, "the generator produced no source");

        using var image = new MemoryStream();
        var emit = output.Emit(image);
        var errors = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(emit.Success && errors.Count == 0,
            "compilation errors:\n" + string.Join("\n", errors.Take(20)) + "\nin:\n" + ErrorContext(errors));
        image.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(image);
    }

    /// <summary>A new instance of the generated network <paramref name="typeName"/> with <paramref name="seed"/>.</summary>
    public static INetwork Create(Assembly assembly, string typeName, int seed)
    {
        var type = assembly.GetType(typeName, throwOnError: true)!;
        return (INetwork)Activator.CreateInstance(type, seed)!;
    }

    private static string ErrorContext(System.Collections.Generic.IReadOnlyList<Diagnostic> errors)
    {
        if (errors.Count == 0 || errors[0].Location.SourceTree is not { } tree) return "";
        var lines = tree.GetText().Lines;
        int line = errors[0].Location.GetLineSpan().StartLinePosition.Line;
        int from = Math.Max(0, line - 3), to = Math.Min(lines.Count - 1, line + 3);
        return string.Join("\n", Enumerable.Range(from, to - from + 1).Select(i => lines[i].ToString()));
    }
}
