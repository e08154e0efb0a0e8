using System;

namespace AlexNet.Gen;

/// <summary>Fills parameter tensors as the layer attributes declare; generated constructors call this.</summary>
public static class Initializers
{
    /// <summary>
    /// Fills <paramref name="destination"/> with <paramref name="kind"/>. fan_in = in/groups·kh·kw (dense: in),
    /// fan_out = out/groups·kh·kw (dense: out), as PyTorch computes them.
    /// </summary>
    /// <param name="std">Standard deviation for Normal/TruncatedNormal; the value for a weight Constant.</param>
    /// <param name="value">The value for a bias Constant.</param>
    /// <param name="isBias">Biases use PyTorch's bias default (U(±1/sqrt(fan_in))) and BiasValue for Constant.</param>
    public static void Fill(Span<float> destination, Init kind, int fanIn, int fanOut, float std, float value, bool isBias, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (fanIn <= 0 || fanOut <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), $"fan_in {fanIn} and fan_out {fanOut} must be positive.");
        switch (kind)
        {
            case Init.PyTorchDefault:
                // kaiming_uniform_(a = √5) gives bound gain·√(3/fan_in) = √(1/3)·√(3/fan_in) = 1/√fan_in; the bias uses the same bound.
                Uniform(destination, 1.0 / Math.Sqrt(fanIn), random);
                break;
            case Init.Normal:
                Normal(destination, std, truncated: false, random);
                break;
            case Init.TruncatedNormal:
                Normal(destination, std, truncated: true, random);
                break;
            case Init.GlorotUniform:
                Uniform(destination, Math.Sqrt(6.0 / (fanIn + fanOut)), random);
                break;
            case Init.GlorotNormal:
                Normal(destination, Math.Sqrt(2.0 / (fanIn + fanOut)), truncated: false, random);
                break;
            case Init.GlorotTruncatedNormal:
                Normal(destination, 2.0 / Math.Sqrt(fanIn + fanOut), truncated: true, random);
                break;
            case Init.HeUniform:
                Uniform(destination, Math.Sqrt(6.0 / fanIn), random);
                break;
            case Init.HeNormal:
                Normal(destination, Math.Sqrt(2.0 / fanIn), truncated: false, random);
                break;
            case Init.Zeros:
                destination.Clear();
                break;
            case Init.Constant:
                destination.Fill(isBias ? value : std);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown initializer.");
        }
    }

    private static void Uniform(Span<float> destination, double bound, SeededRandom random)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = (float)((random.NextDouble() * 2 - 1) * bound);
    }

    private static void Normal(Span<float> destination, double std, bool truncated, SeededRandom random)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            double z = random.NextGaussian();
            // TensorFlow's truncated_normal redraws samples beyond two standard deviations.
            while (truncated && Math.Abs(z) > 2) z = random.NextGaussian();
            destination[i] = (float)(z * std);
        }
    }
}
