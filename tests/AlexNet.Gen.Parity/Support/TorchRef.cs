using System;
using TorchSharp;
using static TorchSharp.torch;

namespace AlexNet.Gen.Parity.Support;

/// <summary>
/// Moving data between our float spans and libtorch tensors. References run in float64 so a comparison measures
/// our float32 error rather than libtorch's own rounding.
/// </summary>
internal static class TorchRef
{
    static TorchRef()
    {
        // The machine is shared; libtorch's own pool would otherwise take every core for tiny tensors.
        torch.set_num_threads(1);
    }

    /// <summary>A float64 tensor with these values and shape (a leaf; pass requiresGrad to get its gradient).</summary>
    public static Tensor Double(ReadOnlySpan<float> data, long[] shape, bool requiresGrad = false)
    {
        long count = 1;
        foreach (long d in shape) count *= d;
        if (count != data.Length)
            throw new ArgumentException($"{data.Length} values do not fill shape [{string.Join(", ", shape)}].", nameof(data));
        var values = new double[data.Length];
        for (int i = 0; i < values.Length; i++) values[i] = data[i];
        return torch.tensor(values, shape, dtype: ScalarType.Float64, requires_grad: requiresGrad);
    }

    /// <summary>An int64 tensor of class indices (cross_entropy targets).</summary>
    public static Tensor Labels(ReadOnlySpan<int> labels)
    {
        var values = new long[labels.Length];
        for (int i = 0; i < values.Length; i++) values[i] = labels[i];
        return torch.tensor(values, new long[] { values.Length }, dtype: ScalarType.Int64);
    }

    /// <summary>The tensor's values in row-major order, as float64.</summary>
    public static double[] Values(Tensor tensor)
    {
        using var cpu = tensor.detach().to_type(ScalarType.Float64).contiguous();
        return cpu.data<double>().ToArray();
    }

    /// <summary>The gradient autograd accumulated in a leaf tensor.</summary>
    public static double[] Gradient(Tensor leaf)
    {
        var grad = leaf.grad ?? throw new InvalidOperationException("The tensor has no gradient; was backward run and requires_grad set?");
        return Values(grad);
    }

    /// <summary>
    /// Runs backward of Σ output·outputGradient, i.e. back-propagates the given output gradient, as a model's
    /// backward pass would.
    /// </summary>
    public static void Backward(Tensor output, ReadOnlySpan<float> outputGradient)
    {
        using var upstream = Double(outputGradient, output.shape);
        using var weighted = (output * upstream).sum();
        weighted.backward();
    }
}
