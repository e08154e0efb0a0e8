using System;
using System.Diagnostics;
using System.Threading;

namespace AlexNet.Gen.Training;

/// <summary>
/// A fit loop for any <see cref="INetwork"/>: shuffled mini-batches, a schedule applied before every step,
/// optional clipping, validation after every epoch, early stopping and progress reports. Buffers for a batch
/// are allocated once, so a step allocates nothing. All state needed to resume bit-exactly (epoch, step,
/// shuffle generator, optimizer, schedule, early stopping, history) round-trips through
/// <see cref="GetState"/> / <see cref="SetState"/>; 2 epochs + resume 2 gives what 4 epochs straight give.
/// </summary>
public sealed partial class Trainer
{
    /// <summary>Probabilities are clamped to this before the log, so a confident mistake costs at most ~27.6.</summary>
    public const double MinProbability = 1e-12;

    private readonly INetwork _network;
    private readonly IOptimizer _optimizer;
    private readonly ILearningRateSchedule? _schedule;
    private readonly ITrainingData _trainingData;
    private readonly ITrainingData? _validationData;
    private readonly TrainerOptions _options;
    private readonly MonitorMetric _stoppingMetric;
    private readonly MonitorMetric _scheduleMetric;
    private readonly int[] _order;
    private readonly float[] _images;
    private readonly int[] _labels;
    private readonly float[] _outputs;
    private float[]? _evalImages;
    private int[]? _evalLabels;
    private float[]? _evalOutputs;
    private float[]? _mirrorImages, _mirrorOutputs;
    private double[]? _averaged;
    private int[]? _evalIndices;

    // The shuffle generator's state when the current epoch began; regenerates its permutation after a resume.
    private ulong[] _epochStartRandom;
    private double _epochLossSum;
    private long _epochCorrect;
    private long _epochSeen;
    private double _epochSeconds;
    private double _lastLearningRate;
    private double _bestMetric;
    private int _badEpochs;

    /// <param name="network">The model to train.</param>
    /// <param name="optimizer">Must update <c>network.Parameters</c>.</param>
    /// <param name="trainingData">Samples of <c>network.InputLength</c> floats.</param>
    /// <param name="validationData">Evaluated after every epoch when given.</param>
    /// <param name="schedule">Sets the optimizer's rate before each step; null keeps the optimizer's rate.</param>
    /// <param name="options">Copied; defaults when null.</param>
    public Trainer(INetwork network, IOptimizer optimizer, ITrainingData trainingData, ITrainingData? validationData = null,
        ILearningRateSchedule? schedule = null, TrainerOptions? options = null)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _trainingData = trainingData ?? throw new ArgumentNullException(nameof(trainingData));
        _validationData = validationData;
        _schedule = schedule;
        _options = (options ?? new TrainerOptions()).Clone();
        _options.Validate();
        if (!ReferenceEquals(optimizer.Parameters, network.Parameters))
            throw new ArgumentException("The optimizer updates a different ParameterCollection than the network's.", nameof(optimizer));
        if (network.InputLength < 1 || network.OutputLength < 1)
            throw new ArgumentException($"The network has input length {network.InputLength} and output length {network.OutputLength}.", nameof(network));
        CheckData(trainingData, nameof(trainingData));
        if (validationData is not null) CheckData(validationData, nameof(validationData));

        int b = _options.BatchSize;
        StepsPerEpoch = _options.DropLast ? trainingData.Count / b : (int)(((long)trainingData.Count + b - 1) / b);
        if (StepsPerEpoch < 1)
            throw new ArgumentException($"With DropLast, {trainingData.Count} samples make no batch of {b}.", nameof(options));

        MonitorMetric fallback = validationData is null ? MonitorMetric.TrainingLoss : MonitorMetric.ValidationLoss;
        _stoppingMetric = _options.EarlyStoppingMetric ?? fallback;
        _scheduleMetric = _options.ScheduleMetric ?? fallback;
        if (validationData is null && _options.EarlyStoppingPatience > 0 && IsValidationMetric(_stoppingMetric))
            throw new ArgumentException($"Early stopping on {_stoppingMetric} needs validation data.", nameof(validationData));
        if (validationData is null && schedule is not null && IsValidationMetric(_scheduleMetric))
            throw new ArgumentException($"The schedule metric {_scheduleMetric} needs validation data.", nameof(validationData));

