using System;
using AlexNet.Gen;
using AlexNet.Gen.Data;
using AlexNet.Gen.Training;

namespace FashionMnistSample;

/// <summary>
/// Adapts an <see cref="ImageDataset"/> to the <see cref="Trainer"/>'s <see cref="ITrainingData"/> with random
/// crop-with-padding and horizontal flips. The trainer decides the order (its shuffle generator is in its state);
/// the augmentation generator here advances by a fixed number of draws per image, so saving its state with the
/// trainer's lets a resumed run see exactly the batches the uninterrupted run would have seen.
/// </summary>
public sealed class AugmentedData : ITrainingData
{
    private readonly ImageDataset _dataset;
    private readonly float[] _padValues;
    private readonly int _padding;
    private readonly bool _flip;

    public AugmentedData(ImageDataset dataset, int cropPadding, bool horizontalFlip, ulong seed)
    {
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        if (cropPadding < 0 || cropPadding > Math.Min(dataset.Height, dataset.Width))
            throw new ArgumentOutOfRangeException(nameof(cropPadding), cropPadding, $"Crop padding must be in [0, {Math.Min(dataset.Height, dataset.Width)}].");
        _padding = cropPadding;
        _flip = horizontalFlip;
        _padValues = new float[dataset.Channels];
        for (int c = 0; c < _padValues.Length; c++) _padValues[c] = dataset.BlackValue(c);
        Random = new SeededRandom(seed);
    }

    /// <summary>The augmentation generator; its state belongs in a training checkpoint.</summary>
    public SeededRandom Random { get; }

    public int Count => _dataset.Count;

    public int SampleLength => _dataset.SampleLength;

    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        int d = SampleLength;
        if (images.Length < indices.Length * d)
            throw new ArgumentException($"The image buffer holds {images.Length} floats; {indices.Length} samples need {indices.Length * d}.", nameof(images));
        if (labels.Length < indices.Length)
            throw new ArgumentException($"The label buffer holds {labels.Length} entries; {indices.Length} are needed.", nameof(labels));
        for (int i = 0; i < indices.Length; i++)
        {
            ReadOnlySpan<float> source = _dataset.GetImage(indices[i]);
            Span<float> destination = images.Slice(i * d, d);
            labels[i] = _dataset.Labels[indices[i]];
            if (_padding == 0 && !_flip)
            {
                source.CopyTo(destination);
                continue;
            }
            // Fixed draw order per image (crop y, crop x, flip), as the runtime's DataLoader.
            int offsetY = _padding > 0 ? Random.NextInt(2 * _padding + 1) : 0;
            int offsetX = _padding > 0 ? Random.NextInt(2 * _padding + 1) : 0;
            bool mirror = _flip && (Random.NextUInt64() >> 63) != 0;
            ImageAugmentation.CropAndFlip(source, destination, _dataset.Channels, _dataset.Height, _dataset.Width,
                _padding, offsetY, offsetX, mirror, _padValues);
        }
    }
}
