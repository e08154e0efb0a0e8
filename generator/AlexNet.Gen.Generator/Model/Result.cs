namespace AlexNet.Gen.Generator.Model;

/// <summary>A value (null when nothing can be generated) plus the diagnostics found on the way (as the MVVM Toolkit's Result&lt;T&gt;).</summary>
internal sealed record Result<T>(T? Value, EquatableArray<DiagnosticInfo> Errors) where T : class;
