namespace AlexNet.Gen.Generator.Model;

/// <summary>The kind of a layer attribute.</summary>
internal enum LayerKind
{
    Conv2d,
    Dense,
    ReLU,
    ELU,
    LocalResponseNorm,
    TfLocalResponseNorm,
    MaxPool2d,
    AvgPool2d,
    Dropout,
    Flatten,
    Softmax,
}

/// <summary>One argument as written on an attribute: constructor arguments by parameter name, named ones by property.</summary>
/// <param name="Value">Numbers, bools (0/1) and enums as a double (exact for every int).</param>
/// <param name="Text">String arguments (Name).</param>
/// <param name="Expression">The source text when it is not a plain literal (e.g. "8 * 8 * 64"), for messages.</param>
internal sealed record LayerArgument(string Name, double Value, string? Text, string? Expression, LocationInfo? Location);

/// <summary>One layer attribute, in source order. Pure data: no symbols, no syntax.</summary>
internal sealed record LayerSpec(LayerKind Kind, int Index, LocationInfo? Location, EquatableArray<LayerArgument> Arguments)
{
    public LayerArgument? Find(string name)
    {
        foreach (var a in Arguments)
        {
            if (a.Name == name) return a;
        }
        return null;
    }
}

/// <summary>A type that contains the network class (for nested declarations).</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>Everything the generator knows about one [Network] class: value-equatable, cached by the pipeline.</summary>
internal sealed record NetworkSpec(
    string? Namespace,
    string ClassName,
    string Accessibility,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string HintName,
    LocationInfo? Location,
    int InputChannels,
    int InputHeight,
    int InputWidth,
    int Classes,
    LocationInfo? NetworkLocation,
    LocationInfo? ClassesLocation,
    EquatableArray<LayerSpec> Layers);
