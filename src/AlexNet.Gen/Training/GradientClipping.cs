using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Training;

/// <summary>Gradient clipping as <c>torch.nn.utils.clip_grad_norm_</c> (L2 norm over all gradients together).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient by maxNorm / (norm + 1e-6) when that is below 1 and returns the norm before
    /// clipping. A NaN or infinite norm scales by NaN or 0 as PyTorch does (error_if_nonfinite = False).
    /// </summary>
    public static double ClipByGlobalNorm(ParameterCollection parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return ClipByGlobalNorm(parameters.Gradients, maxNorm);
    }

    /// <inheritdoc cref="ClipByGlobalNorm(ParameterCollection, float)"/>
    public static double ClipByGlobalNorm(Span<float> gradients, float maxNorm)
    {
        if (!float.IsFinite(maxNorm) || maxNorm <= 0)
            throw new ArgumentException($"Invalid maxNorm {maxNorm}: it must be positive and finite.", nameof(maxNorm));
        double norm = GlobalNorm(gradients);
        double coefficient = maxNorm / (norm + 1e-6);
        if (!(coefficient >= 1))
            TensorPrimitives.Multiply(gradients, (float)coefficient, gradients);
        return norm;
    }

    /// <summary>
    /// The L2 norm of <paramref name="gradients"/> in double. The order is fixed independently of the hardware:
    /// element i is added to partial sum i mod 4, the partials are combined as (s0 + s1) + (s2 + s3).
    /// Squares of floats are exact in double, so every path returns the same bits.
    /// </summary>
    public static double GlobalNorm(ReadOnlySpan<float> gradients)
        => Math.Sqrt(SumOfSquares(gradients, Vector256.IsHardwareAccelerated ? SimdPath.Vector256 : SimdPath.Scalar));

    internal static double SumOfSquares(ReadOnlySpan<float> x, SimdPath path)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int n = x.Length;
        int i = 0;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (path != SimdPath.Scalar)
        {
            // Lanes of a Vector256<double> are exactly the four partial sums (element 8k + j and 8k + 4 + j → lane j).
            var acc = Vector256<double>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                acc += lower * lower;
                acc += upper * upper;
            }
            s0 = acc.GetElement(0);
            s1 = acc.GetElement(1);
            s2 = acc.GetElement(2);
            s3 = acc.GetElement(3);
        }
        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref r, i);
            switch (i & 3)
            {
                case 0: s0 += v * v; break;
                case 1: s1 += v * v; break;
                case 2: s2 += v * v; break;
                default: s3 += v * v; break;
            }
        }
        return (s0 + s1) + (s2 + s3);
    }
}
