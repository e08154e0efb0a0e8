using System;
using System.Collections.Generic;

namespace AlexNet.Gen.Data;

/// <summary>
/// Per-channel normalization applied after scaling pixels to [0, 1]: x = (pixel/255 − mean[c]) / std[c].
/// </summary>
public sealed class ChannelNormalization
{
    private readonly float[] _mean;
    private readonly float[] _std;

    public ChannelNormalization(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new ArgumentException($"Normalization needs one mean and one std per channel; got {mean.Count} means and {std.Count} stds.", nameof(std));
        _mean = new float[mean.Count];
        _std = new float[std.Count];
        for (int c = 0; c < mean.Count; c++)
        {
            if (!float.IsFinite(mean[c])) throw new ArgumentException($"Mean of channel {c} is {mean[c]}; it must be finite.", nameof(mean));
            if (!(std[c] > 0) || !float.IsFinite(std[c])) throw new ArgumentException($"Std of channel {c} is {std[c]}; it must be positive and finite.", nameof(std));
            _mean[c] = mean[c];
            _std[c] = std[c];
        }
    }

    public int Channels => _mean.Length;

    public IReadOnlyList<float> Mean => _mean;

    public IReadOnlyList<float> Std => _std;

    /// <summary>What a pixel byte becomes in channel <paramref name="channel"/>, computed in double and rounded once.</summary>
    public float Apply(int channel, byte pixel) => (float)((pixel / 255.0 - _mean[channel]) / _std[channel]);

    /// <summary>
    /// Mean and (population) standard deviation of each channel of NCHW pixel bytes scaled to [0, 1],
    /// e.g. to normalize with the training set's own statistics.
    /// </summary>
    public static ChannelNormalization FromPixels(ReadOnlySpan<byte> pixels, int channels, int height, int width)
    {
        int plane = ImageDataset.CheckShape(channels, height, width) / channels;
        if (pixels.Length == 0 || pixels.Length % (plane * channels) != 0)
            throw new ArgumentException($"{pixels.Length} pixel bytes are not a whole, non-zero number of {channels}×{height}×{width} images.", nameof(pixels));
        int count = pixels.Length / (plane * channels);
        var mean = new float[channels];
        var std = new float[channels];
        // Integer counts are exact; a histogram keeps this O(pixels) without float accumulation error.
        Span<long> histogram = stackalloc long[256];
        for (int c = 0; c < channels; c++)
        {
            histogram.Clear();
            for (int n = 0; n < count; n++)
            {
                foreach (byte p in pixels.Slice((n * channels + c) * plane, plane)) histogram[p]++;
            }
            double total = (double)count * plane, sum = 0, sumSquares = 0;
            for (int v = 0; v < 256; v++)
            {
                double x = v / 255.0;
                sum += histogram[v] * x;
                sumSquares += histogram[v] * x * x;
            }
            double m = sum / total;
            double variance = Math.Max(0, sumSquares / total - m * m);
            mean[c] = (float)m;
            std[c] = (float)Math.Max(Math.Sqrt(variance), 1e-6);
        }
        return new ChannelNormalization(mean, std);
    }
}

/// <summary>A training set and a test set.</summary>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Test);

/// <summary>
/// Images as one float array in NCHW order (sample after sample, channel planes row-major) and one label per image.
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(float[] images, int[] labels, int channels, int height, int width, int classCount, ChannelNormalization? normalization = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        SampleLength = CheckShape(channels, height, width);
        if (classCount <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "The number of classes must be positive.");
        if ((long)labels.Length * SampleLength != images.Length)
            throw new ArgumentException($"{images.Length} floats are not {labels.Length} images of {channels}×{height}×{width} ({(long)labels.Length * SampleLength} floats).", nameof(images));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentException($"Label {labels[i]} of sample {i} is outside [0, {classCount}).", nameof(labels));
        }
        if (normalization is not null && normalization.Channels != channels)
            throw new ArgumentException($"The normalization has {normalization.Channels} channels, the images {channels}.", nameof(normalization));
        Images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        ClassCount = classCount;
        Normalization = normalization;
    }

    /// <summary>
    /// Converts pixel bytes (NCHW) to floats: pixel/255, then the optional per-channel normalization.
    /// </summary>
    public static ImageDataset FromBytes(ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int channels, int height, int width, int classCount, ChannelNormalization? normalization = null)
    {
        int sample = CheckShape(channels, height, width);
        if ((long)labels.Length * sample != pixels.Length)
            throw new ArgumentException($"{pixels.Length} pixel bytes are not {labels.Length} images of {channels}×{height}×{width}.", nameof(pixels));
        if (normalization is not null && normalization.Channels != channels)
            throw new ArgumentException($"The normalization has {normalization.Channels} channels, the images {channels}.", nameof(normalization));

        // One 256-entry table per channel: every byte maps to its exactly rounded float, and conversion is a lookup.
        var table = new float[channels * 256];
        for (int c = 0; c < channels; c++)
        {
            for (int v = 0; v < 256; v++)
                table[c * 256 + v] = normalization is null ? (float)(v / 255.0) : normalization.Apply(c, (byte)v);
        }

        var images = GC.AllocateUninitializedArray<float>(pixels.Length);
        int plane = height * width;
        for (int n = 0; n < labels.Length; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int at = (n * channels + c) * plane;
                ReadOnlySpan<float> map = table.AsSpan(c * 256, 256);
                ReadOnlySpan<byte> src = pixels.Slice(at, plane);
                Span<float> dst = images.AsSpan(at, plane);
                for (int i = 0; i < src.Length; i++) dst[i] = map[src[i]];
            }
        }

        var intLabels = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) intLabels[i] = labels[i];
        return new ImageDataset(images, intLabels, channels, height, width, classCount, normalization);
    }

    /// <summary>All images, NCHW.</summary>
    public float[] Images { get; }

    /// <summary>One class index per image, in [0, <see cref="ClassCount"/>).</summary>
    public int[] Labels { get; }

    public int Count => Labels.Length;

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public int ClassCount { get; }

    /// <summary>Floats per image: C·H·W.</summary>
    public int SampleLength { get; }

    /// <summary>The normalization the images went through, if any.</summary>
    public ChannelNormalization? Normalization { get; }

    /// <summary>Image <paramref name="index"/>, C·H·W floats.</summary>
    public ReadOnlySpan<float> GetImage(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset has {Count} images.");
        return Images.AsSpan(index * SampleLength, SampleLength);
    }

    /// <summary>The value a black (zero) pixel has in channel <paramref name="channel"/>: what crop padding fills in.</summary>
    public float BlackValue(int channel) => Normalization is null ? 0f : Normalization.Apply(channel, 0);

    /// <summary>A copy of images [start, start + count).</summary>
    public ImageDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"[{start}, {start + count}) is not inside the dataset's {Count} images.");
        return new ImageDataset(
            Images.AsSpan(start * SampleLength, count * SampleLength).ToArray(),
            Labels.AsSpan(start, count).ToArray(),
            Channels, Height, Width, ClassCount, Normalization);
    }

    internal static int CheckShape(int channels, int height, int width)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"Image shape {channels}×{height}×{width} must be positive in every dimension.");
        long sample = (long)channels * height * width;
        if (sample > Array.MaxLength) throw new ArgumentException($"Image shape {channels}×{height}×{width} is too large.");
        return (int)sample;
    }
}
