using System;
using System.Collections.Generic;
using AlexNet.Gen;
using AlexNet.Gen.Data;
using AlexNet.Gen.Training;

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

/// <summary>Inference helpers shared by training, --eval-only and predict, on the runtime's <see cref="Evaluator"/>.</summary>
public static class Evaluation
{
    /// <summary>
    /// Runs <see cref="INetwork.Forward"/> over the whole data set in order, in batches of <paramref name="batchSize"/>;
    /// with <paramref name="mirrored"/>, each image's class probabilities are the mean of those for the image and its
    /// mirror image (as <see cref="TrainerOptions.MirroredEvaluation"/> during training).
    /// </summary>
    public static EvaluationReport Evaluate(INetwork network, ImageDataset data, int batchSize, bool mirrored)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = new Evaluator(network).Evaluate(new InMemoryData(data.Images, data.Labels, data.SampleLength), batchSize,
            mirrored, confusionMatrix: true);
        return new EvaluationReport(result.ConfusionMatrix!, result.Loss * result.Count);
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
