using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AlexNet.Gen.Training;

/// <summary>A per-epoch quantity the trainer can monitor for early stopping and plateau schedules.</summary>
public enum MonitorMetric
{
    /// <summary>Mean validation cross-entropy (lower is better).</summary>
    ValidationLoss,

    /// <summary>Validation top-1 accuracy (higher is better).</summary>
    ValidationAccuracy,

    /// <summary>Mean training loss of the epoch (lower is better).</summary>
    TrainingLoss,

    /// <summary>Training accuracy of the epoch, dropout active (higher is better).</summary>
    TrainingAccuracy,
}

/// <summary>Why the last <see cref="Trainer.Fit"/> returned.</summary>
public enum StopReason
{
    /// <summary>All requested epochs ran.</summary>
    Completed,

    /// <summary>The monitored metric did not improve for <see cref="TrainerOptions.EarlyStoppingPatience"/> epochs.</summary>
    EarlyStopped,

    /// <summary>The cancellation token fired; the trainer stopped between two batches and can be resumed.</summary>
    Cancelled,
}

/// <summary>Settings of a <see cref="Trainer"/>; copied when the trainer is made.</summary>
public sealed class TrainerOptions
{
    /// <summary>Total epochs to reach (a resumed trainer continues from its epoch up to this).</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Samples per optimizer step (the AlexNet paper used 128).</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Seed of the shuffling generator.</summary>
    public ulong Seed { get; set; }

    /// <summary>Reshuffle the training set every epoch (otherwise samples come in order).</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Skip the last partial batch of each epoch.</summary>
    public bool DropLast { get; set; }

    /// <summary>Label smoothing ε in [0, 1) passed to the network's backward pass.</summary>
    public float LabelSmoothing { get; set; }

    /// <summary>Clip the global gradient norm to this value before each step; null disables clipping.</summary>
    public float? GradientClipNorm { get; set; }

    /// <summary>Stop after this many consecutive epochs without improvement; 0 disables early stopping.</summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>What early stopping watches; null means validation loss when there is validation data, else training loss.</summary>
    public MonitorMetric? EarlyStoppingMetric { get; set; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double EarlyStoppingMinDelta { get; set; }

    /// <summary>What the schedule's <see cref="ILearningRateSchedule.EpochCompleted"/> receives; null as for early stopping.</summary>
    public MonitorMetric? ScheduleMetric { get; set; }

    /// <summary>Report batch progress every this many batches (the last batch of an epoch is always reported).</summary>
    public int ProgressInterval { get; set; } = 1;

    /// <summary>Batch size of <see cref="Trainer.Evaluate"/>; 0 means <see cref="BatchSize"/>.</summary>
    public int EvaluationBatchSize { get; set; }

    /// <summary>
    /// Test-time reflections, as the AlexNet paper evaluates: <see cref="Trainer.Evaluate"/> also runs every image
    /// mirrored left–right and averages the two class-probability vectors (softmax of the logits, or the network's
    /// probabilities) before taking the loss and the top-1 class. Doubles the cost of evaluation. Off by default.
    /// </summary>
    public bool MirroredEvaluation { get; set; }

    internal TrainerOptions Clone() => (TrainerOptions)MemberwiseClone();

    internal void Validate()
    {
        if (Epochs < 0) throw new ArgumentException($"Invalid Epochs {Epochs}: it must be non-negative.", nameof(Epochs));
        if (BatchSize < 1) throw new ArgumentException($"Invalid BatchSize {BatchSize}: it must be positive.", nameof(BatchSize));
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
            throw new ArgumentException($"Invalid LabelSmoothing {LabelSmoothing}: it must lie in [0, 1).", nameof(LabelSmoothing));
        if (GradientClipNorm is float clip && !(float.IsFinite(clip) && clip > 0))
            throw new ArgumentException($"Invalid GradientClipNorm {clip}: it must be positive and finite.", nameof(GradientClipNorm));
        if (EarlyStoppingPatience < 0)
            throw new ArgumentException($"Invalid EarlyStoppingPatience {EarlyStoppingPatience}: it must be non-negative.", nameof(EarlyStoppingPatience));
        if (!(double.IsFinite(EarlyStoppingMinDelta) && EarlyStoppingMinDelta >= 0))
            throw new ArgumentException($"Invalid EarlyStoppingMinDelta {EarlyStoppingMinDelta}: it must be finite and non-negative.", nameof(EarlyStoppingMinDelta));
        if (ProgressInterval < 1) throw new ArgumentException($"Invalid ProgressInterval {ProgressInterval}: it must be positive.", nameof(ProgressInterval));
        if (EvaluationBatchSize < 0)
            throw new ArgumentException($"Invalid EvaluationBatchSize {EvaluationBatchSize}: it must be non-negative.", nameof(EvaluationBatchSize));
    }
}

/// <summary>What one training step did.</summary>
/// <param name="Loss">Mean cross-entropy of the batch as the network's backward pass returned it.</param>
/// <param name="Correct">Samples whose output argmax equals the label (dropout active).</param>
/// <param name="BatchSize">Samples in the batch.</param>
/// <param name="GradientNorm">Global gradient norm before clipping; NaN when clipping is off (not computed).</param>
public readonly record struct StepResult(float Loss, int Correct, int BatchSize, double GradientNorm);

/// <summary>Metrics of one finished epoch (epochs are 0-based). Validation values are NaN without validation data.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss,
    double ValidationAccuracy, double LearningRate, double Seconds);

