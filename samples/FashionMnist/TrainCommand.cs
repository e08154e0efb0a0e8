using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using AlexNet.Gen;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Data;
using AlexNet.Gen.Training;
using Spectre.Console;

namespace FashionMnistSample;

/// <summary>
/// Training: data, model, optimizer and schedule from the options (or from the checkpoint being resumed), the
/// trainer's fit loop with a live or plain display, checkpoints and metrics after every epoch, and the final
/// per-class report of the best checkpoint.
/// </summary>
public static class TrainCommand
{
    public const string BestFile = "best.safetensors";
    public const string LastFile = "last.safetensors";
    public const string MetricsFile = "metrics.csv";
    public const string CurvesFile = "training.png";

    // Augmentation: mirror (footwear in Fashion-MNIST always points left, so the flips teach both orientations, which
    // the mirrored evaluation then uses) and, with --augment, shift by up to 2 pixels.
    private const int CropPadding = 2;
    private const ulong AugmentationSeedOffset = 0x9E3779B97F4A7C15UL;
    private const double SgdMomentum = 0.9;
    private const double SgdWeightDecay = 5e-4;
    private const double AdamWWeightDecay = 0.05;
    private const int EvaluationBatchSize = 500;

    public static int Run(SampleOptions options, IAnsiConsole console, bool plain)
    {
        var clock = Stopwatch.StartNew();
        CheckpointContents? resume = null;
        if (options.ResumePath is not null)
        {
            resume = Checkpoint.Read(options.ResumePath);
            RunSettings.MergeFromCheckpoint(options, resume.Metadata, options.ResumePath);
        }
        options.ApplyDefaults();
        if (options.Threads is int threads) AlexNet.Gen.Kernels.StaticParallel.ThreadCount = threads;

        var data = SampleData.Load(options.DataDirectory, options.TrainLimit, options.TestLimit);
        Directory.CreateDirectory(options.OutputDirectory);
        string bestPath = Path.Combine(options.OutputDirectory, BestFile);
        string lastPath = Path.Combine(options.OutputDirectory, LastFile);

        int epochs = options.Epochs!.Value, batch = options.BatchSize!.Value;
        ulong seed = options.Seed!.Value;
        var model = new FashionAlexNet(checked((int)seed));
        var network = (INetwork)model;
        IOptimizer optimizer = options.Optimizer == "adamw"
            ? new AdamW(network.Parameters, options.LearningRate!.Value, weightDecay: AdamWWeightDecay)
            : new Sgd(network.Parameters, options.LearningRate!.Value, SgdMomentum, 0, SgdWeightDecay, nesterov: true);
        int stepsPerEpoch = (data.Train.Count + batch - 1) / batch;
        // Cosine decay over the whole run, per step, after a short linear warmup (a third of an epoch, at most 150 steps).
        var schedule = new LinearWarmup(new CosineAnnealing(options.LearningRate!.Value, epochs, 0, perStep: true),
            Math.Max(1, Math.Min(150, stepsPerEpoch / 3)), startFactor: 0.1);
        var trainData = new AugmentedData(data.Train, options.Augment ? CropPadding : 0, options.Flip, seed ^ AugmentationSeedOffset);
        var testData = new InMemoryData(data.Test.Images, data.Test.Labels, data.Test.SampleLength);
        ITrainingDisplay display = plain ? new PlainDisplay(console.WriteLine) : new LiveDisplay(console);
        var trainer = new Trainer(network, optimizer, trainData, testData, schedule, new TrainerOptions
        {
            Epochs = options.StopAfter ?? epochs,
            BatchSize = batch,
            Seed = seed,
            LabelSmoothing = (float)options.LabelSmoothing!.Value,
            EvaluationBatchSize = EvaluationBatchSize,
            MirroredEvaluation = options.Mirror,
            ProgressInterval = display.ProgressInterval(stepsPerEpoch),
        });

        var metrics = new MetricsLog();
        double bestAccuracy = double.NegativeInfinity;
        if (resume is not null)
        {
            Checkpoint.Load(options.ResumePath!, network.Parameters);
            var state = new TrainingState();
            foreach (var (key, value) in resume.Metadata) state.Metadata[key] = value;
            foreach (var t in resume.Tensors)
            {
                if (t.Name.StartsWith("optimizer.", StringComparison.Ordinal)) state.AddTensor(new StateTensor(t.Name, t.Shape, t.Data));
            }
            trainer.SetState(state);
            trainData.Random.SetState(state.GetWords(RunSettings.AugmentRandomKey));
            metrics = MetricsLog.Parse(state.GetString(RunSettings.MetricsKey));
            // The best checkpoint lives in the output folder; without it, the next epoch starts a new best.
            if (File.Exists(bestPath) && metrics.Rows.Count > 0) bestAccuracy = metrics.Best().Accuracy;
        }

        console.MarkupLine(Markup.Escape(RunSettings.Describe(options, data, trainer, resume is not null)));
        if (trainer.Epoch >= epochs)
            console.MarkupLine(Markup.Escape($"The run in {options.ResumePath} has finished all {epochs} epochs; nothing left to train."));
        var observer = new EpochObserver(display, metrics, data.Train.Count, batch, epochs, trainer.StepInEpoch, row =>
        {
            bool isBest = row.TestAccuracy > bestAccuracy;
            if (isBest)
            {
                bestAccuracy = row.TestAccuracy;
                Checkpoint.Save(bestPath, network.Parameters, RunSettings.WeightsMetadata(options, row));
            }
            SaveTrainingCheckpoint(lastPath, trainer, trainData, options, metrics, data);
            metrics.Write(Path.Combine(options.OutputDirectory, MetricsFile));
            return isBest;
        });

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl+C: stop after the current batch and save; a second one kills the process as usual.
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            display.Run(() => trainer.Fit(observer, cancel.Token));
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        if (metrics.Rows.Count > 0) Reports.SaveTrainingCurves(Path.Combine(options.OutputDirectory, CurvesFile), metrics.Rows);
        if (trainer.History.StopReason == StopReason.Cancelled)
        {
            SaveTrainingCheckpoint(lastPath, trainer, trainData, options, metrics, data);
            console.MarkupLine(Markup.Escape($"Interrupted at epoch {trainer.Epoch + 1}, batch {trainer.StepInEpoch}/{trainer.StepsPerEpoch}. " +
                $"Continue exactly from here with: --resume {lastPath}"));
            return 130;
        }
        if (metrics.Rows.Count == 0)
        {
            console.MarkupLine("No epoch has finished yet: nothing to report.");
            return 0;
        }

        var (best, bestEpoch) = metrics.Best();
        double trainSeconds = 0, images = 0;
        foreach (var r in metrics.Rows)
        {
            trainSeconds += r.TrainSeconds;
            images += r.ImagesPerSecond * r.TrainSeconds;
        }
        console.WriteLine();
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Best test accuracy: {100 * best:F2} % (epoch {bestEpoch}) -> {bestPath}")));
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Wall time {DisplayText.Duration(clock.Elapsed)}; training {DisplayText.Rate(images / Math.Max(trainSeconds, 1e-9))} on {AlexNet.Gen.Kernels.StaticParallel.ThreadCount} thread(s)")));
        console.MarkupLine(Markup.Escape($"Wrote {Path.Combine(options.OutputDirectory, MetricsFile)}, {Path.Combine(options.OutputDirectory, CurvesFile)}, {lastPath}"));
        if (trainer.Epoch < epochs)
            console.MarkupLine(Markup.Escape($"Stopped after epoch {trainer.Epoch} of {epochs}; continue with: --resume {lastPath}"));

        if (File.Exists(bestPath))
        {
            var bestModel = new FashionAlexNet(0);
            Checkpoint.Load(bestPath, ((INetwork)bestModel).Parameters);
            var report = Evaluation.Evaluate(bestModel, data.Test, EvaluationBatchSize, options.Mirror);
            console.WriteLine();
            Reports.PrintClassTables(console, report, FashionMnist.ClassNames,
                $"Test set, best checkpoint (epoch {bestEpoch}): {Reports.Percent(report.Accuracy)} of {report.Count:N0} images");
        }
        return 0;
    }

