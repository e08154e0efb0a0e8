using System;

namespace AlexNet.Gen.Training;

/// <summary>
/// A labelled data set the <see cref="Trainer"/> draws batches from. Implementations (in-memory arrays,
/// files, augmenting loaders) copy samples by index into the trainer's buffers, so a step allocates nothing.
/// </summary>
public interface ITrainingData
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Floats per sample (C·H·W, NCHW order).</summary>
    int SampleLength { get; }

    /// <summary>
    /// Copies samples <paramref name="indices"/> into <paramref name="images"/> (indices.Length · SampleLength
    /// floats) and their labels into <paramref name="labels"/> (indices.Length entries).
    /// </summary>
    void CopyBatch(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels);
}

/// <summary>Samples held in two arrays: images (Count · SampleLength floats, sample after sample) and labels.</summary>
public sealed class InMemoryData : ITrainingData
{
    private readonly float[] _images;
    private readonly int[] _labels;

    /// <remarks>The arrays are used as given (not copied).</remarks>
    public InMemoryData(float[] images, int[] labels, int sampleLength)
    {
        _images = images ?? throw new ArgumentNullException(nameof(images));
        _labels = labels ?? throw new ArgumentNullException(nameof(labels));
        if (sampleLength < 1) throw new ArgumentException($"Invalid sampleLength {sampleLength}: it must be positive.", nameof(sampleLength));
        if ((long)labels.Length * sampleLength != images.Length)
            throw new ArgumentException($"{images.Length} image floats do not hold {labels.Length} samples of {sampleLength}.", nameof(images));
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0) throw new ArgumentException($"Label {i} is negative ({labels[i]}).", nameof(labels));
        }
        SampleLength = sampleLength;
    }

    public int Count => _labels.Length;

    public int SampleLength { get; }

    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        int d = SampleLength;
        if (images.Length < indices.Length * d)
            throw new ArgumentException($"The image buffer holds {images.Length} floats; {indices.Length} samples need {indices.Length * d}.", nameof(images));
        if (labels.Length < indices.Length)
            throw new ArgumentException($"The label buffer holds {labels.Length} entries; {indices.Length} are needed.", nameof(labels));
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)_labels.Length)
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"Sample index outside [0, {_labels.Length}).");
            _images.AsSpan(index * d, d).CopyTo(images.Slice(i * d, d));
            labels[i] = _labels[index];
        }
    }
}
