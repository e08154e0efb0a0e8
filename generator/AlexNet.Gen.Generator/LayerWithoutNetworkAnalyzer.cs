using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AlexNet.Gen.Generator;

/// <summary>
/// Reports layer attributes on a class without [Network]. The generator only sees [Network] classes, so this
/// check is an analyzer over every named type.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayerWithoutNetworkAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.LayerWithoutNetwork);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(static ctx =>
        {
            var type = (INamedTypeSymbol)ctx.Symbol;
            var attributes = type.GetAttributes();
            var firstLayer = attributes.FirstOrDefault(a => NetworkParser.IsLayerAttribute(a.AttributeClass));
            if (firstLayer is null) return;
            if (attributes.Any(a => a.AttributeClass?.ToDisplayString() == NetworkParser.NetworkAttributeName)) return;
            var location = firstLayer.ApplicationSyntaxReference?.GetSyntax(ctx.CancellationToken).GetLocation() ?? type.Locations.FirstOrDefault();
            ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LayerWithoutNetwork, location, type.Name));
        }, SymbolKind.NamedType);
    }
}
