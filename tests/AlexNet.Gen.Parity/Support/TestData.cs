using System;

namespace AlexNet.Gen.Parity.Support;

/// <summary>Reproducible random test data from the project's own generator (fixed sequence per seed).</summary>
internal static class TestData
{
    /// <summary><paramref name="count"/> values uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static float[] Uniform(ulong seed, int count, float low = -1f, float high = 1f)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
            values[i] = low + (high - low) * random.NextSingle();
        return values;
    }

    /// <summary><paramref name="count"/> class indices uniform in [0, <paramref name="classes"/>).</summary>
    public static int[] Labels(ulong seed, int count, int classes)
    {
        var random = new SeededRandom(seed);
        var labels = new int[count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = (int)(random.NextUInt64() % (ulong)classes);
        return labels;
    }

    /// <summary>An output buffer full of NaN: any element a kernel fails to write shows up as a mismatch.</summary>
    public static float[] NaNs(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }
}
