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
    public const double MinProbability = Evaluator.MinProbability;

    private readonly INetwork _network;
    private readonly Evaluator _evaluator;
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
        _evaluator = new Evaluator(network);
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
        Evaluator.CheckLabels(labels, k);

        var output = _outputs.AsSpan(0, batch * k);
        _network.ForwardTraining(images, output, batch);
        int correct = 0;
        for (int n = 0; n < batch; n++)
        {
            if (Evaluator.ArgMax(output.Slice(n * k, k)) == labels[n]) correct++;
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
    /// in order, in batches of <see cref="TrainerOptions.EvaluationBatchSize"/>, with mirror images when
    /// <see cref="TrainerOptions.MirroredEvaluation"/> is set (see <see cref="Evaluator.Evaluate"/>).
    /// </summary>
    public EvaluationResult Evaluate(ITrainingData data, bool confusionMatrix = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        int batchSize = _options.EvaluationBatchSize > 0 ? _options.EvaluationBatchSize : _options.BatchSize;
        return _evaluator.Evaluate(data, batchSize, _options.MirroredEvaluation, confusionMatrix);
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

    private void CheckData(ITrainingData data, string name) => Evaluator.CheckData(data, _network.InputLength, name);
}
