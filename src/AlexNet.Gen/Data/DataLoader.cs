using System;
using System.Globalization;

namespace AlexNet.Gen.Data;

/// <summary>How a <see cref="DataLoader"/> batches, shuffles and augments.</summary>
public sealed class DataLoaderOptions
{
    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Visit the images in a new seeded random order every epoch (otherwise in dataset order).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last batch when it would be smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>
    /// Random crop: pad every side by this many pixels (with black, i.e. the normalized value of a zero pixel),
    /// then crop back to H×W at a random offset. 0 disables it.
    /// </summary>
    public int CropPadding { get; init; }

    /// <summary>Mirror each image left–right with probability 0.5.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Seed of the shuffle and augmentation generators: the same seed gives the same batches.</summary>
    public ulong Seed { get; init; }
}

/// <summary>
/// Copies batches of an <see cref="ImageDataset"/> into caller-owned buffers (no allocation per batch),
/// optionally shuffled and augmented, reproducibly from a seed. Use:
/// <c>loader.StartEpoch(); while (loader.NextBatch(x, y, out int n)) { … }</c>.
/// </summary>
public sealed class DataLoader
{
    // Distinct stream for augmentation, so turning augmentation on or off does not change the shuffle order.
    private const ulong AugmentationSeedOffset = 0xD1B54A32D192ED03UL;

    private readonly ImageDataset _dataset;
    private readonly int[] _order;
    private readonly float[] _padValues;
    private readonly SeededRandom _shuffleRandom;
    private readonly SeededRandom _augmentRandom;
    private ulong[] _epochShuffleState;
    private int _epoch = -1;
    private int _batch;

    public DataLoader(ImageDataset dataset, DataLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be positive.");
        if (options.CropPadding < 0 || options.CropPadding > Math.Max(dataset.Height, dataset.Width))
            throw new ArgumentOutOfRangeException(nameof(options), options.CropPadding, $"CropPadding must be in [0, {Math.Max(dataset.Height, dataset.Width)}].");
        _dataset = dataset;
        Options = options;
        BatchSize = options.BatchSize;
        BatchCount = options.DropLast ? dataset.Count / BatchSize : (dataset.Count + BatchSize - 1) / BatchSize;
        _order = new int[dataset.Count];
        _padValues = new float[dataset.Channels];
        for (int c = 0; c < _padValues.Length; c++) _padValues[c] = dataset.BlackValue(c);
        _shuffleRandom = new SeededRandom(options.Seed);
        _augmentRandom = new SeededRandom(options.Seed ^ AugmentationSeedOffset);
        _epochShuffleState = _shuffleRandom.GetState();
    }

    public ImageDataset Dataset => _dataset;

    public DataLoaderOptions Options { get; }

    public int BatchSize { get; }

    /// <summary>Batches per epoch (0 when DropLast is set and the dataset is smaller than one batch).</summary>
    public int BatchCount { get; }

    /// <summary>The current epoch, counted from 0; −1 before the first <see cref="StartEpoch"/>.</summary>
    public int Epoch => _epoch;

    /// <summary>Index of the next batch <see cref="NextBatch"/> returns within the epoch.</summary>
    public int BatchIndex => _batch;

    /// <summary>Floats one batch of <see cref="BatchSize"/> images needs.</summary>
    public int BatchImageLength => BatchSize * _dataset.SampleLength;

    /// <summary>Begins the next epoch: a new order (when shuffling) and batch 0. Returns the epoch number.</summary>
    public int StartEpoch()
    {
        _epochShuffleState = _shuffleRandom.GetState();
        BuildOrder();
        _epoch++;
        _batch = 0;
        return _epoch;
    }

    /// <summary>
    /// Copies the next batch into <paramref name="images"/> (count·C·H·W floats, NCHW) and <paramref name="labels"/>
    /// and returns true, or returns false when the epoch is over. <paramref name="count"/> is the batch's size
    /// (smaller than <see cref="BatchSize"/> only for a kept last batch).
    /// </summary>
    public bool NextBatch(Span<float> images, Span<int> labels, out int count)
    {
        if (_epoch < 0) throw new InvalidOperationException("Call StartEpoch before NextBatch.");
        count = 0;
        if (_batch >= BatchCount) return false;
        int start = _batch * BatchSize;
        int n = Math.Min(BatchSize, _dataset.Count - start);
        int sample = _dataset.SampleLength;
        if (images.Length < n * sample)
            throw new ArgumentException($"The images buffer holds {images.Length} floats; a batch of {n} needs {n * sample}.", nameof(images));
        if (labels.Length < n)
            throw new ArgumentException($"The labels buffer holds {labels.Length} ints; a batch of {n} needs {n}.", nameof(labels));

        int padding = Options.CropPadding;
        bool flip = Options.HorizontalFlip;
        for (int i = 0; i < n; i++)
        {
            int index = _order[start + i];
            ReadOnlySpan<float> src = _dataset.Images.AsSpan(index * sample, sample);
            Span<float> dst = images.Slice(i * sample, sample);
            labels[i] = _dataset.Labels[index];
            if (padding == 0 && !flip)
            {
                src.CopyTo(dst);
                continue;
            }
            // Fixed draw order per image (crop y, crop x, flip) so a seed always yields the same augmentations.
            int offsetY = padding > 0 ? _augmentRandom.NextInt(2 * padding + 1) : 0;
            int offsetX = padding > 0 ? _augmentRandom.NextInt(2 * padding + 1) : 0;
            bool mirror = flip && (_augmentRandom.NextUInt64() >> 63) != 0;
            ImageAugmentation.CropAndFlip(src, dst, _dataset.Channels, _dataset.Height, _dataset.Width, padding, offsetY, offsetX, mirror, _padValues);
        }
        _batch++;
        count = n;
        return true;
    }

