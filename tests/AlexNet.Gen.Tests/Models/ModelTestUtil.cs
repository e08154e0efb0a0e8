using System;
using System.Collections.Generic;
using System.Linq;
using AlexNet.Gen.Tests.Reference;

namespace AlexNet.Gen.Tests.Models;

/// <summary>Inputs, labels and norm-relative comparisons shared by the whole-network tests.</summary>
internal static class ModelTestUtil
{
    /// <summary>Uniform in [−1, 1), exactly representable in float (float and double networks see the same input).</summary>
    public static float[] Input(int length, ulong seed)
    {
        var random = new SeededRandom(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    public static int[] Labels(int batch, int classes, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, batch).Select(_ => random.NextInt(classes)).ToArray();
    }

    public static double[] ToDouble(ReadOnlySpan<float> values) => NetworkReference.ToDouble(values);

    /// <summary>max|actual − expected| ≤ relative·max(1, max|expected|).</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, double[] expected, double relative, string what)
        => PointwiseTestUtil.AssertClose(actual, expected, relative, what);

    /// <summary>|actual − expected| ≤ relative·max(1, |expected|).</summary>
    public static void AssertClose(double actual, double expected, double relative, string what)
        => Assert.True(Math.Abs(actual - expected) <= relative * Math.Max(1, Math.Abs(expected)),
            $"{what}: {actual:R} vs expected {expected:R}");

    /// <summary>Every parameter gradient of the model against the reference's, tensor by tensor.</summary>
    public static void AssertGradients(INetwork model, IReadOnlyDictionary<string, double[]> expected, double relative, string what)
    {
        foreach (var p in model.Parameters)
        {
            Assert.True(expected.ContainsKey(p.Name), $"{what}: the reference has no gradient for {p.Name}");
            AssertClose(p.Gradient, expected[p.Name], relative, $"{what}: {p.Name} gradient");
        }
        Assert.Equal(expected.Count, model.Parameters.Count);
    }

    /// <summary>
    /// The first input (of seeds <paramref name="seed"/>, +1, …) whose reference forward stays at least
    /// <paramref name="margin"/> away from every max-pool near-tie and ReLU/ELU kink, so float rounding cannot
    /// flip a decision and the gradients are comparable. The trace is the reference forward on that input.
    /// </summary>
    public static (float[] Input, ReferenceTrace Trace) InputAwayFromKinks(NetworkReference reference, IReadOnlyDictionary<string, double[]> parameters,
        int batch, ulong seed, double margin, Func<SeededRandom?> dropoutRandom)
    {
        for (ulong attempt = 0; attempt < 40; attempt++)
        {
            var input = Input(batch * reference.InputLength, seed + attempt);
            var trace = reference.Forward(ToDouble(input), batch, parameters, dropoutRandom());
            if (trace.Margin >= margin) return (input, trace);
        }
        throw new InvalidOperationException($"no input within 40 seeds keeps a decision margin of {margin}");
    }
}
