using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using AlexNet.Gen.Data;
using AlexNet.Gen.Training;

namespace FashionMnistSample;

/// <summary>An error the program reports as a message (no stack trace) with a specific exit code.</summary>
public sealed class SampleException : Exception
{
    public SampleException(string message, int exitCode) : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}

/// <summary>The training and test sets after --train-limit / --test-limit.</summary>
public sealed record SampleData(ImageDataset Train, ImageDataset Test)
{
    public const int DataMissingExitCode = 3;

    /// <summary>Loads Fashion-MNIST normalised with its training-set mean and std; missing files give a message on how to get them.</summary>
    public static SampleData Load(string directory, int? trainLimit, int? testLimit)
    {
        DatasetSplits splits;
        try
        {
            splits = FashionMnist.Load(directory, FashionMnist.Normalization);
        }
        catch (FileNotFoundException e)
        {
            throw new SampleException(e.Message, DataMissingExitCode);
        }
        catch (InvalidDataException e)
        {
            throw new SampleException($"The Fashion-MNIST files are damaged: {e.Message}", DataMissingExitCode);
        }
        var train = trainLimit is int tl && tl < splits.Train.Count ? splits.Train.Slice(0, tl) : splits.Train;
        var test = testLimit is int vl && vl < splits.Test.Count ? splits.Test.Slice(0, vl) : splits.Test;
        return new SampleData(train, test);
    }
}

/// <summary>
/// What a checkpoint records about the run that made it (<c>sample.*</c> metadata), and how a resumed run takes
/// its settings from there.
/// </summary>
public static class RunSettings
{
    public const string ModelName = nameof(FashionAlexNet);
    public const string KindKey = "sample.kind";
    public const string MetricsKey = "sample.metrics";
    public const string AugmentRandomKey = "sample.augment_random";
    private const string ModelKey = "sample.model";
    private const string OptimizerKey = "sample.optimizer";
    private const string LearningRateKey = "sample.lr";
    private const string BatchSizeKey = "sample.batch_size";
    private const string SeedKey = "sample.seed";
    private const string EpochsKey = "sample.epochs";
    private const string TrainCountKey = "sample.train_count";
    private const string TestCountKey = "sample.test_count";
    private const string AugmentKey = "sample.augment";
    private const string MirrorKey = "sample.mirrored_evaluation";
    private const string LabelSmoothingKey = "sample.label_smoothing";

