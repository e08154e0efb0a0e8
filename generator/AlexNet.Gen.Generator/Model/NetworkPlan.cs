namespace AlexNet.Gen.Generator.Model;

/// <summary>A tensor shape per sample: C×H×W when spatial, otherwise <see cref="Channels"/> features.</summary>
internal sealed record TensorShape(int Channels, int Height, int Width, bool IsSpatial)
{
    public static TensorShape Features(int n) => new(n, 1, 1, false);

    public long Length => (long)Channels * Height * Width;

    public override string ToString() => IsSpatial ? $"{Channels}×{Height}×{Width}" : Channels.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One layer after shape inference: every dimension resolved to a constant.</summary>
internal sealed record LayerPlan
{
    public LayerKind Kind { get; init; }
    public int Index { get; init; }
    /// <summary>The layer's name (conv1, fc2, or the declared Name).</summary>
    public string Name { get; init; } = "";
    /// <summary>The name as a C# member prefix (Conv1).</summary>
    public string MemberName { get; init; } = "";
    public TensorShape Input { get; init; } = TensorShape.Features(1);
    public TensorShape Output { get; init; } = TensorShape.Features(1);

    // Windows (Conv2d, pools).
    public int KernelHeight { get; init; }
    public int KernelWidth { get; init; }
    public int StrideHeight { get; init; }
    public int StrideWidth { get; init; }
    public int PadTop { get; init; }
    public int PadLeft { get; init; }
    public int PadBottom { get; init; }
    public int PadRight { get; init; }
    public bool SamePadding { get; init; }
    public int Groups { get; init; } = 1;
    public bool CountIncludePad { get; init; }

    // Parameters (Conv2d, Dense).
    public bool HasBias { get; init; }
    public EquatableArray<int> WeightShape { get; init; } = EquatableArray<int>.Empty;
    public int WeightLength { get; init; }
    public int BiasLength { get; init; }
    public int FanIn { get; init; }
    public int FanOut { get; init; }
    public int WeightInit { get; init; }
    public float WeightStd { get; init; }
    public int BiasInit { get; init; }
    public float BiasValue { get; init; }

    // LRN (both conventions reduce to one formula), ELU, Dropout.
    public int WindowBefore { get; init; }
    public int WindowAfter { get; init; }
    public float Coefficient { get; init; }
    public float Beta { get; init; }
    public float K { get; init; }
    public float Alpha { get; init; }
    public float Probability { get; init; }

    // Fusion (LayerFusion): a Conv2d or Dense layer that writes max(0, ·), and the ReLU fused into it.
    public bool FusedRelu { get; init; }
    /// <summary>For a ReLU fused into the layer before it: that layer's name; it has no forward pass or buffer of its own.</summary>
    public string? FusedInto { get; init; }

    /// <summary>Multiply-adds per sample.</summary>
    public long MultiplyAdds { get; init; }

    public long ParameterCount => (long)WeightLength + BiasLength;

    /// <summary>A short description of the options, for comments and the summary (e.g. "11×11 / 4, pad 0").</summary>
    public string Options { get; init; } = "";
}

/// <summary>A network ready to emit: the spec's identity plus the resolved layers.</summary>
internal sealed record NetworkPlan(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string HintName,
    TensorShape Input,
    EquatableArray<LayerPlan> Layers)
{
    public TensorShape Output => Layers.Count == 0 ? Input : Layers[Layers.Count - 1].Output;

    public bool EndsWithSoftmax => Layers.Count > 0 && Layers[Layers.Count - 1].Kind == LayerKind.Softmax;

    public long ParameterCount
    {
        get
        {
            long total = 0;
            foreach (var l in Layers) total += l.ParameterCount;
            return total;
        }
    }
}