/// <summary>Whether a progress report is about a batch or a finished epoch.</summary>
public enum ProgressKind
{
    Batch,
    Epoch,
}

/// <summary>
/// A progress report. For a batch, Loss and Accuracy are the running means of the epoch so far; for an epoch they
/// are its training metrics and <see cref="Metrics"/> holds the full row. Rates and ETA cover the current
/// <see cref="Trainer.Fit"/> call.
/// </summary>
public readonly record struct TrainingProgress(ProgressKind Kind, int Epoch, int TotalEpochs, int Step, int StepsPerEpoch,
    long GlobalStep, double BatchLoss, double Loss, double Accuracy, double LearningRate, double ImagesPerSecond,
    TimeSpan Elapsed, TimeSpan Eta, EpochMetrics? Metrics);

/// <summary>Loss and accuracy of a model on a data set (inference mode).</summary>
/// <param name="ConfusionMatrix">[actual, predicted] counts when requested, else null.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, int Count, int Correct, int[,]? ConfusionMatrix);

/// <summary>Per-epoch metrics of a trainer (kept across <see cref="Trainer.Fit"/> calls and in its state).</summary>
public sealed class TrainingHistory
{
    private const string Header = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds";
    private readonly List<EpochMetrics> _epochs = new();

    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>Why the last <see cref="Trainer.Fit"/> returned.</summary>
    public StopReason StopReason { get; internal set; }

    /// <summary>The epoch with the best monitored metric so far, −1 before the first epoch.</summary>
    public int BestEpoch { get; internal set; } = -1;

    internal void Add(EpochMetrics metrics) => _epochs.Add(metrics);

    internal void Clear() => _epochs.Clear();

    /// <summary>The rows as CSV with a header; numbers in invariant round-trip form.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var e in _epochs)
        {
            sb.Append(e.Epoch.ToString(CultureInfo.InvariantCulture));
            foreach (double v in new[] { e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, e.LearningRate, e.Seconds })
                sb.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Reads rows written by <see cref="ToCsv"/>.</summary>
    public static IReadOnlyList<EpochMetrics> ParseCsv(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != Header) throw new ArgumentException("The history CSV lacks its header.", nameof(csv));
        var rows = new List<EpochMetrics>();
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            if (f.Length != 7 || !int.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch))
                throw new ArgumentException($"History line {i} '{lines[i]}' is malformed.", nameof(csv));
            var v = new double[6];
            for (int j = 0; j < 6; j++)
            {
                if (!double.TryParse(f[j + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[j]))
                    throw new ArgumentException($"History line {i} field {j + 1} '{f[j + 1]}' is not a number.", nameof(csv));
            }
            rows.Add(new EpochMetrics(epoch, v[0], v[1], v[2], v[3], v[4], v[5]));
        }
        return rows;
    }
}
