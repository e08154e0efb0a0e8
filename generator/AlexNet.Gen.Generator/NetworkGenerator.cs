using System.Linq;
using AlexNet.Gen.Generator.Emit;
using AlexNet.Gen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator;

/// <summary>
/// The pipeline: [Network] classes → pure <see cref="NetworkSpec"/> (parser) → <see cref="NetworkPlan"/> (shape
/// inference) → one source file per network (emitter). Diagnostics and sources are separate streams, so a change
/// that alters only one re-runs only that output; unrelated edits leave both cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var specs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkParser.NetworkAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: static (ctx, ct) => NetworkParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        var plans = specs
            .Select(static (result, _) => result.Value is null
                ? new Result<NetworkPlan>(null, result.Errors)
                : Merge(result.Errors, ShapeInference.Infer(result.Value)))
            .WithTrackingName(TrackingNames.Infer);

        var diagnostics = plans.Select(static (r, _) => r.Errors).WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, errors) =>
        {
            foreach (var error in errors) spc.ReportDiagnostic(error.ToDiagnostic());
        });

        var outputs = plans
            .Where(static r => r.Value is not null)
            .Select(static (r, _) => r.Value!)
            .WithTrackingName(TrackingNames.Plan);
        context.RegisterSourceOutput(outputs, static (spc, plan) => spc.AddSource(plan.HintName, NetworkEmitter.Emit(plan)));
    }

    private static Result<NetworkPlan> Merge(EquatableArray<DiagnosticInfo> parse, Result<NetworkPlan> inferred)
        => parse.Count == 0 ? inferred : new Result<NetworkPlan>(inferred.Value, parse.Concat(inferred.Errors).ToEquatableArray());
}

/// <summary>Names of the pipeline steps, for incrementality tests.</summary>
public static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Infer = nameof(Infer);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Plan = nameof(Plan);
}