    /// <summary>last.safetensors: the parameters plus everything needed to resume exactly.</summary>
    private static void SaveTrainingCheckpoint(string path, Trainer trainer, AugmentedData trainData, SampleOptions options, MetricsLog metrics, SampleData data)
    {
        var state = trainer.GetState();
        var metadata = new Dictionary<string, string>(state.Metadata, StringComparer.Ordinal);
        foreach (var (key, value) in RunSettings.TrainingMetadata(options, metrics, data.Train.Count, data.Test.Count)) metadata[key] = value;
        var words = trainData.Random.GetState();
        var wordsText = new string[words.Length];
        for (int i = 0; i < words.Length; i++) wordsText[i] = words[i].ToString(CultureInfo.InvariantCulture);
        metadata[RunSettings.AugmentRandomKey] = string.Join(",", wordsText);
        var tensors = new List<NamedTensor>(state.Tensors.Count);
        foreach (var t in state.Tensors) tensors.Add(new NamedTensor(t.Name, t.Shape, t.Data));
        Checkpoint.Save(path, trainer.Network.Parameters, metadata, tensors);
    }
}

/// <summary>
/// Receives the trainer's progress reports (synchronously, on the training thread): batch reports go to the
/// display; at the end of an epoch it times the epoch, records the metrics row, lets the caller save checkpoints
/// and then shows the epoch.
/// </summary>
public sealed class EpochObserver : IProgress<TrainingProgress>
{
    private readonly ITrainingDisplay _display;
    private readonly MetricsLog _metrics;
    private readonly int _trainCount;
    private readonly int _batchSize;
    private readonly int _totalEpochs;
    private readonly Func<EpochRow, bool> _onEpoch;
    private long _epochStart;
    private long _trainEnd;
    private int _firstStep;
    private int _epochsThisRun;