    /// <summary>Everything needed to continue exactly where this loader is (for training checkpoints).</summary>
    public DataLoaderState GetState() =>
        new(_epoch, _batch, _dataset.Count, BatchSize, (ulong[])_epochShuffleState.Clone(), _augmentRandom.GetState());

    /// <summary>
    /// Restores a state from <see cref="GetState"/> of a loader over the same dataset and options: the following
    /// batches are those the saved loader would have produced.
    /// </summary>
    public void SetState(DataLoaderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.DatasetCount != _dataset.Count || state.BatchSize != BatchSize)
            throw new ArgumentException($"The state is for {state.DatasetCount} images in batches of {state.BatchSize}; this loader has {_dataset.Count} in batches of {BatchSize}.", nameof(state));
        if (state.Epoch < -1 || state.BatchIndex < 0 || state.BatchIndex > BatchCount || (state.Epoch == -1 && state.BatchIndex != 0))
            throw new ArgumentException($"Epoch {state.Epoch}, batch {state.BatchIndex} is not a position of a loader with {BatchCount} batches per epoch.", nameof(state));

        // Validate both generator states before changing anything (SetState throws on a bad one).
        var shuffle = new SeededRandom(0);
        shuffle.SetState(state.EpochShuffleState);
        new SeededRandom(0).SetState(state.AugmentationState);

        _shuffleRandom.SetState(state.EpochShuffleState);
        _epochShuffleState = (ulong[])state.EpochShuffleState.Clone();
        if (state.Epoch >= 0) BuildOrder(); // replays this epoch's shuffle, leaving the generator where it was
        _epoch = state.Epoch;
        _batch = state.BatchIndex;
        _augmentRandom.SetState(state.AugmentationState);
    }

    private void BuildOrder()
    {
        // Start from the identity each epoch so the order depends only on the generator state (resumable).
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (Options.Shuffle) _shuffleRandom.Shuffle(_order.AsSpan());
    }
}

/// <summary>A <see cref="DataLoader"/>'s position and generator states; <see cref="ToString"/> and <see cref="Parse"/> give a text form for checkpoint metadata.</summary>
public sealed class DataLoaderState
{
    public DataLoaderState(int epoch, int batchIndex, int datasetCount, int batchSize, ulong[] epochShuffleState, ulong[] augmentationState)
    {
        ArgumentNullException.ThrowIfNull(epochShuffleState);
        ArgumentNullException.ThrowIfNull(augmentationState);
        if (epochShuffleState.Length != 6 || augmentationState.Length != 6)
            throw new ArgumentException("Generator states have 6 words.", nameof(epochShuffleState));
        Epoch = epoch;
        BatchIndex = batchIndex;
        DatasetCount = datasetCount;
        BatchSize = batchSize;
        EpochShuffleState = epochShuffleState;
        AugmentationState = augmentationState;
    }

    /// <summary>Current epoch (−1: none started).</summary>
    public int Epoch { get; }

    /// <summary>Next batch within the epoch.</summary>
    public int BatchIndex { get; }

    public int DatasetCount { get; }

    public int BatchSize { get; }

    /// <summary>The shuffle generator's state before this epoch's shuffle.</summary>
    public ulong[] EpochShuffleState { get; }

    /// <summary>The augmentation generator's current state.</summary>
    public ulong[] AugmentationState { get; }

    /// <summary>e.g. <c>epoch=2;batch=17;count=60000;batchSize=128;shuffle=…;augment=…</c> (hexadecimal words).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"epoch={Epoch};batch={BatchIndex};count={DatasetCount};batchSize={BatchSize};shuffle={Words(EpochShuffleState)};augment={Words(AugmentationState)}");

    /// <summary>Reads the form written by <see cref="ToString"/>; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static DataLoaderState Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(';');
        string[] keys = { "epoch", "batch", "count", "batchSize", "shuffle", "augment" };
        if (parts.Length != keys.Length)
            throw new FormatException($"A data loader state has {keys.Length} ';'-separated fields ({string.Join(", ", keys)}), not {parts.Length}: '{text}'.");
        var values = new string[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            string prefix = keys[i] + "=";
            if (!parts[i].StartsWith(prefix, StringComparison.Ordinal))
                throw new FormatException($"Field {i} of the data loader state should start with '{prefix}': '{parts[i]}'.");
            values[i] = parts[i][prefix.Length..];
        }
        return new DataLoaderState(Int(values[0], "epoch"), Int(values[1], "batch"), Int(values[2], "count"), Int(values[3], "batchSize"),
            ParseWords(values[4], "shuffle"), ParseWords(values[5], "augment"));
    }

    private static int Int(string s, string name) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new FormatException($"Data loader state field '{name}' is not an integer: '{s}'.");

    private static string Words(ulong[] words) => string.Join(",", Array.ConvertAll(words, w => w.ToString("x16", CultureInfo.InvariantCulture)));

    private static ulong[] ParseWords(string s, string name)
    {
        string[] items = s.Split(',');
        if (items.Length != 6) throw new FormatException($"Data loader state field '{name}' needs 6 hexadecimal words, not {items.Length}.");
        var words = new ulong[6];
        for (int i = 0; i < 6; i++)
        {
            if (!ulong.TryParse(items[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]))
                throw new FormatException($"Word {i} of data loader state field '{name}' is not hexadecimal: '{items[i]}'.");
        }
        return words;
    }
}
