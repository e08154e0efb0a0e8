using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Model;

/// <summary>
/// An equatable diagnostic: the descriptor, where, and the message arguments as strings. Turned into a
/// <see cref="Diagnostic"/> only when reported, so the diagnostics stream caches like the model does.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments)
        => new(descriptor, location, arguments.Select(a => Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToEquatableArray());

    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location?.ToLocation(), Arguments.ToArray<object>());
}