    /// <param name="firstStep">Batches of the current epoch already done before this run (resumed mid-epoch).</param>
    /// <param name="onEpoch">Saves what the epoch produced; returns whether it is the best so far.</param>
    public EpochObserver(ITrainingDisplay display, MetricsLog metrics, int trainCount, int batchSize, int totalEpochs, int firstStep,
        Func<EpochRow, bool> onEpoch)
    {
        _display = display ?? throw new ArgumentNullException(nameof(display));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _onEpoch = onEpoch ?? throw new ArgumentNullException(nameof(onEpoch));
        _trainCount = trainCount;
        _batchSize = batchSize;
        _totalEpochs = totalEpochs;
        _firstStep = firstStep;
        _epochStart = Stopwatch.GetTimestamp();
    }

    public void Report(TrainingProgress value)
    {
        if (value.Kind == ProgressKind.Batch)
        {
            if (value.Step == value.StepsPerEpoch) _trainEnd = Stopwatch.GetTimestamp();
            // The trainer's total is this run's (--stop-after); show the schedule's.
            _display.Batch(value with { TotalEpochs = _totalEpochs });
            return;
        }
        var m = value.Metrics ?? throw new InvalidOperationException("An epoch report without metrics.");
        double trainSeconds = Stopwatch.GetElapsedTime(_epochStart, _trainEnd).TotalSeconds;
        long images = Math.Min(_trainCount, (long)value.StepsPerEpoch * _batchSize) - Math.Min(_trainCount, (long)_firstStep * _batchSize);
        var row = new EpochRow(m.Epoch + 1, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy, m.LearningRate,
            trainSeconds, m.Seconds, images / Math.Max(trainSeconds, 1e-9));
        _metrics.Add(row);
        bool isBest = _onEpoch(row);
        _epochsThisRun++;
        // ETA for the whole schedule (not just this run's --stop-after part), from this run's mean epoch time.
        var eta = TimeSpan.FromSeconds(value.Elapsed.TotalSeconds / _epochsThisRun * (_totalEpochs - row.Epoch));
        _display.Epoch(row, _totalEpochs, eta, isBest);
        _firstStep = 0;
        _epochStart = Stopwatch.GetTimestamp();
    }
}
