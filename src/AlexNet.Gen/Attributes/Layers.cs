using System;

namespace AlexNet.Gen;

/// <summary>
/// 2-D convolution, weight [out, in/groups, kh, kw] as PyTorch's <c>nn.Conv2d</c>.
/// Non-square kernels, strides and paddings: set <c>KernelHeight</c>/<c>KernelWidth</c> etc.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2dAttribute : LayerAttribute
{
    public Conv2dAttribute(int outChannels, int kernelSize)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    public int OutChannels { get; }
    public int KernelSize { get; }
    /// <summary>Overrides <c>KernelSize</c> for the height.</summary>
    public int KernelHeight { get; set; }
    /// <summary>Overrides <c>KernelSize</c> for the width.</summary>
    public int KernelWidth { get; set; }
    public int Stride { get; set; } = 1;
    public int StrideHeight { get; set; }
    public int StrideWidth { get; set; }
    /// <summary>Zero padding on each side, or <see cref="AlexNet.Gen.Padding.Same"/> / <see cref="AlexNet.Gen.Padding.Valid"/>.</summary>
    public int Padding { get; set; }
    public int PaddingHeight { get; set; }
    public int PaddingWidth { get; set; }
    public int Groups { get; set; } = 1;
    public bool Bias { get; set; } = true;
    /// <summary>Optional assertion: the input depth the author expects (per group or in total). Checked at compile time.</summary>
    public int InChannels { get; set; }
    public Init WeightInit { get; set; }
    /// <summary>Standard deviation for <see cref="Init.Normal"/>/<see cref="Init.TruncatedNormal"/>; the value for <see cref="Init.Constant"/>.</summary>
    public float WeightStd { get; set; }
    public Init BiasInit { get; set; }
    /// <summary>A constant bias (the paper: 1 on conv2/4/5 and the dense layers). Setting it implies <see cref="Init.Constant"/>.</summary>
    public float BiasValue { get; set; }
}

/// <summary>Fully connected layer, weight [out, in] as PyTorch's <c>nn.Linear</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : LayerAttribute
{
    public DenseAttribute(int outFeatures) => OutFeatures = outFeatures;

    public int OutFeatures { get; }
    /// <summary>Optional assertion: the input width the author expects. Checked at compile time.</summary>
    public int InFeatures { get; set; }
    public bool Bias { get; set; } = true;
    public Init WeightInit { get; set; }
    public float WeightStd { get; set; }
    public Init BiasInit { get; set; }
    public float BiasValue { get; set; }
}

/// <summary>max(x, 0).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReLUAttribute : LayerAttribute { }

/// <summary>x for x &gt; 0, Alpha·(exp(x) − 1) otherwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ELUAttribute : LayerAttribute
{
    public float Alpha { get; set; } = 1f;
}

/// <summary>
/// PyTorch's <c>nn.LocalResponseNorm(size, alpha, beta, k)</c>:
/// b_c = a_c / (K + Alpha/Size · Σ a_j²)^Beta, j over channels c − ⌊Size/2⌋ … c + ⌊(Size−1)/2⌋ (zero outside).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LocalResponseNormAttribute : LayerAttribute
{
    public LocalResponseNormAttribute(int size) => Size = size;

    public int Size { get; }
    public float Alpha { get; set; } = 1e-4f;
    public float Beta { get; set; } = 0.75f;
    public float K { get; set; } = 1f;
}

/// <summary>
/// TensorFlow's <c>tf.nn.lrn(depth_radius, bias, alpha, beta)</c>:
/// b_c = a_c / (Bias + Alpha · Σ a_j²)^Beta, j over c − r … c + r (alpha is NOT divided by the window).
/// The seed notebook uses <c>TfLocalResponseNorm(4, Bias = 1f, Alpha = 0.001f / 9, Beta = 0.75f)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TfLocalResponseNormAttribute : LayerAttribute
{
    public TfLocalResponseNormAttribute(int depthRadius) => DepthRadius = depthRadius;

    public int DepthRadius { get; }
    public float Bias { get; set; } = 1f;
    public float Alpha { get; set; } = 1f;
    public float Beta { get; set; } = 0.5f;
}

/// <summary>Max pooling; padding counts as −∞. Stride defaults to the kernel size, as in PyTorch.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2dAttribute : LayerAttribute
{
    public MaxPool2dAttribute(int kernelSize) => KernelSize = kernelSize;

    public int KernelSize { get; }
    public int KernelHeight { get; set; }
    public int KernelWidth { get; set; }
    public int Stride { get; set; }
    public int StrideHeight { get; set; }
    public int StrideWidth { get; set; }
    public int Padding { get; set; }
    public int PaddingHeight { get; set; }
    public int PaddingWidth { get; set; }
}

/// <summary>
/// Average pooling. By default the divisor counts zero padding, as PyTorch's default
/// (<c>count_include_pad=True</c>); set <c>CountIncludePad = false</c> for TensorFlow's SAME behaviour.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2dAttribute : LayerAttribute
{
    public AvgPool2dAttribute(int kernelSize) => KernelSize = kernelSize;

    public int KernelSize { get; }
    public int KernelHeight { get; set; }
    public int KernelWidth { get; set; }
    public int Stride { get; set; }
    public int StrideHeight { get; set; }
    public int StrideWidth { get; set; }
    public int Padding { get; set; }
    public int PaddingHeight { get; set; }
    public int PaddingWidth { get; set; }
    public bool CountIncludePad { get; set; } = true;
}

/// <summary>Inverted dropout with probability P at training (scale 1/(1−P)); the identity at inference.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    public DropoutAttribute(float p) => P = p;

    public float P { get; }
}

/// <summary>C×H×W → C·H·W features, in NCHW order (as <c>torch.flatten(x, 1)</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute { }

/// <summary>Softmax over the features; must be the last layer. Training fuses it with cross-entropy.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxAttribute : LayerAttribute { }
