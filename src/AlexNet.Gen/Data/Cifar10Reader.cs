using System;
using System.Collections.Generic;
using System.IO;

namespace AlexNet.Gen.Data;

/// <summary>The records of CIFAR-10 binary batches: labels and 3×32×32 CHW pixels, record after record.</summary>
public sealed class Cifar10Batch
{
    internal Cifar10Batch(byte[] labels, byte[] pixels)
    {
        Labels = labels;
        Pixels = pixels;
    }

    public int Count => Labels.Length;

    /// <summary>One label (0–9) per record.</summary>
    public byte[] Labels { get; }

    /// <summary><see cref="Count"/> × 3072 bytes: per record the red, green and blue 32×32 planes.</summary>
    public byte[] Pixels { get; }
}

/// <summary>
/// Reads CIFAR-10 binary batches (data_batch_1.bin … test_batch.bin): records of 1 label byte followed by
/// 3072 pixel bytes (R, G, B planes of 32×32), raw or gzip. Defects throw <see cref="InvalidDataException"/>
/// naming the file and the record.
/// </summary>
public static class Cifar10Reader
{
    public const int Channels = 3;
    public const int Height = 32;
    public const int Width = 32;
    public const int PixelsPerRecord = Channels * Height * Width;
    public const int RecordLength = 1 + PixelsPerRecord;
    public const int ClassCount = 10;

    // The largest official file is 10000 records; allow far more, but not an unbounded decompression.
    private const long MaxFileLength = 1L << 31;

    /// <summary>Reads one batch file.</summary>
    public static Cifar10Batch Read(string path)
    {
        byte[] bytes;
        using (var file = DataFile.Open(path))
        {
            bytes = file.ReadAll(Math.Min(MaxFileLength, Array.MaxLength));
        }
        return Parse(path, bytes);
    }

    /// <summary>Reads several batch files and joins their records in the given order.</summary>
    public static Cifar10Batch Read(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) throw new ArgumentException("At least one CIFAR-10 batch file is needed.", nameof(paths));
        var batches = new Cifar10Batch[paths.Count];
        long total = 0;
        for (int i = 0; i < paths.Count; i++)
        {
            batches[i] = Read(paths[i]);
            total += batches[i].Count;
        }
        if (total * PixelsPerRecord > Array.MaxLength)
            throw new InvalidDataException($"{total} CIFAR-10 records are more than one array can hold.");
        var labels = new byte[total];
        var pixels = GC.AllocateUninitializedArray<byte>((int)(total * PixelsPerRecord));
        int at = 0;
        foreach (var b in batches)
        {
            b.Labels.CopyTo(labels, at);
            b.Pixels.CopyTo(pixels, (long)at * PixelsPerRecord);
            at += b.Count;
        }
        return new Cifar10Batch(labels, pixels);
    }

    private static Cifar10Batch Parse(string path, byte[] bytes)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException($"{path}: the file is empty; a CIFAR-10 batch holds records of {RecordLength} bytes");
        int count = Math.DivRem(bytes.Length, RecordLength, out int rest);
        if (rest != 0)
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of {RecordLength}-byte records ({count} records and {rest} extra bytes; the file is truncated or not a CIFAR-10 binary batch)");

        var labels = new byte[count];
        var pixels = GC.AllocateUninitializedArray<byte>(count * PixelsPerRecord);
        for (int r = 0; r < count; r++)
        {
            int at = r * RecordLength;
            byte label = bytes[at];
            if (label >= ClassCount)
                throw new InvalidDataException($"{path}: record {r} (byte offset {at}) has label {label}; CIFAR-10 labels are 0–9 (a CIFAR-100 file has 2 label bytes per record)");
            labels[r] = label;
            bytes.AsSpan(at + 1, PixelsPerRecord).CopyTo(pixels.AsSpan(r * PixelsPerRecord, PixelsPerRecord));
        }
        return new Cifar10Batch(labels, pixels);
    }
}

/// <summary>The CIFAR-10 binary version: five training batches and one test batch.</summary>
public static class Cifar10
{
    public static readonly IReadOnlyList<string> TrainFiles = new[]
    {
        "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
    };

    public const string TestFile = "test_batch.bin";

    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    };

    /// <summary>Per-channel mean and standard deviation of the training set (pixels scaled to [0, 1]).</summary>
    public static ChannelNormalization Normalization { get; } =
        new(new[] { 0.4914f, 0.4822f, 0.4465f }, new[] { 0.2470f, 0.2435f, 0.2616f });

    /// <summary>
    /// Loads the training (50000) and test (10000) sets from <paramref name="directory"/> or its
    /// cifar-10-batches-bin subfolder. Missing files throw <see cref="FileNotFoundException"/>.
    /// </summary>
    public static DatasetSplits Load(string directory, ChannelNormalization? normalization = null)
    {
        string folder = Locate(directory);
        var train = Cifar10Reader.Read(Paths(folder, TrainFiles));
        var test = Cifar10Reader.Read(Path.Combine(folder, TestFile));
        return new DatasetSplits(ToDataset(train, normalization), ToDataset(test, normalization));
    }

    /// <summary>Loads only the test set (10000 images).</summary>
    public static ImageDataset LoadTest(string directory, ChannelNormalization? normalization = null) =>
        ToDataset(Cifar10Reader.Read(Path.Combine(Locate(directory), TestFile)), normalization);

    private static ImageDataset ToDataset(Cifar10Batch batch, ChannelNormalization? normalization) =>
        ImageDataset.FromBytes(batch.Pixels, batch.Labels, Cifar10Reader.Channels, Cifar10Reader.Height, Cifar10Reader.Width, Cifar10Reader.ClassCount, normalization);

    private static string[] Paths(string folder, IReadOnlyList<string> names)
    {
        var paths = new string[names.Count];
        for (int i = 0; i < names.Count; i++) paths[i] = Path.Combine(folder, names[i]);
        return paths;
    }

    private static string Locate(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var all = new List<string>(TrainFiles) { TestFile };
        foreach (string folder in new[] { directory, Path.Combine(directory, "cifar-10-batches-bin") })
        {
            if (all.TrueForAll(n => File.Exists(Path.Combine(folder, n)))) return folder;
        }
        var missing = all.FindAll(n => !File.Exists(Path.Combine(directory, n)));
        throw new FileNotFoundException(
            $"CIFAR-10 binary batches not found in '{directory}' (nor in its cifar-10-batches-bin subfolder): looked for {string.Join(", ", all)}; missing {string.Join(", ", missing)}. " +
            "Download and unpack the binary version of CIFAR-10 there, or pass --data DIR.",
            Path.Combine(directory, missing.Count > 0 ? missing[0] : TestFile));
    }
}
