namespace AlexNet.Gen.Kernels;

// Kernels are generic over a struct that implements one of these interfaces with static members that
// return constants. The JIT compiles one specialization per struct and folds every dimension, so the
// generated code gets shape-specialized kernels without passing loose ints.

/// <summary>Constants of a 2-D convolution (NCHW input, weight [OutChannels, InChannels/Groups, KernelHeight, KernelWidth]).</summary>
public interface IConv2dConfig
{
    static abstract int InChannels { get; }
    static abstract int InHeight { get; }
    static abstract int InWidth { get; }
    static abstract int OutChannels { get; }
    static abstract int OutHeight { get; }
    static abstract int OutWidth { get; }
    static abstract int KernelHeight { get; }
    static abstract int KernelWidth { get; }
    static abstract int StrideHeight { get; }
    static abstract int StrideWidth { get; }
    /// <summary>Zero rows added above the input (bottom padding is implied by OutHeight).</summary>
    static abstract int PadTop { get; }
    /// <summary>Zero columns added left of the input (right padding is implied by OutWidth).</summary>
    static abstract int PadLeft { get; }
    static abstract int Groups { get; }
    static abstract bool HasBias { get; }
    /// <summary>True: the layer writes max(0, conv + bias), a following ReLU fused into its output (no pass of its own).</summary>
    static virtual bool FusedRelu => false;
}

/// <summary>Constants of a 2-D pooling window over NCHW data.</summary>
public interface IPool2dConfig
{
    static abstract int Channels { get; }
    static abstract int InHeight { get; }
    static abstract int InWidth { get; }
    static abstract int OutHeight { get; }
    static abstract int OutWidth { get; }
    static abstract int KernelHeight { get; }
    static abstract int KernelWidth { get; }
    static abstract int StrideHeight { get; }
    static abstract int StrideWidth { get; }
    static abstract int PadTop { get; }
    static abstract int PadLeft { get; }
    static abstract int PadBottom { get; }
    static abstract int PadRight { get; }
}

/// <summary>Average pooling adds whether the divisor counts padding (PyTorch's count_include_pad).</summary>
public interface IAvgPool2dConfig : IPool2dConfig
{
    /// <summary>
    /// True: divisor = window clipped to the padded input (PyTorch's default).
    /// False: divisor = number of real input elements in the window (TensorFlow's SAME).
    /// </summary>
    static abstract bool CountIncludePad { get; }
}

/// <summary>
/// Local response normalization across channels, one formula for both conventions:
/// b_c = a_c / (K + Coefficient · Σ_{j = c − WindowBefore}^{c + WindowAfter} a_j²)^Beta, channels outside [0, C) are zero.
/// PyTorch: WindowBefore = size/2, WindowAfter = (size−1)/2, Coefficient = alpha/size.
/// TensorFlow: WindowBefore = WindowAfter = depth_radius, Coefficient = alpha, K = bias.
/// </summary>
public interface ILrnConfig
{
    static abstract int Channels { get; }
    static abstract int Height { get; }
    static abstract int Width { get; }
    static abstract int WindowBefore { get; }
    static abstract int WindowAfter { get; }
    static abstract float Coefficient { get; }
    static abstract float Beta { get; }
    static abstract float K { get; }
}

/// <summary>Constants of a fully connected layer (weight [OutFeatures, InFeatures]).</summary>
public interface IDenseConfig
{
    static abstract int InFeatures { get; }
    static abstract int OutFeatures { get; }
    static abstract bool HasBias { get; }
    /// <summary>True: the layer writes max(0, W·x + bias), a following ReLU fused into its output (no pass of its own).</summary>
    static virtual bool FusedRelu => false;
}
