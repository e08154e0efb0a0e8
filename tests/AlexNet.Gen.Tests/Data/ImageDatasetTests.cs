using System;
using AlexNet.Gen.Data;

namespace AlexNet.Gen.Tests.Data;

public class ImageDatasetTests
{
    [Fact]
    public void BytesAreScaledToUnitRange()
    {
        byte[] pixels = new byte[256 * 2];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)i;
        var ds = ImageDataset.FromBytes(pixels, new byte[] { 0, 1 }, 1, 16, 16, 2);

        Assert.Equal(2, ds.Count);
        Assert.Equal(256, ds.SampleLength);
        for (int i = 0; i < pixels.Length; i++)
            Assert.Equal(pixels[i] / 255.0, ds.Images[i], 1e-7);
        Assert.Equal(0f, ds.Images[0]);
        Assert.Equal(1f, ds.Images[255]);
        Assert.Equal(new[] { 0, 1 }, ds.Labels);
    }

    [Fact]
    public void PerChannelNormalizationMatchesDoubleReference()
    {
        const int C = 3, H = 5, W = 7, N = 4;
        byte[] pixels = DataBytes.Random(N * C * H * W, seed: 30);
        float[] mean = { 0.1f, 0.5f, 0.9f }, std = { 0.2f, 0.3f, 0.05f };
        var norm = new ChannelNormalization(mean, std);

        var ds = ImageDataset.FromBytes(pixels, new byte[] { 1, 0, 2, 1 }, C, H, W, 3, norm);

        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int k = 0; k < H * W; k++)
                {
                    int i = (n * C + c) * H * W + k;
                    double expected = (pixels[i] / 255.0 - mean[c]) / std[c];
                    Assert.True(Math.Abs(ds.Images[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"element {i}: {ds.Images[i]} vs {expected}");
                }
        Assert.Same(norm, ds.Normalization);
        Assert.Equal((0 - 0.5) / 0.3, ds.BlackValue(1), 1e-6);
    }

    [Fact]
    public void StatisticsFromPixelsMatchTwoPassReference()
    {
        const int C = 2, H = 3, W = 4, N = 5;
        byte[] pixels = DataBytes.Random(N * C * H * W, seed: 31);

        var stats = ChannelNormalization.FromPixels(pixels, C, H, W);

        for (int c = 0; c < C; c++)
        {
            double sum = 0;
            for (int n = 0; n < N; n++)
                for (int k = 0; k < H * W; k++) sum += pixels[(n * C + c) * H * W + k] / 255.0;
            double mean = sum / (N * H * W), squares = 0;
            for (int n = 0; n < N; n++)
                for (int k = 0; k < H * W; k++)
                {
                    double d = pixels[(n * C + c) * H * W + k] / 255.0 - mean;
                    squares += d * d;
                }
            Assert.Equal(mean, stats.Mean[c], 1e-6);
            Assert.Equal(Math.Sqrt(squares / (N * H * W)), stats.Std[c], 1e-6);
        }
    }

    [Fact]
    public void InconsistentInputsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ImageDataset.FromBytes(new byte[10], new byte[] { 0 }, 1, 3, 3, 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset(new float[9], new[] { 2 }, 1, 3, 3, 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset(new float[9], new[] { 0 }, 0, 3, 3, 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset(new float[9], new[] { 0 }, 1, 3, 3, 2, new ChannelNormalization(new[] { 0f, 0f }, new[] { 1f, 1f })));
        Assert.Throws<ArgumentException>(() => new ChannelNormalization(new[] { 0f }, new[] { 0f }));
        Assert.Throws<ArgumentException>(() => new ChannelNormalization(new[] { 0f }, new[] { 1f, 1f }));
    }

    [Fact]
    public void SliceCopiesTheRange()
    {
        float[] images = new float[4 * 2];
        for (int i = 0; i < images.Length; i++) images[i] = i;
        var ds = new ImageDataset(images, new[] { 0, 1, 2, 3 }, 1, 1, 2, 4);

        var slice = ds.Slice(1, 2);
        images[2] = -1; // the slice must not alias the source

        Assert.Equal(new[] { 1, 2 }, slice.Labels);
        Assert.Equal(new float[] { 2, 3, 4, 5 }, slice.Images);
        Assert.Equal(new float[] { 4, 5 }, slice.GetImage(1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Slice(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.GetImage(4));
    }
}
