using System;
using System.Collections.Generic;
using System.Linq;
using AlexNet.Gen.Data;

namespace AlexNet.Gen.Tests.Data;

public class DataLoaderTests
{
    /// <summary>N distinct random images; label i = sample i, so a batch entry tells which sample it came from.</summary>
    private static ImageDataset MakeDataset(int n, int c, int h, int w, int seed = 50, ChannelNormalization? norm = null)
    {
        var rng = new Random(seed);
        var images = new float[n * c * h * w];
        for (int i = 0; i < images.Length; i++) images[i] = (float)(rng.NextDouble() * 2 - 1);
        return new ImageDataset(images, Enumerable.Range(0, n).ToArray(), c, h, w, n, norm);
    }

    private static List<(float[] Images, int[] Labels)> Epoch(DataLoader loader)
    {
        var batches = new List<(float[], int[])>();
        var x = new float[loader.BatchImageLength];
        var y = new int[loader.BatchSize];
        loader.StartEpoch();
        while (loader.NextBatch(x, y, out int n))
            batches.Add((x.AsSpan(0, n * loader.Dataset.SampleLength).ToArray(), y.AsSpan(0, n).ToArray()));
        return batches;
    }

    /// <summary>Naive reference: out[c,y,x] = padded[c, y+oy, (flip ? W-1-x : x)+ox], padding value outside.</summary>
    private static float[] Reference(ReadOnlySpan<float> src, int c, int h, int w, int pad, int oy, int ox, bool flip, float[] padValues)
    {
        var result = new float[c * h * w];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int xs = flip ? w - 1 - x : x;
                    int sy = y + oy - pad, sx = xs + ox - pad;
                    result[(ch * h + y) * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[(ch * h + sy) * w + sx] : padValues[ch];
                }
        return result;
    }

