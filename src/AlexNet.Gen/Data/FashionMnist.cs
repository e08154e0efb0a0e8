using System;
using System.Collections.Generic;
using System.IO;

namespace AlexNet.Gen.Data;

/// <summary>
/// Fashion-MNIST (also reads MNIST, which uses the same file names): 28×28 grey images in 10 classes,
/// 60000 for training and 10000 for testing, as IDX files, raw or .gz.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public const string TrainImagesFile = "train-images-idx3-ubyte";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";
    public const string TestImagesFile = "t10k-images-idx3-ubyte";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    public const int Channels = 1;
    public const int Height = 28;
    public const int Width = 28;
    public const int ClassCount = 10;

    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>Mean and standard deviation of the training pixels scaled to [0, 1].</summary>
    public static ChannelNormalization Normalization { get; } = new(new[] { 0.2860f }, new[] { 0.3530f });

    /// <summary>Loads the training and test sets from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says which were looked for and how to install them.</exception>
    /// <exception cref="InvalidDataException">A file is damaged, or images and labels disagree.</exception>
    public static DatasetSplits Load(string directory, ChannelNormalization? normalization = null)
    {
        string[] paths = Locate(directory, TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile);
        return new DatasetSplits(
            LoadPair(paths[0], paths[1], normalization),
            LoadPair(paths[2], paths[3], normalization));
    }

    /// <summary>Loads only the training set (60000 images).</summary>
    public static ImageDataset LoadTrain(string directory, ChannelNormalization? normalization = null)
    {
        string[] paths = Locate(directory, TrainImagesFile, TrainLabelsFile);
        return LoadPair(paths[0], paths[1], normalization);
    }

    /// <summary>Loads only the test set (10000 images).</summary>
    public static ImageDataset LoadTest(string directory, ChannelNormalization? normalization = null)
    {
        string[] paths = Locate(directory, TestImagesFile, TestLabelsFile);
        return LoadPair(paths[0], paths[1], normalization);
    }

    /// <summary>Reads an image file and its label file and checks that they belong together.</summary>
    public static ImageDataset LoadPair(string imagesPath, string labelsPath, ChannelNormalization? normalization = null)
    {
        IdxArray images = IdxReader.ReadImages(imagesPath);
        byte[] labels = IdxReader.ReadLabels(labelsPath);
        ReadOnlySpan<int> d = images.Dimensions;
        if (d[1] != Height || d[2] != Width)
            throw new InvalidDataException($"{imagesPath}: images are {d[1]}×{d[2]}; Fashion-MNIST images are {Height}×{Width}");
        if (labels.Length != images.Count)
            throw new InvalidDataException($"{labelsPath}: has {labels.Length} labels but {imagesPath} has {images.Count} images");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= ClassCount)
                throw new InvalidDataException($"{labelsPath}: label {i} is {labels[i]}; Fashion-MNIST labels are 0–9");
        }
        return ImageDataset.FromBytes(images.Data, labels, Channels, Height, Width, ClassCount, normalization);
    }

    private static string[] Locate(string directory, params string[] names)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var found = new string?[names.Length];
        var missing = new List<string>();
        for (int i = 0; i < names.Length; i++)
        {
            string raw = Path.Combine(directory, names[i]);
            string gz = raw + ".gz";
            if (File.Exists(raw)) found[i] = raw;
            else if (File.Exists(gz)) found[i] = gz;
            else missing.Add(names[i] + "(.gz)");
        }
        if (missing.Count > 0)
        {
            string where = Directory.Exists(directory) ? $"in '{directory}'" : $"in '{directory}' (the folder does not exist)";
            throw new FileNotFoundException(
                $"Fashion-MNIST files not found {where}: looked for {string.Join(", ", Array.ConvertAll(names, n => n + "(.gz)"))}; missing {string.Join(", ", missing)}. " +
                "Install them with: sudo apt-get install dataset-fashion-mnist, or pass --data DIR.",
                Path.Combine(directory, names[Array.IndexOf(found, null)]));
        }
        return found!;
    }
}
