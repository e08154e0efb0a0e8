using System;
using System.Globalization;
using System.IO;
using AlexNet.Gen;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Data;
using AlexNet.Gen.Training;
using Spectre.Console;

namespace FashionMnistSample;

/// <summary>--eval-only, predict and the hidden export-png helper.</summary>
public static class InferenceCommands
{
    private const int DefaultEvaluationBatch = 500;

    /// <summary>Test accuracy, per-class accuracy and confusion matrix of a checkpoint (best or last).</summary>
    public static int EvalOnly(SampleOptions options, IAnsiConsole console)
    {
        if (options.Threads is int threads) AlexNet.Gen.Kernels.StaticParallel.ThreadCount = threads;
        var model = LoadModel(options.CheckpointPath!);
        var test = LoadTest(options.DataDirectory, options.TestLimit);
        var report = Evaluation.Evaluate(model, test, options.BatchSize ?? DefaultEvaluationBatch, options.Mirror);
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy: {100 * report.Accuracy:F2} % ({report.Correct:N0} / {report.Count:N0} images), loss {report.Loss:F4} ({options.CheckpointPath})")));
        Reports.PrintClassTables(console, report, FashionMnist.ClassNames, $"Test set: {options.CheckpointPath}");
        return 0;
    }

    /// <summary>Top-3 classes of each image; an image that cannot be used is reported and makes the exit code 1.</summary>
    public static int Predict(SampleOptions options, IAnsiConsole console)
    {
        if (options.Threads is int threads) AlexNet.Gen.Kernels.StaticParallel.ThreadCount = threads;
        var model = LoadModel(options.CheckpointPath!);
        ImageDataset? test = null;
        var input = new float[FashionAlexNet.InputLength];
        var evaluator = new Evaluator(model);
        var probabilities = new double[FashionAlexNet.OutputLength];
        int failures = 0;
        foreach (string image in options.Images)
        {
            string? label = null;
            if (image.StartsWith("test:", StringComparison.Ordinal))
            {
                test ??= LoadTest(options.DataDirectory, null);
                if (!int.TryParse(image.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= test.Count)
                {
                    console.MarkupLine(Markup.Escape($"{image}: not a test-image index (test:0 to test:{test.Count - 1})."));
                    failures++;
                    continue;
                }
                test.GetImage(index).CopyTo(input);
                label = FashionMnist.ClassNames[test.Labels[index]];
            }
            else
            {
                byte[] gray;
                try
                {
                    gray = PngImages.ReadGray(image, options.Invert);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    console.MarkupLine(Markup.Escape(e.Message));
                    failures++;
                    continue;
                }
                if (PngImages.LooksInverted(gray))
                    console.MarkupLine(Markup.Escape($"{image}: warning: the border is light. Fashion-MNIST garments are light on black; " +
                        (options.Invert ? "--invert made it so; check the picture." : "for a dark garment on white, add --invert.")));
                PngImages.ToTensor(gray, input, FashionMnist.Normalization);
            }

            evaluator.Predict(input, 1, probabilities, options.Mirror);
            console.MarkupLine(Markup.Escape(label is null ? image : $"{image} (label: {label})"));
            int rank = 1;
            foreach (var (c, p) in Evaluation.Top(probabilities, 3))
            {
                console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"  {rank++}. {FashionMnist.ClassNames[c],-12} {100 * p,7:F3} %")));
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Writes test image <c>INDEX</c> as a 28×28 grey PNG (exactly the data set's bytes) and prints its label.</summary>
    public static int ExportPng(SampleOptions options, IAnsiConsole console)
    {
        string? imagesPath = null, labelsPath = null;
        foreach (string suffix in new[] { "", ".gz" })
        {
            string images = Path.Combine(options.DataDirectory, FashionMnist.TestImagesFile + suffix);
            string labels = Path.Combine(options.DataDirectory, FashionMnist.TestLabelsFile + suffix);
            if (imagesPath is null && File.Exists(images)) imagesPath = images;
            if (labelsPath is null && File.Exists(labels)) labelsPath = labels;
        }
        if (imagesPath is null || labelsPath is null)
        {
            // The library's loader produces the full message on what is missing and how to install it.
            LoadTest(options.DataDirectory, null);
            throw new SampleException($"Fashion-MNIST test files not found in '{options.DataDirectory}'.", SampleData.DataMissingExitCode);
        }
        var raw = AlexNet.Gen.Data.IdxReader.ReadImages(imagesPath);
        byte[] labelBytes = AlexNet.Gen.Data.IdxReader.ReadLabels(labelsPath);
        if (options.ExportIndex >= raw.Count)
            throw new UsageException($"export-png: index {options.ExportIndex} is beyond the {raw.Count} test images.");
        int size = PngImages.Size * PngImages.Size;
        PngImages.WriteGray(options.ExportPath!, raw.Data.AsSpan(options.ExportIndex * size, size), PngImages.Size, PngImages.Size);
        console.MarkupLine(Markup.Escape($"Wrote test image {options.ExportIndex} ({FashionMnist.ClassNames[labelBytes[options.ExportIndex]]}) to {options.ExportPath}"));
        return 0;
    }

    private static FashionAlexNet LoadModel(string path)
    {
        var model = new FashionAlexNet(0);
        try
        {
            Checkpoint.Load(path, ((INetwork)model).Parameters);
        }
        catch (InvalidDataException e)
        {
            throw new SampleException($"Cannot load {path}: {e.Message}", 1);
        }
        return model;
    }

    private static ImageDataset LoadTest(string directory, int? limit)
    {
        ImageDataset test;
        try
        {
            test = FashionMnist.LoadTest(directory, FashionMnist.Normalization);
        }
        catch (FileNotFoundException e)
        {
            throw new SampleException(e.Message, SampleData.DataMissingExitCode);
        }
        catch (InvalidDataException e)
        {
            throw new SampleException($"The Fashion-MNIST files are damaged: {e.Message}", SampleData.DataMissingExitCode);
        }
        return limit is int n && n < test.Count ? test.Slice(0, n) : test;
    }
}
