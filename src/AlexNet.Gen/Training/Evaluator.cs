using System;
using AlexNet.Gen.Data;

namespace AlexNet.Gen.Training;

/// <summary>
/// Inference of a network over a data set: mean cross-entropy, top-1 accuracy and, on request, the confusion matrix,
/// optionally with the AlexNet paper's test-time reflections (each image's class probabilities averaged with its
/// mirror image's). <see cref="Trainer.Evaluate"/> uses one; a program without a trainer can use its own. Buffers are
/// kept between calls. Not thread-safe.
/// </summary>
public sealed class Evaluator
{
    /// <summary>Probabilities are clamped to this before the log, so a confident mistake costs at most −log 1e-12.</summary>
    public const double MinProbability = 1e-12;

    private readonly INetwork _network;
    private float[] _images = Array.Empty<float>(), _outputs = Array.Empty<float>();
    private float[] _mirrorImages = Array.Empty<float>(), _mirrorOutputs = Array.Empty<float>();
    private int[] _labels = Array.Empty<int>(), _indices = Array.Empty<int>();
    private double[] _probabilities = Array.Empty<double>(), _mirrorProbabilities = Array.Empty<double>();

    public Evaluator(INetwork network) => _network = network ?? throw new ArgumentNullException(nameof(network));

    /// <summary>
    /// Runs <see cref="INetwork.Forward"/> over <paramref name="data"/> in order, <paramref name="batchSize"/> samples at
    /// a time. The loss is −log p[label] (p clamped to <see cref="MinProbability"/>) for softmax outputs and for
    /// mirrored evaluation (p the mean of the two probability vectors), a double-precision log-sum-exp for logits.
    /// </summary>
    public EvaluationResult Evaluate(ITrainingData data, int batchSize, bool mirrored = false, bool confusionMatrix = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data, nameof(data));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        int d = _network.InputLength, k = _network.OutputLength, count = data.Count;
        Grow(ref _images, batchSize * d);
        Grow(ref _labels, batchSize);
        Grow(ref _indices, batchSize);
        Grow(ref _outputs, batchSize * k);
        if (mirrored) Grow(ref _probabilities, batchSize * k);

        var matrix = confusionMatrix ? new int[k, k] : null;
        double lossSum = 0;
        int correct = 0;
        bool probabilities = _network.OutputsProbabilities;
        for (int start = 0; start < count; start += batchSize)
        {
            int batch = Math.Min(batchSize, count - start);
            var indices = _indices.AsSpan(0, batch);
            for (int i = 0; i < batch; i++) indices[i] = start + i;
            var images = _images.AsSpan(0, batch * d);
            var labels = _labels.AsSpan(0, batch);
            data.CopyBatch(indices, images, labels);
            CheckLabels(labels, k);
            var output = _outputs.AsSpan(0, batch * k);
            Span<double> mean = default;
            if (mirrored)
            {
                mean = _probabilities.AsSpan(0, batch * k);
                Predict(images, batch, mean, mirrored: true);
            }
            else
            {
                _network.Forward(images, output, batch);
            }
            for (int n = 0; n < batch; n++)
            {
                int label = labels[n];
                int predicted;
                if (mirrored)
                {
                    var p = mean.Slice(n * k, k);
                    predicted = ArgMax(p);
                    lossSum += -Math.Log(Math.Max(p[label], MinProbability));
                }
                else
                {
                    var row = output.Slice(n * k, k);
                    predicted = ArgMax(row);
                    lossSum += probabilities ? -Math.Log(Math.Max(row[label], MinProbability)) : LogitLoss(row, label);
                }
                if (predicted == label) correct++;
                if (matrix is not null) matrix[label, predicted]++;
            }
        }
        return new EvaluationResult(lossSum / count, (double)correct / count, count, correct, matrix);
    }

    /// <summary>
    /// Class probabilities of <paramref name="count"/> images (NCHW, count·InputLength floats) into
    /// <paramref name="probabilities"/> (count·OutputLength): the network's outputs, or a double-precision softmax of
    /// its logits; with <paramref name="mirrored"/>, the mean of those for each image and its mirror image.
    /// </summary>
    public void Predict(ReadOnlySpan<float> images, int count, Span<double> probabilities, bool mirrored = false)
    {
        int d = _network.InputLength, k = _network.OutputLength;
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "The image count must be positive.");
        if (images.Length != count * d)
            throw new ArgumentException($"{count} images need {count * d} floats, got {images.Length}.", nameof(images));
        if (probabilities.Length != count * k)
            throw new ArgumentException($"{count} images need {count * k} probabilities, got {probabilities.Length}.", nameof(probabilities));
        Grow(ref _outputs, count * k);
        var output = _outputs.AsSpan(0, count * k);
        _network.Forward(images, output, count);
        for (int n = 0; n < count; n++) Probabilities(output.Slice(n * k, k), probabilities.Slice(n * k, k));
        if (!mirrored) return;

        Grow(ref _mirrorImages, count * d);
        Grow(ref _mirrorOutputs, count * k);
        var mirror = _mirrorImages.AsSpan(0, count * d);
        var mirrorOutput = _mirrorOutputs.AsSpan(0, count * k);
        ImageAugmentation.MirrorRows(images, mirror, _network.InputWidth);
        _network.Forward(mirror, mirrorOutput, count);
        Grow(ref _mirrorProbabilities, k);
        var q = _mirrorProbabilities.AsSpan(0, k);
        for (int n = 0; n < count; n++)
        {
            Probabilities(mirrorOutput.Slice(n * k, k), q);
            var p = probabilities.Slice(n * k, k);
            // Mean of the two probability vectors (the paper averages the softmax outputs of its views).
            for (int c = 0; c < k; c++) p[c] = 0.5 * (p[c] + q[c]);
        }
    }

    /// <summary>Index of the first largest value (NaNs never win), as torch.argmax on finite rows.</summary>
    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best]) best = i;
        }
        return best;
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best]) best = i;
        }
        return best;
    }

    private void Probabilities(ReadOnlySpan<float> row, Span<double> probabilities)
    {
        if (_network.OutputsProbabilities)
        {
            for (int c = 0; c < row.Length; c++) probabilities[c] = row[c];
            return;
        }
        double max = double.NegativeInfinity;
        foreach (float z in row) max = Math.Max(max, z);
        double sum = 0;
        for (int c = 0; c < row.Length; c++) sum += probabilities[c] = Math.Exp(row[c] - max);
        for (int c = 0; c < row.Length; c++) probabilities[c] /= sum;
    }

    private static double LogitLoss(ReadOnlySpan<float> logits, int label)
    {
        double max = double.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        double sum = 0;
        foreach (float z in logits) sum += Math.Exp(z - max);
        return Math.Log(sum) + max - logits[label];
    }

    internal static void CheckLabels(ReadOnlySpan<int> labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"Label {labels[i]} at position {i} lies outside the network's {classes} classes.", nameof(labels));
        }
    }

    internal static void CheckData(ITrainingData data, int inputLength, string name)
    {
        if (data.SampleLength != inputLength)
            throw new ArgumentException($"The data has samples of {data.SampleLength} floats; the network takes {inputLength}.", name);
        if (data.Count < 1) throw new ArgumentException("The data set is empty.", name);
    }

    private void CheckData(ITrainingData data, string name) => CheckData(data, _network.InputLength, name);

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }
}
