using System;
using System.Collections.Generic;
using AlexNet.Gen;
using AlexNet.Gen.Data;

namespace FashionMnistSample;

/// <summary>Loss, accuracy and the confusion matrix of a model on a data set (inference mode).</summary>
public sealed class EvaluationReport
{
    public EvaluationReport(int[,] confusion, double lossSum)
    {
        Confusion = confusion ?? throw new ArgumentNullException(nameof(confusion));
        if (confusion.GetLength(0) != confusion.GetLength(1)) throw new ArgumentException("A confusion matrix is square.", nameof(confusion));
        int k = confusion.GetLength(0);
        for (int a = 0; a < k; a++)
        {
            for (int p = 0; p < k; p++)
            {
                if (confusion[a, p] < 0) throw new ArgumentException($"Confusion count [{a}, {p}] is negative.", nameof(confusion));
                Count += confusion[a, p];
                if (a == p) Correct += confusion[a, p];
            }
        }
        Loss = Count == 0 ? double.NaN : lossSum / Count;
    }

    /// <summary>[actual, predicted] counts.</summary>
    public int[,] Confusion { get; }

    public int ClassCount => Confusion.GetLength(0);

    public int Count { get; }

    public int Correct { get; }

    public double Accuracy => Count == 0 ? double.NaN : (double)Correct / Count;

    /// <summary>Mean cross-entropy.</summary>
    public double Loss { get; }

    /// <summary>Images of class <paramref name="actual"/>.</summary>
    public int ClassTotal(int actual)
    {
        int n = 0;
        for (int p = 0; p < ClassCount; p++) n += Confusion[actual, p];
        return n;
    }

    /// <summary>Recall of class <paramref name="actual"/>: correct / images of that class (NaN with none).</summary>
    public double ClassAccuracy(int actual)
    {
        int total = ClassTotal(actual);
        return total == 0 ? double.NaN : (double)Confusion[actual, actual] / total;
    }
}

/// <summary>Inference helpers shared by training, --eval-only and predict.</summary>
public static class Evaluation
{
    /// <summary>
    /// Runs <see cref="INetwork.Forward"/> over the whole data set in order, in batches of <paramref name="batchSize"/>;
    /// with <paramref name="mirrored"/>, each image's class probabilities are the mean of those for the image and its
    /// mirror image (as <see cref="AlexNet.Gen.Training.TrainerOptions.MirroredEvaluation"/>).
    /// </summary>
    public static EvaluationReport Evaluate(INetwork network, ImageDataset data, int batchSize, bool mirrored)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        if (data.SampleLength != network.InputLength)
            throw new ArgumentException($"The data has {data.SampleLength} floats per image; the network takes {network.InputLength}.", nameof(data));
        int k = network.OutputLength;
        var confusion = new int[k, k];
        var output = new float[batchSize * k];
        var mirrorOutput = mirrored ? new float[batchSize * k] : Array.Empty<float>();
        var mirrorImages = mirrored ? new float[batchSize * data.SampleLength] : Array.Empty<float>();
        var probabilities = new double[k];
        var mirrorProbabilities = new double[k];
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            var input = data.Images.AsSpan(start * data.SampleLength, n * data.SampleLength);
            network.Forward(input, output.AsSpan(0, n * k), n);
            if (mirrored)
            {
                ImageAugmentation.MirrorRows(input, mirrorImages.AsSpan(0, n * data.SampleLength), network.InputWidth);
                network.Forward(mirrorImages.AsSpan(0, n * data.SampleLength), mirrorOutput.AsSpan(0, n * k), n);
            }
            for (int i = 0; i < n; i++)
            {
                int label = data.Labels[start + i];
                Probabilities(network, output.AsSpan(i * k, k), probabilities);
                if (mirrored)
                {
                    Probabilities(network, mirrorOutput.AsSpan(i * k, k), mirrorProbabilities);
                    for (int c = 0; c < k; c++) probabilities[c] = 0.5 * (probabilities[c] + mirrorProbabilities[c]);
                }
                lossSum += -Math.Log(Math.Max(probabilities[label], 1e-12));
                confusion[label, ArgMax(probabilities)]++;
            }
        }
        return new EvaluationReport(confusion, lossSum);
    }

    /// <summary>Class probabilities of one image (<paramref name="input"/>), averaged with its mirror image's when asked.</summary>
    public static void Predict(INetwork network, float[] input, float[] output, double[] probabilities, bool mirrored)
    {
        network.Forward(input, output, 1);
        Probabilities(network, output, probabilities);
        if (!mirrored) return;
        var mirror = new float[input.Length];
        ImageAugmentation.MirrorRows(input, mirror, network.InputWidth);
        var mirrorProbabilities = new double[probabilities.Length];
        network.Forward(mirror, output, 1);
        Probabilities(network, output, mirrorProbabilities);
        for (int c = 0; c < probabilities.Length; c++) probabilities[c] = 0.5 * (probabilities[c] + mirrorProbabilities[c]);
    }

    private static void Probabilities(INetwork network, ReadOnlySpan<float> row, Span<double> probabilities)
    {
        if (network.OutputsProbabilities)
            for (int c = 0; c < row.Length; c++) probabilities[c] = row[c];
        else
            Softmax(row, probabilities);
    }

    /// <summary>Numerically stable softmax in double precision.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<double> probabilities)
    {
        if (logits.Length == 0 || probabilities.Length != logits.Length)
            throw new ArgumentException($"Softmax needs matching non-empty spans ({logits.Length} logits, {probabilities.Length} outputs).", nameof(probabilities));
        double max = double.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            probabilities[i] = Math.Exp(logits[i] - max);
            sum += probabilities[i];
        }
        for (int i = 0; i < logits.Length; i++) probabilities[i] /= sum;
    }

    /// <summary>Index of the first largest value.</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }

    /// <summary>The <paramref name="k"/> most probable classes, most probable first (ties: lower class first).</summary>
    public static IReadOnlyList<(int Class, double Probability)> Top(ReadOnlySpan<double> probabilities, int k)
    {
        var all = new List<(int Class, double Probability)>(probabilities.Length);
        for (int i = 0; i < probabilities.Length; i++) all.Add((i, probabilities[i]));
        all.Sort((a, b) => b.Probability != a.Probability ? b.Probability.CompareTo(a.Probability) : a.Class.CompareTo(b.Class));
        return all.GetRange(0, Math.Min(k, all.Count));
    }
}
