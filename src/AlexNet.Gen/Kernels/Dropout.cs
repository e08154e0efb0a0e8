using System;
using System.Numerics.Tensors;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Inverted dropout (the identity at inference, so only training needs a kernel). All spans of one call have the
/// same length; output may be the input span itself (in place).
/// </summary>
public static class Dropout
{
    /// <summary>
    /// mask[i] = 0 with probability p, else 1/(1 − p); output = input·mask. Element i consumes the generator's
    /// i-th <see cref="SeededRandom.NextSingle"/> draw (dropped when the draw is below p), so one seed gives one mask.
    /// p = 0 gives an all-ones mask and draws nothing; p = 1 drops everything.
    /// </summary>
    public static void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, Span<float> mask, float p, SeededRandom random)
    {
        PointwiseParallel.CheckSameLength(input.Length, output.Length, nameof(output));
        PointwiseParallel.CheckSameLength(input.Length, mask.Length, nameof(mask));
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1].");
        ArgumentNullException.ThrowIfNull(random);

        if (p == 0f)
        {
            mask.Fill(1f);
            input.CopyTo(output);
            return;
        }
        // Serial: the generator is a single sequence and the draw order is part of the contract.
        float keep = p < 1f ? 1f / (1f - p) : 0f;
        for (int i = 0; i < mask.Length; i++)
            mask[i] = random.NextSingle() < p ? 0f : keep;
        TensorPrimitives.Multiply(input, mask, output);
    }

    /// <summary>dx = dy·mask (inputGradient may be the outputGradient span itself).</summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> mask, Span<float> inputGradient)
    {
        PointwiseParallel.CheckSameLength(outputGradient.Length, mask.Length, nameof(mask));
        PointwiseParallel.CheckSameLength(outputGradient.Length, inputGradient.Length, nameof(inputGradient));
        TensorPrimitives.Multiply(outputGradient, mask, inputGradient);
    }
}
