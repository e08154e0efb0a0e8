using System.Collections.Generic;
using System.Linq;
using System.Threading;
using AlexNet.Gen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AlexNet.Gen.Generator;

/// <summary>
/// Turns a [Network] class (symbol + syntax) into a pure <see cref="NetworkSpec"/>. This is the only place that
/// touches Roslyn's semantic model; everything after it works on equatable data.
/// </summary>
internal static class NetworkParser
{
    public const string Namespace = "AlexNet.Gen";
    public const string NetworkAttributeName = "AlexNet.Gen.NetworkAttribute";
    private const string LayerAttributeBaseName = "LayerAttribute";

    public static Result<NetworkSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var errors = new List<DiagnosticInfo>();
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            return new Result<NetworkSpec>(null, EquatableArray<DiagnosticInfo>.Empty);

        var classLocation = LocationInfo.From(declaration.Identifier.GetLocation());

        string? notAClass = type.IsStatic ? "static class" : type.IsRecord ? "record" : type.TypeKind != TypeKind.Class ? type.TypeKind.ToString().ToLowerInvariant() : null;
        if (notAClass is not null)
            return new Result<NetworkSpec>(null, new[] { DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, classLocation, type.Name, notAClass) }.ToEquatableArray());

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax decl && !decl.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                errors.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotPartial, LocationInfo.From(decl.Identifier.GetLocation()), type.Name));
                break;
            }
        }

        if (type.IsGenericType)
            errors.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericClass, classLocation, type.Name));

        var containing = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            bool partial = true;
            foreach (var reference in outer.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax decl && !decl.Modifiers.Any(SyntaxKind.PartialKeyword))
                    partial = false;
            }
            if (!partial || outer.IsGenericType)
            {
                errors.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedInNonPartial, classLocation, type.Name, outer.Name));
            }
            containing.Insert(0, new ContainingTypeSpec(Keyword(outer), outer.Name));
        }

        // [Network(channels, height, width, Classes = n)]
        var network = context.Attributes.FirstOrDefault();
        int channels = 0, height = 0, width = 0, classes = 0;
        LocationInfo? networkLocation = LocationInfo.From(network?.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
        LocationInfo? classesLocation = null;
        if (network is not null && network.ConstructorArguments.Length == 3)
        {
            channels = AsInt(network.ConstructorArguments[0]);
            height = AsInt(network.ConstructorArguments[1]);
            width = AsInt(network.ConstructorArguments[2]);
            foreach (var named in network.NamedArguments)
            {
                if (named.Key == "Classes")
                {
                    classes = AsInt(named.Value);
                    classesLocation = FindArgumentLocation(network, "Classes", -1, cancellationToken) ?? networkLocation;
                }
            }
        }

        var layers = new List<(AttributeData Data, SyntaxNode? Syntax)>();
        foreach (var attribute in type.GetAttributes())
        {
            if (IsLayerAttribute(attribute.AttributeClass))
                layers.Add((attribute, attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)));
        }

        // C# gives no order across partial declarations, so all layers must sit on one of them.
        var owners = layers.Select(l => l.Syntax?.Parent?.Parent).Where(n => n is not null).Distinct().ToList();
        if (owners.Count > 1)
            errors.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersSplit, classLocation, type.Name));

        var ordered = layers
            .OrderBy(l => l.Syntax?.SyntaxTree.FilePath ?? "", System.StringComparer.Ordinal)
            .ThenBy(l => l.Syntax?.SpanStart ?? 0)
            .ToList();

        var layerSpecs = new List<LayerSpec>();
        for (int i = 0; i < ordered.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var layer = ParseLayer(ordered[i].Data, ordered[i].Syntax, layerSpecs.Count, cancellationToken);
            if (layer is null)
                errors.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownLayer, LocationInfo.From(ordered[i].Syntax), ordered[i].Data.AttributeClass!.Name));
            else
                layerSpecs.Add(layer);
        }

        string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        string fullName = string.Join(".", new[] { ns }.Concat(containing.Select(c => c.Name)).Concat(new[] { type.Name }).Where(s => !string.IsNullOrEmpty(s)));
        string hint = HintName(fullName);

        var spec = new NetworkSpec(ns, type.Name, "", containing.ToEquatableArray(), hint, classLocation,
            channels, height, width, classes, networkLocation, classesLocation, layerSpecs.ToEquatableArray());

        return new Result<NetworkSpec>(errors.Count == 0 ? spec : null, errors.ToEquatableArray());
    }

    public static bool IsLayerAttribute(INamedTypeSymbol? attributeClass)
    {
        for (var t = attributeClass?.BaseType; t is not null; t = t.BaseType)
        {
            if (t.Name == LayerAttributeBaseName && t.ContainingNamespace?.ToDisplayString() == Namespace)
                return true;
        }
        return false;
    }

    /// <summary>
    /// A file name unique per class: Roslyn compares hint names case-insensitively and allows only some characters,
    /// so the readable name gets a hash of the exact (case-sensitive) name.
    /// </summary>
    private static string HintName(string fullName)
    {
        var safe = new System.Text.StringBuilder(fullName.Length);
        foreach (char ch in fullName)
            safe.Append(char.IsLetterOrDigit(ch) && ch < 128 || ch == '.' || ch == '_' ? ch : '_');
        uint hash = 2166136261;
        foreach (char ch in fullName) hash = unchecked((hash ^ ch) * 16777619);
        return safe + "." + hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + ".g.cs";
    }

    private static LayerSpec? ParseLayer(AttributeData attribute, SyntaxNode? syntax, int index, CancellationToken cancellationToken)
    {
        string className = attribute.AttributeClass!.Name;
        string kindName = className.EndsWith("Attribute") ? className.Substring(0, className.Length - "Attribute".Length) : className;
        // Users can derive from the public LayerAttribute; only our own sealed layer types have kernels.
        if (attribute.AttributeClass.ContainingNamespace?.ToDisplayString() != Namespace || !System.Enum.TryParse<LayerKind>(kindName, out var kind))
            return null;

        var arguments = new List<LayerArgument>();
        var ctor = attribute.AttributeConstructor;
        for (int i = 0; i < attribute.ConstructorArguments.Length && ctor is not null && i < ctor.Parameters.Length; i++)
        {
            string name = Pascal(ctor.Parameters[i].Name);
            var value = attribute.ConstructorArguments[i];
            if (TryConvert(value, out double number, out string? text))
                arguments.Add(Argument(attribute, name, ctor.Parameters[i].Name, i, number, text, cancellationToken));
        }
        foreach (var named in attribute.NamedArguments)
        {
            if (TryConvert(named.Value, out double number, out string? text))
                arguments.Add(Argument(attribute, named.Key, named.Key, -1, number, text, cancellationToken));
        }

        return new LayerSpec(kind, index, LocationInfo.From(syntax), arguments.ToEquatableArray());
    }

    private static bool TryConvert(TypedConstant constant, out double number, out string? text)
    {
        number = 0;
        text = null;
        if (constant.Kind == TypedConstantKind.Error || constant.Kind == TypedConstantKind.Array || constant.Kind == TypedConstantKind.Type)
            return false;
        switch (constant.Value)
        {
            case int i: number = i; return true;
            // Through the shortest text that round-trips the float, so messages show 0.1 and not 0.10000000149011612.
            case float f: number = double.Parse(f.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture); return true;
            case double d: number = d; return true;
            case bool b: number = b ? 1 : 0; return true;
            case string s: text = s; return true;
            case null: return constant.Kind == TypedConstantKind.Primitive; // Name = null
            default:
                try
                {
                    number = System.Convert.ToDouble(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
                    return true;
                }
                catch (System.Exception e) when (e is System.FormatException or System.InvalidCastException or System.OverflowException)
                {
                    return false;
                }
        }
    }

    private static LayerArgument Argument(AttributeData attribute, string name, string syntaxName, int position, double number, string? text, CancellationToken cancellationToken)
    {
        var syntax = FindArgument(attribute, syntaxName, position, cancellationToken);
        string? expression = syntax?.Expression is { } e && e is not LiteralExpressionSyntax ? e.ToString() : null;
        var location = syntax is not null ? LocationInfo.From(syntax) : LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
        return new LayerArgument(name, number, text, expression, location);
    }

    private static LocationInfo? FindArgumentLocation(AttributeData attribute, string name, int position, CancellationToken cancellationToken)
    {
        var syntax = FindArgument(attribute, name, position, cancellationToken);
        return syntax is not null ? LocationInfo.From(syntax) : LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
    }

    /// <summary>One argument in the attribute's syntax: positional by index, named by name.</summary>
    private static AttributeArgumentSyntax? FindArgument(AttributeData attribute, string name, int position, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax || syntax.ArgumentList is null)
            return null;
        int positional = 0;
        foreach (var argument in syntax.ArgumentList.Arguments)
        {
            if (argument.NameEquals is { } equals)
            {
                if (position < 0 && equals.Name.Identifier.ValueText == name) return argument;
            }
            else if (argument.NameColon is { } colon)
            {
                if (colon.Name.Identifier.ValueText == name) return argument;
            }
            else
            {
                if (positional == position) return argument;
                positional++;
            }
        }
        return null;
    }

    private static int AsInt(TypedConstant constant) => constant.Value is int i ? i : 0;

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

    private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
    {
        TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
        TypeKind.Interface => "interface",
        _ => type.IsRecord ? "record" : "class",
    };
}
