using System;

namespace AlexNet.Gen.Benchmarks;

/// <summary>Deterministic inputs for the benchmarks (the values only matter in being ordinary, finite numbers).</summary>
public static class BenchData
{
    /// <summary>Uniform [0, 1) floats from a seeded generator.</summary>
    public static float[] Uniform(int seed, int length)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle();
        return values;
    }

    /// <summary>Class labels in [0, classes).</summary>
    public static int[] Labels(int seed, int count, int classes)
    {
        var random = new Random(seed);
        var labels = new int[count];
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(classes);
        return labels;
    }
}