        _order = new int[trainingData.Count];
        _images = new float[b * network.InputLength];
        _labels = new int[b];
        _outputs = new float[b * network.OutputLength];
        ShuffleRandom = new SeededRandom(_options.Seed);
        _epochStartRandom = ShuffleRandom.GetState();
        _bestMetric = Minimizes(_stoppingMetric) ? double.PositiveInfinity : double.NegativeInfinity;
        _lastLearningRate = optimizer.LearningRate;
    }

    public INetwork Network => _network;
    public IOptimizer Optimizer => _optimizer;
    public ILearningRateSchedule? Schedule => _schedule;

    /// <summary>A copy of the options in use.</summary>
    public TrainerOptions Options => _options.Clone();

    /// <summary>Shuffles the training set; its state belongs in a checkpoint (see <see cref="GetState"/>).</summary>
    public SeededRandom ShuffleRandom { get; }

    /// <summary>The current epoch (0-based): epochs completed so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Batches done in the current epoch (0 between epochs).</summary>
    public int StepInEpoch { get; private set; }

    /// <summary>Optimizer steps taken by this trainer (and the runs it resumed).</summary>
    public long GlobalStep { get; private set; }

    public int StepsPerEpoch { get; }

    /// <summary>All finished epochs.</summary>
    public TrainingHistory History { get; } = new();

    /// <summary>
    /// Trains from the current position until <see cref="TrainerOptions.Epochs"/> epochs are done, early stopping
    /// fires, or <paramref name="cancellationToken"/> is cancelled (checked before each batch; the trainer then
    /// stops cleanly mid-epoch and can be saved and resumed). Progress is reported synchronously on this thread.
    /// </summary>
    public TrainingHistory Fit(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        long fitStart = Stopwatch.GetTimestamp();
        long stepsDone = 0, imagesDone = 0;
        long stepsToGo = Math.Max(0, (long)(_options.Epochs - Epoch) * StepsPerEpoch - StepInEpoch);
        int b = _options.BatchSize, d = _network.InputLength, count = _trainingData.Count;
        History.StopReason = StopReason.Completed;

        while (Epoch < _options.Epochs)
        {
            if (EarlyStopReached)
            {
                History.StopReason = StopReason.EarlyStopped;
                return History;
            }
            if (StepInEpoch == 0)
            {
                _epochStartRandom = ShuffleRandom.GetState();
                ResetEpochSums();
            }
            else
            {
                // Resuming mid-epoch: draw the same permutation the epoch began with.
                ShuffleRandom.SetState(_epochStartRandom);
            }
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            if (_options.Shuffle) ShuffleRandom.Shuffle(_order.AsSpan());

            long epochClock = Stopwatch.GetTimestamp();
            double secondsBefore = _epochSeconds;
            while (StepInEpoch < StepsPerEpoch)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    _epochSeconds = secondsBefore + Stopwatch.GetElapsedTime(epochClock).TotalSeconds;
                    // Before the first batch, leave the generator where the epoch began so a resume shuffles alike.
                    if (StepInEpoch == 0) ShuffleRandom.SetState(_epochStartRandom);
                    History.StopReason = StopReason.Cancelled;
                    return History;
                }
                int step = StepInEpoch;
                int start = step * b;
                int batch = Math.Min(b, count - start);
                var images = _images.AsSpan(0, batch * d);
                var labels = _labels.AsSpan(0, batch);
                _trainingData.CopyBatch(_order.AsSpan(start, batch), images, labels);
                if (_schedule is not null) _optimizer.LearningRate = _schedule.GetLearningRate(Epoch, step, StepsPerEpoch);
                _lastLearningRate = _optimizer.LearningRate;

                var result = TrainStep(images, labels);
                _epochLossSum += (double)result.Loss * batch;
                _epochCorrect += result.Correct;
                _epochSeen += batch;
                StepInEpoch++;
                GlobalStep++;
                stepsDone++;
                imagesDone += batch;

                if (progress is not null && (StepInEpoch % _options.ProgressInterval == 0 || StepInEpoch == StepsPerEpoch))
                {
                    var elapsed = Stopwatch.GetElapsedTime(fitStart);
                    progress.Report(new TrainingProgress(ProgressKind.Batch, Epoch, _options.Epochs, StepInEpoch, StepsPerEpoch,
                        GlobalStep, result.Loss, _epochLossSum / _epochSeen, (double)_epochCorrect / _epochSeen, _lastLearningRate,
                        imagesDone / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed, Eta(elapsed, stepsDone, stepsToGo), null));
                }
            }

            var metrics = FinishEpoch(epochClock, secondsBefore);
            if (progress is not null)
            {
                var elapsed = Stopwatch.GetElapsedTime(fitStart);
                progress.Report(new TrainingProgress(ProgressKind.Epoch, metrics.Epoch, _options.Epochs, StepsPerEpoch, StepsPerEpoch,
                    GlobalStep, double.NaN, metrics.TrainLoss, metrics.TrainAccuracy, metrics.LearningRate,
                    imagesDone / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed, Eta(elapsed, stepsDone, stepsToGo), metrics));
            }
        }
        if (EarlyStopReached) History.StopReason = StopReason.EarlyStopped;
        return History;
    }

    /// <summary>
    /// One optimization step on a caller's batch (labels.Length samples, at most <see cref="TrainerOptions.BatchSize"/>):
    /// training forward, backward with label smoothing, optional clipping, optimizer step. Uses the optimizer's
    /// current rate and does not move the epoch/step counters. Allocates nothing when the network does not.
    /// </summary>
    public StepResult TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels)
    {
        int batch = labels.Length, k = _network.OutputLength;
        if (batch < 1 || batch > _options.BatchSize)
            throw new ArgumentException($"A step takes 1 to {_options.BatchSize} samples, not {batch}.", nameof(labels));
        if (images.Length != batch * _network.InputLength)
            throw new ArgumentException($"{batch} samples need {batch * _network.InputLength} image floats, not {images.Length}.", nameof(images));
        CheckLabels(labels, k);

        var output = _outputs.AsSpan(0, batch * k);
        _network.ForwardTraining(images, output, batch);
        int correct = 0;
        for (int n = 0; n < batch; n++)
        {
            if (ArgMax(output.Slice(n * k, k)) == labels[n]) correct++;
        }
        float loss = _network.Backward(labels, _options.LabelSmoothing);
        double norm = _options.GradientClipNorm is float clip
            ? GradientClipping.ClipByGlobalNorm(_network.Parameters, clip)
            : double.NaN;
        _optimizer.Step();
        return new StepResult(loss, correct, batch, norm);
    }

    /// <summary>
    /// Mean cross-entropy and top-1 accuracy of inference <see cref="INetwork.Forward"/> over <paramref name="data"/>,
    /// in order. The loss is −log p[label] (p clamped to <see cref="MinProbability"/>) for softmax outputs and a
    /// double-precision log-sum-exp for logits.
    /// </summary>
    public EvaluationResult Evaluate(ITrainingData data, bool confusionMatrix = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data, nameof(data));
        int eb = _options.EvaluationBatchSize > 0 ? _options.EvaluationBatchSize : _options.BatchSize;
        int d = _network.InputLength, k = _network.OutputLength, count = data.Count;
        float[] images;
        int[] labels;
        float[] outputs;
        if (eb <= _options.BatchSize)
        {
            (images, labels, outputs) = (_images, _labels, _outputs);
        }
        else
        {
            _evalImages ??= new float[eb * d];
            _evalLabels ??= new int[eb];
            _evalOutputs ??= new float[eb * k];
            (images, labels, outputs) = (_evalImages, _evalLabels, _evalOutputs);
        }
        if (_evalIndices is null || _evalIndices.Length < eb) _evalIndices = new int[eb];

        var matrix = confusionMatrix ? new int[k, k] : null;
        double lossSum = 0;
        int correct = 0;
        bool probabilities = _network.OutputsProbabilities;
        bool mirrored = _options.MirroredEvaluation;
        if (mirrored)
        {
            if (_mirrorImages is null || _mirrorImages.Length < eb * d) _mirrorImages = new float[eb * d];
            if (_mirrorOutputs is null || _mirrorOutputs.Length < eb * k) _mirrorOutputs = new float[eb * k];
            if (_averaged is null || _averaged.Length < 2 * k) _averaged = new double[2 * k];
        }
        for (int start = 0; start < count; start += eb)
        {
            int batch = Math.Min(eb, count - start);
            var indices = _evalIndices.AsSpan(0, batch);
            for (int i = 0; i < batch; i++) indices[i] = start + i;
            var img = images.AsSpan(0, batch * d);
            var lab = labels.AsSpan(0, batch);
            var output = outputs.AsSpan(0, batch * k);
            data.CopyBatch(indices, img, lab);
            CheckLabels(lab, k);
            _network.Forward(img, output, batch);
            if (mirrored)
            {
                var mirror = _mirrorImages.AsSpan(0, batch * d);
                var mirrorOutput = _mirrorOutputs.AsSpan(0, batch * k);
                Data.ImageAugmentation.MirrorRows(img, mirror, _network.InputWidth);
                _network.Forward(mirror, mirrorOutput, batch);
                for (int n = 0; n < batch; n++)
                {
                    // Mean of the two probability vectors (the paper averages the softmax outputs of its views).
                    Span<double> p = _averaged.AsSpan(0, k), q = _averaged.AsSpan(k, k);
                    Probabilities(output.Slice(n * k, k), probabilities, p);
                    Probabilities(mirrorOutput.Slice(n * k, k), probabilities, q);
                    for (int c = 0; c < k; c++) p[c] = 0.5 * (p[c] + q[c]);
                    int label = lab[n];
                    int predicted = ArgMax(p);
                    if (predicted == label) correct++;
                    if (matrix is not null) matrix[label, predicted]++;
                    lossSum += -Math.Log(Math.Max(p[label], MinProbability));
                }
                continue;
            }
            for (int n = 0; n < batch; n++)
            {
                var row = output.Slice(n * k, k);
                int label = lab[n];
                int predicted = ArgMax(row);
                if (predicted == label) correct++;
                if (matrix is not null) matrix[label, predicted]++;
                lossSum += probabilities ? -Math.Log(Math.Max(row[label], MinProbability)) : LogitLoss(row, label);
            }
        }
        return new EvaluationResult(lossSum / count, (double)correct / count, count, correct, matrix);
    }

    private EpochMetrics FinishEpoch(long epochClock, double secondsBefore)
    {
        double trainLoss = _epochLossSum / _epochSeen;
        double trainAccuracy = (double)_epochCorrect / _epochSeen;
        double validationLoss = double.NaN, validationAccuracy = double.NaN;
        if (_validationData is not null)
        {
            var evaluation = Evaluate(_validationData);
            validationLoss = evaluation.Loss;
            validationAccuracy = evaluation.Accuracy;
        }
        double seconds = secondsBefore + Stopwatch.GetElapsedTime(epochClock).TotalSeconds;
        var metrics = new EpochMetrics(Epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, _lastLearningRate, seconds);
        History.Add(metrics);

        _schedule?.EpochCompleted(Epoch, Select(_scheduleMetric, metrics));
        double monitored = Select(_stoppingMetric, metrics);
        double delta = _options.EarlyStoppingMinDelta;
        bool improved = Minimizes(_stoppingMetric) ? monitored < _bestMetric - delta : monitored > _bestMetric + delta;
        if (improved)
        {
            _bestMetric = monitored;
            _badEpochs = 0;
            History.BestEpoch = Epoch;
        }
        else
        {
            _badEpochs++;
        }
        Epoch++;
        StepInEpoch = 0;
        ResetEpochSums();
        return metrics;
    }

    private bool EarlyStopReached => _options.EarlyStoppingPatience > 0 && _badEpochs >= _options.EarlyStoppingPatience;

    private void ResetEpochSums()
    {
        _epochLossSum = 0;
        _epochCorrect = 0;
        _epochSeen = 0;
        _epochSeconds = 0;
    }

    private static TimeSpan Eta(TimeSpan elapsed, long stepsDone, long stepsToGo)
        => stepsDone == 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(elapsed.Ticks / (double)stepsDone * Math.Max(0, stepsToGo - stepsDone)));

    private static double Select(MonitorMetric metric, EpochMetrics m) => metric switch
    {
        MonitorMetric.ValidationLoss => m.ValidationLoss,
        MonitorMetric.ValidationAccuracy => m.ValidationAccuracy,
        MonitorMetric.TrainingLoss => m.TrainLoss,
        _ => m.TrainAccuracy,
    };

    private static bool Minimizes(MonitorMetric metric) => metric is MonitorMetric.ValidationLoss or MonitorMetric.TrainingLoss;

    private static bool IsValidationMetric(MonitorMetric metric) => metric is MonitorMetric.ValidationLoss or MonitorMetric.ValidationAccuracy;

    /// <summary>Index of the first largest value (NaNs never win), as torch.argmax on finite rows.</summary>
    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best]) best = i;
        }
        return best;
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best]) best = i;
        }
        return best;
    }

    /// <summary>The class probabilities of one output row: as given, or a double-precision softmax of logits.</summary>
    private static void Probabilities(ReadOnlySpan<float> row, bool alreadyProbabilities, Span<double> probabilities)
    {
        if (alreadyProbabilities)
        {
            for (int c = 0; c < row.Length; c++) probabilities[c] = row[c];
            return;
        }
        double max = double.NegativeInfinity;
        foreach (float z in row) max = Math.Max(max, z);
        double sum = 0;
        for (int c = 0; c < row.Length; c++) sum += probabilities[c] = Math.Exp(row[c] - max);
        for (int c = 0; c < row.Length; c++) probabilities[c] /= sum;
    }

    private static double LogitLoss(ReadOnlySpan<float> logits, int label)
    {
        double max = double.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        double sum = 0;
        foreach (float z in logits) sum += Math.Exp(z - max);
        return Math.Log(sum) + max - logits[label];
    }

    private static void CheckLabels(ReadOnlySpan<int> labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"Label {labels[i]} at position {i} lies outside the network's {classes} classes.", nameof(labels));
        }
    }

    private void CheckData(ITrainingData data, string name)
    {
        if (data.SampleLength != _network.InputLength)
            throw new ArgumentException($"The data has samples of {data.SampleLength} floats; the network takes {_network.InputLength}.", name);
        if (data.Count < 1) throw new ArgumentException("The data set is empty.", name);
    }
}
