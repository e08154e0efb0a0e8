using System;
using System.IO;
using System.Runtime.InteropServices;
using AlexNet.Gen;

namespace AlexNet.Gen.Tests.Integration;

internal static class IntegrationUtil
{
    /// <summary>Fails unless the two arrays hold the same bits, naming the first differing parameter element.</summary>
    public static void AssertBitwiseEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ParameterCollection? names, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int index = FirstDifference(expected, actual);
        if (index < 0) return;
        string where = names is null ? $"element {index}" : Describe(names, index);
        Assert.Fail($"{what}: {where} differs: {expected[index]:R} (0x{BitConverter.SingleToInt32Bits(expected[index]):X8}) vs " +
            $"{actual[index]:R} (0x{BitConverter.SingleToInt32Bits(actual[index]):X8}).");
    }

    /// <summary>The first index whose bits differ, or −1.</summary>
    public static int FirstDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) return Math.Min(a.Length, b.Length);
        var x = MemoryMarshal.Cast<float, int>(a);
        var y = MemoryMarshal.Cast<float, int>(b);
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] != y[i]) return i;
        }
        return -1;
    }

    public static string Describe(ParameterCollection parameters, int flatIndex)
    {
        foreach (Parameter p in parameters)
        {
            if (flatIndex >= p.Offset && flatIndex < p.Offset + p.Length) return $"{p.Name}[{flatIndex - p.Offset}]";
        }
        return $"flat element {flatIndex}";
    }

    /// <summary>Mean softmax cross-entropy of logits in double precision, written independently of the runtime.</summary>
    public static double MeanCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        double sum = 0;
        for (int n = 0; n < labels.Length; n++)
        {
            var row = logits.Slice(n * classes, classes);
            double max = double.NegativeInfinity;
            foreach (float z in row) max = Math.Max(max, z);
            double s = 0;
            foreach (float z in row) s += Math.Exp(z - max);
            sum += Math.Log(s) + max - row[labels[n]];
        }
        return sum / labels.Length;
    }

    /// <summary>Fraction of rows whose first largest logit is at the label.</summary>
    public static double Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        int correct = 0;
        for (int n = 0; n < labels.Length; n++)
        {
            var row = logits.Slice(n * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > row[best]) best = c;
            }
            if (best == labels[n]) correct++;
        }
        return (double)correct / labels.Length;
    }

    /// <summary>Inference outputs for a whole data set, in batches of <paramref name="batch"/>.</summary>
    public static float[] ForwardAll(INetwork network, float[] images, int count, int batch)
    {
        int d = network.InputLength, k = network.OutputLength;
        var outputs = new float[count * k];
        for (int start = 0; start < count; start += batch)
        {
            int b = Math.Min(batch, count - start);
            network.Forward(images.AsSpan(start * d, b * d), outputs.AsSpan(start * k, b * k), b);
        }
        return outputs;
    }
}

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alexnet-gen-integration-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not turn a passing test into a failure.
        }
    }
}