    /// <summary>Metadata of best.safetensors: the weights and the epoch and accuracy they reached.</summary>
    public static Dictionary<string, string> WeightsMetadata(SampleOptions o, EpochRow row) => new(StringComparer.Ordinal)
    {
        [KindKey] = "weights",
        [ModelKey] = ModelName,
        ["sample.epoch"] = row.Epoch.ToString(CultureInfo.InvariantCulture),
        ["sample.test_accuracy"] = row.TestAccuracy.ToString("R", CultureInfo.InvariantCulture),
        ["sample.normalization"] = string.Create(CultureInfo.InvariantCulture,
            $"(pixel/255 - {FashionMnist.Normalization.Mean[0]}) / {FashionMnist.Normalization.Std[0]}"),
        [OptimizerKey] = o.Optimizer!,
        [SeedKey] = o.Seed!.Value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The <c>sample.*</c> part of last.safetensors (the trainer's state is added beside it).</summary>
    public static Dictionary<string, string> TrainingMetadata(SampleOptions o, MetricsLog metrics, int trainCount, int testCount) => new(StringComparer.Ordinal)
    {
        [KindKey] = "training",
        [ModelKey] = ModelName,
        [OptimizerKey] = o.Optimizer!,
        [LearningRateKey] = o.LearningRate!.Value.ToString("R", CultureInfo.InvariantCulture),
        [BatchSizeKey] = o.BatchSize!.Value.ToString(CultureInfo.InvariantCulture),
        [SeedKey] = o.Seed!.Value.ToString(CultureInfo.InvariantCulture),
        [EpochsKey] = o.Epochs!.Value.ToString(CultureInfo.InvariantCulture),
        [TrainCountKey] = trainCount.ToString(CultureInfo.InvariantCulture),
        [TestCountKey] = testCount.ToString(CultureInfo.InvariantCulture),
        [AugmentKey] = AugmentationName(o),
        [MirrorKey] = o.Mirror ? "1" : "0",
        [LabelSmoothingKey] = o.LabelSmoothing!.Value.ToString("R", CultureInfo.InvariantCulture),
        [MetricsKey] = metrics.ToCsv(),
    };

    /// <summary>
    /// Takes the run's settings from a training checkpoint. Settings given on the command line must agree with it,
    /// because the optimizer, schedule and data order depend on them and the run would not continue exactly.
    /// </summary>
    public static void MergeFromCheckpoint(SampleOptions o, IReadOnlyDictionary<string, string> metadata, string path)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v)
            ? v
            : throw new SampleException($"{path} lacks '{key}': it was not written by this sample's training.", 1);
        string kind = Get(KindKey);
        if (kind != "training")
            throw new UsageException($"{path} holds weights only ({kind}); resume from the {TrainCommand.LastFile} of a run, which also holds the optimizer and generator state.");
        if (Get(ModelKey) != ModelName) throw new UsageException($"{path} is a {Get(ModelKey)} checkpoint, not {ModelName}.");

        o.Optimizer = Same("--optimizer", o.Optimizer, Get(OptimizerKey));
        o.LearningRate = Same("--lr", o.LearningRate, double.Parse(Get(LearningRateKey), CultureInfo.InvariantCulture));
        o.BatchSize = Same("--batch-size", o.BatchSize, int.Parse(Get(BatchSizeKey), CultureInfo.InvariantCulture));
        o.Seed = Same("--seed", o.Seed, ulong.Parse(Get(SeedKey), CultureInfo.InvariantCulture));
        o.LabelSmoothing = Same("--label-smoothing", o.LabelSmoothing, double.Parse(Get(LabelSmoothingKey), CultureInfo.InvariantCulture));
        o.Epochs = Same("--epochs", o.Epochs, int.Parse(Get(EpochsKey), CultureInfo.InvariantCulture));
        int trainCount = int.Parse(Get(TrainCountKey), CultureInfo.InvariantCulture);
        if (o.TrainLimit is int limit && Math.Min(limit, 60_000) != trainCount)
            throw new UsageException($"--train-limit {limit} differs from the {trainCount} training images of the run in {path}; a resumed run keeps its data.");
        o.TrainLimit = trainCount;
        o.TestLimit ??= int.Parse(Get(TestCountKey), CultureInfo.InvariantCulture);
        string augmentation = Get(AugmentKey);
        bool crop = augmentation is "crop+flip" or "crop", flip = augmentation is "crop+flip" or "flip";
        if (augmentation is not ("none" or "flip" or "crop" or "crop+flip"))
            throw new SampleException($"{path} has an unknown augmentation '{augmentation}'.", 1);
        if ((o.Augment && !crop) || (!o.Flip && flip))
            throw new UsageException($"The augmentation options differ from the run in {path} ({augmentation}); a resumed run keeps its settings.");
        o.Augment = crop;
        o.Flip = flip;
        bool mirror = Get(MirrorKey) == "1";
        if (!o.Mirror && mirror)
            throw new UsageException($"--no-mirror differs from the run in {path}, which evaluates with mirror images; a resumed run keeps its settings.");
        o.Mirror = mirror;
    }

    /// <summary>"none", "flip", "crop" or "crop+flip": the training augmentation of a run.</summary>
    public static string AugmentationName(SampleOptions o) => (o.Augment, o.Flip) switch
    {
        (true, true) => "crop+flip",
        (true, false) => "crop",
        (false, true) => "flip",
        _ => "none",
    };

    public static string Describe(SampleOptions o, SampleData data, Trainer trainer, bool resumed)
    {
        string optimizer = o.Optimizer == "adamw"
            ? "AdamW (weight decay 0.05)"
            : "SGD (Nesterov momentum 0.9, weight decay 5e-4)";
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{ModelName}, {FashionAlexNet.ParameterCount:N0} parameters. Training on {data.Train.Count:N0} images, testing on {data.Test.Count:N0}.\n" +
            $"{optimizer}, peak lr {o.LearningRate} with warmup and per-step cosine decay over {o.Epochs} epochs, batch {o.BatchSize}, " +
            $"label smoothing {o.LabelSmoothing}, " +
            $"seed {o.Seed}, augmentation {AugmentationName(o)}, test images {(o.Mirror ? "averaged with their mirror image" : "evaluated once")}, " +
            $"{AlexNet.Gen.Kernels.StaticParallel.ThreadCount} thread(s).");
        if (resumed)
            text += string.Create(CultureInfo.InvariantCulture, $"\nResuming {o.ResumePath} at epoch {trainer.Epoch + 1}, batch {trainer.StepInEpoch}/{trainer.StepsPerEpoch}.");
        if (o.StopAfter is int stop) text += string.Create(CultureInfo.InvariantCulture, $"\nThis run stops after epoch {stop}.");
        return text;
    }

    private static T Same<T>(string option, T? given, T saved) where T : struct, IEquatable<T>
    {
        if (given is T value && !value.Equals(saved))
            throw new UsageException($"{option} {value} differs from the checkpoint's {saved}; a resumed run keeps its settings (drop the option).");
        return saved;
    }

    private static string Same(string option, string? given, string saved)
    {
        if (given is not null && given != saved)
            throw new UsageException($"{option} {given} differs from the checkpoint's {saved}; a resumed run keeps its settings (drop the option).");
        return saved;
    }
}
