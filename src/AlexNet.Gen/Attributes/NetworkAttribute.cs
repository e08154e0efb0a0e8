using System;

namespace AlexNet.Gen;

/// <summary>
/// Declares a network: the input is <c>channels × height × width</c> (NCHW). The layer attributes that follow
/// on the same <c>partial class</c>, in source order, are the layers in order. The generator checks every shape
/// at compile time and emits the forward (and backward) code into the class.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    public NetworkAttribute(int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Optional assertion: the width of the network's output. A mismatch is a compile-time error.</summary>
    public int Classes { get; set; }
}

/// <summary>Special values for the <c>Padding</c> of convolutions and pools.</summary>
public static class Padding
{
    /// <summary>
    /// TensorFlow's SAME: output = ceil(input / stride); the total padding
    /// max((output − 1)·stride + kernel − input, 0) is split with the smaller half before (top/left).
    /// </summary>
    public const int Same = -1;

    /// <summary>TensorFlow's VALID: no padding (the same as <c>Padding = 0</c>).</summary>
    public const int Valid = 0;
}

/// <summary>How a weight or bias tensor is initialized. Every initializer draws from the model's seeded generator.</summary>
public enum Init
{
    /// <summary>PyTorch's default for Conv2d/Linear: weight and bias uniform in ±1/sqrt(fan_in) (kaiming_uniform with a = √5).</summary>
    PyTorchDefault = 0,
    /// <summary>N(0, std²) with <c>WeightStd</c> (the paper: 0.01).</summary>
    Normal,
    /// <summary>Normal with std <c>WeightStd</c>, redrawn beyond two standard deviations (TensorFlow's truncated_normal; the seed: 5e-2).</summary>
    TruncatedNormal,
    /// <summary>Glorot/Xavier uniform: U(±sqrt(6 / (fan_in + fan_out))).</summary>
    GlorotUniform,
    /// <summary>Glorot/Xavier normal: N(0, 2 / (fan_in + fan_out)).</summary>
    GlorotNormal,
    /// <summary>The seed notebook's variant: truncated normal with std 2 / sqrt(fan_in + fan_out).</summary>
    GlorotTruncatedNormal,
    /// <summary>He/Kaiming uniform for ReLU: U(±sqrt(6 / fan_in)).</summary>
    HeUniform,
    /// <summary>He/Kaiming normal for ReLU: N(0, 2 / fan_in).</summary>
    HeNormal,
    /// <summary>All zeros.</summary>
    Zeros,
    /// <summary>A constant: <c>BiasValue</c> for biases, <c>WeightStd</c> for weights.</summary>
    Constant,
}

/// <summary>Options shared by every layer attribute.</summary>
public abstract class LayerAttribute : Attribute
{
    /// <summary>The layer's name in diagnostics, member names and parameter names. Defaults to conv1, fc1, pool1, …</summary>
    public string? Name { get; set; }
}