    [Fact]
    public void UnshuffledBatchesFollowTheDatasetAndKeepTheLastPartialBatch()
    {
        var ds = MakeDataset(10, 2, 3, 3);
        var loader = new DataLoader(ds, new DataLoaderOptions { BatchSize = 4, Shuffle = false });

        var batches = Epoch(loader);

        Assert.Equal(3, loader.BatchCount);
        Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b.Labels.Length));
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b.Labels));
        Assert.Equal(ds.Images, batches.SelectMany(b => b.Images).ToArray());
    }

    [Fact]
    public void DropLastDropsThePartialBatch()
    {
        var loader = new DataLoader(MakeDataset(10, 1, 2, 2), new DataLoaderOptions { BatchSize = 4, DropLast = true, Seed = 3 });

        var batches = Epoch(loader);

        Assert.Equal(2, loader.BatchCount);
        Assert.Equal(new[] { 4, 4 }, batches.Select(b => b.Labels.Length));
        Assert.Equal(8, batches.SelectMany(b => b.Labels).Distinct().Count());
    }

    [Fact]
    public void ShuffledEpochsArePermutationsThatDependOnlyOnTheSeed()
    {
        var ds = MakeDataset(37, 1, 2, 3);
        var a = new DataLoader(ds, new DataLoaderOptions { BatchSize = 5, Seed = 7 });
        var b = new DataLoader(ds, new DataLoaderOptions { BatchSize = 5, Seed = 7 });
        var other = new DataLoader(ds, new DataLoaderOptions { BatchSize = 5, Seed = 8 });

        int[] a0 = Epoch(a).SelectMany(x => x.Labels).ToArray();
        int[] a1 = Epoch(a).SelectMany(x => x.Labels).ToArray();
        int[] b0 = Epoch(b).SelectMany(x => x.Labels).ToArray();
        int[] o0 = Epoch(other).SelectMany(x => x.Labels).ToArray();

        Assert.Equal(Enumerable.Range(0, 37), a0.OrderBy(v => v));
        Assert.Equal(Enumerable.Range(0, 37), a1.OrderBy(v => v));
        Assert.NotEqual(Enumerable.Range(0, 37), a0);
        Assert.NotEqual(a0, a1);
        Assert.Equal(a0, b0);
        Assert.NotEqual(a0, o0);
        // The images travel with their labels.
        var batch = Epoch(b)[0];
        for (int i = 0; i < batch.Labels.Length; i++)
            Assert.Equal(ds.GetImage(batch.Labels[i]).ToArray(), batch.Images.AsSpan(i * 6, 6).ToArray());
    }

    [Fact]
    public void FlipIsAnExactMirrorAboutHalfTheTime()
    {
        const int N = 200, C = 2, H = 3, W = 5;
        var ds = MakeDataset(N, C, H, W);
        var loader = new DataLoader(ds, new DataLoaderOptions { BatchSize = 16, HorizontalFlip = true, Seed = 11 });
        var none = new float[C];

        int flipped = 0;
        foreach (var (images, labels) in Epoch(loader))
        {
            for (int i = 0; i < labels.Length; i++)
            {
                float[] got = images.AsSpan(i * C * H * W, C * H * W).ToArray();
                float[] plain = Reference(ds.GetImage(labels[i]), C, H, W, 0, 0, 0, false, none);
                float[] mirror = Reference(ds.GetImage(labels[i]), C, H, W, 0, 0, 0, true, none);
                bool isPlain = got.SequenceEqual(plain), isMirror = got.SequenceEqual(mirror);
                Assert.True(isPlain || isMirror, $"sample {labels[i]} is neither the image nor its mirror");
                if (isMirror) flipped++;
            }
        }
        Assert.InRange(flipped, 70, 130); // Binomial(200, 0.5): outside this is a > 5σ event
    }

    [Fact]
    public void CropOffsetsStayInRangeAndCoverIt()
    {
        const int N = 300, C = 2, H = 6, W = 5, P = 2;
        var norm = new ChannelNormalization(new[] { 0.5f, 0.25f }, new[] { 0.5f, 0.5f });
        var ds = MakeDataset(N, C, H, W, norm: norm);
        var loader = new DataLoader(ds, new DataLoaderOptions { BatchSize = 32, CropPadding = P, HorizontalFlip = true, Seed = 12 });
        float[] black = { -1f, -0.5f }; // (0 − mean) / std

        var seenY = new HashSet<int>();
        var seenX = new HashSet<int>();
        foreach (var (images, labels) in Epoch(loader))
        {
            for (int i = 0; i < labels.Length; i++)
            {
                float[] got = images.AsSpan(i * C * H * W, C * H * W).ToArray();
                bool found = false;
                for (int oy = 0; oy <= 2 * P && !found; oy++)
                    for (int ox = 0; ox <= 2 * P && !found; ox++)
                        foreach (bool flip in new[] { false, true })
                        {
                            if (!got.SequenceEqual(Reference(ds.GetImage(labels[i]), C, H, W, P, oy, ox, flip, black))) continue;
                            found = true;
                            seenY.Add(oy);
                            seenX.Add(ox);
                            break;
                        }
                Assert.True(found, $"sample {labels[i]} is no padded crop with offsets in [0, {2 * P}]");
            }
        }
        Assert.Equal(Enumerable.Range(0, 2 * P + 1), seenY.OrderBy(v => v));
        Assert.Equal(Enumerable.Range(0, 2 * P + 1), seenX.OrderBy(v => v));
    }

    [Fact]
    public void CropAndFlipMatchesReferenceForEveryOffset()
    {
        const int C = 3, H = 4, W = 7, P = 3;
        var ds = MakeDataset(1, C, H, W);
        float[] pad = { 0.5f, -2f, 7f };
        var dst = new float[C * H * W];
        for (int oy = 0; oy <= 2 * P; oy++)
            for (int ox = 0; ox <= 2 * P; ox++)
                foreach (bool flip in new[] { false, true })
                {
                    ImageAugmentation.CropAndFlip(ds.GetImage(0), dst, C, H, W, P, oy, ox, flip, pad);
                    Assert.Equal(Reference(ds.GetImage(0), C, H, W, P, oy, ox, flip, pad), dst);
                }
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAugmentation.CropAndFlip(ds.GetImage(0), dst, C, H, W, P, 2 * P + 1, 0, false, pad));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAugmentation.CropAndFlip(ds.GetImage(0), dst, C, H, W, P, 0, -1, false, pad));
    }

    [Fact]
    public void AugmentedBatchesAreDeterministic()
    {
        var ds = MakeDataset(40, 1, 4, 4);
        var options = new DataLoaderOptions { BatchSize = 8, CropPadding = 1, HorizontalFlip = true, Seed = 99 };
        var a = Epoch(new DataLoader(ds, options));
        var b = Epoch(new DataLoader(ds, options));
        var c = Epoch(new DataLoader(ds, new DataLoaderOptions { BatchSize = 8, CropPadding = 1, HorizontalFlip = true, Seed = 100 }));

        Assert.Equal(a.SelectMany(x => x.Images), b.SelectMany(x => x.Images));
        Assert.Equal(a.SelectMany(x => x.Labels), b.SelectMany(x => x.Labels));
        Assert.NotEqual(a.SelectMany(x => x.Images), c.SelectMany(x => x.Images));
    }

    [Theory]
    [InlineData(0)]   // before the first epoch
    [InlineData(3)]   // mid-epoch
    [InlineData(5)]   // epoch just finished
    [InlineData(7)]   // mid second epoch
    public void RestoredStateContinuesWithTheSameBatches(int batchesBefore)
    {
        var ds = MakeDataset(23, 1, 3, 3);
        var options = new DataLoaderOptions { BatchSize = 5, CropPadding = 1, HorizontalFlip = true, Seed = 21 };
        var original = new DataLoader(ds, options);
        var x = new float[original.BatchImageLength];
        var y = new int[original.BatchSize];
        for (int i = 0; i < batchesBefore; i++)
        {
            if (original.Epoch < 0 || !original.NextBatch(x, y, out _))
            {
                original.StartEpoch();
                Assert.True(original.NextBatch(x, y, out _));
            }
        }

        string saved = original.GetState().ToString();
        var resumed = new DataLoader(ds, options);
        resumed.SetState(DataLoaderState.Parse(saved));

        Assert.Equal(original.Epoch, resumed.Epoch);
        Assert.Equal(original.BatchIndex, resumed.BatchIndex);
        var x2 = new float[x.Length];
        var y2 = new int[y.Length];
        for (int step = 0; step < 12; step++)
        {
            bool more = original.Epoch >= 0 && original.NextBatch(x, y, out int n1);
            bool more2 = resumed.Epoch >= 0 && resumed.NextBatch(x2, y2, out int n2);
            Assert.Equal(more, more2);
            if (!more)
            {
                original.StartEpoch();
                resumed.StartEpoch();
                continue;
            }
            Assert.Equal(x, x2);
            Assert.Equal(y, y2);
        }
    }

    [Fact]
    public void StateOfAnotherDatasetIsRejected()
    {
        var loader = new DataLoader(MakeDataset(10, 1, 2, 2), new DataLoaderOptions { BatchSize = 4 });
        var state = new DataLoader(MakeDataset(11, 1, 2, 2), new DataLoaderOptions { BatchSize = 4 }).GetState();

        var ex = Assert.Throws<ArgumentException>(() => loader.SetState(state));
        Assert.Contains("11 images in batches of 4", ex.Message);
        Assert.Throws<FormatException>(() => DataLoaderState.Parse("epoch=1;batch=2"));
        Assert.Throws<FormatException>(() => DataLoaderState.Parse(state.ToString().Replace("shuffle=", "shuffle=zz")));
    }

    [Fact]
    public void MisuseIsReported()
    {
        var loader = new DataLoader(MakeDataset(10, 1, 2, 2), new DataLoaderOptions { BatchSize = 4 });
        Assert.Throws<InvalidOperationException>(() => loader.NextBatch(new float[16], new int[4], out _));
        loader.StartEpoch();
        var ex = Assert.Throws<ArgumentException>(() => loader.NextBatch(new float[15], new int[4], out _));
        Assert.Contains("a batch of 4 needs 16", ex.Message);
        Assert.Throws<ArgumentException>(() => loader.NextBatch(new float[16], new int[3], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(MakeDataset(2, 1, 2, 2), new DataLoaderOptions { BatchSize = 0 }));
    }

    [Fact]
    public void BatchesAllocateNothing()
    {
        var loader = new DataLoader(MakeDataset(64, 3, 8, 8), new DataLoaderOptions { BatchSize = 8, CropPadding = 2, HorizontalFlip = true, Seed = 5 });
        var x = new float[loader.BatchImageLength];
        var y = new int[loader.BatchSize];
        loader.StartEpoch();
        loader.NextBatch(x, y, out _); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        int batches = 0;
        while (loader.NextBatch(x, y, out _)) batches++;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(7, batches);
        Assert.Equal(0, allocated);
    }
}
