using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using AlexNet.Gen;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Training;

public class TrainerTests
{
    private const int D = 4, K = 3;

    private static (InMemoryData Train, InMemoryData Validation) MakeData(int trainCount = 300, int validationCount = 90)
    {
        var (ti, tl) = SoftmaxRegressionNetwork.MakeSeparableData(trainCount, D, K, seed: 100);
        var (vi, vl) = SoftmaxRegressionNetwork.MakeSeparableData(validationCount, D, K, seed: 200);
        return (new InMemoryData(ti, tl, D), new InMemoryData(vi, vl, D));
    }

    /// <summary>Synchronous progress sink (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Recorder : IProgress<TrainingProgress>
    {
        private readonly Action<TrainingProgress>? _onReport;
        public Recorder(Action<TrainingProgress>? onReport = null) => _onReport = onReport;
        public List<TrainingProgress> Reports { get; } = new();

        public void Report(TrainingProgress value)
        {
            Reports.Add(value);
            _onReport?.Invoke(value);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fit_LearnsALinearlySeparableSet(bool probabilities)
    {
        var (train, validation) = MakeData();
        var net = new SoftmaxRegressionNetwork(D, K, probabilities, seed: 1);
        var trainer = new Trainer(net, new Sgd(net.Parameters, 0.1, momentum: 0.9), train, validation,
            options: new TrainerOptions { Epochs = 8, BatchSize = 16, Seed = 3 });
        double initialLoss = trainer.Evaluate(train).Loss;

        var history = trainer.Fit();

        Assert.Equal(StopReason.Completed, history.StopReason);
        Assert.Equal(8, history.Epochs.Count);
        Assert.True(history.Epochs[^1].TrainLoss < 0.5 * history.Epochs[0].TrainLoss);
        Assert.True(history.Epochs[^1].TrainLoss < 0.25 * initialLoss);
        Assert.True(history.Epochs[^1].ValidationAccuracy > 0.95, $"validation accuracy {history.Epochs[^1].ValidationAccuracy}");
        Assert.True(trainer.Evaluate(train).Accuracy > 0.95);
        Assert.Equal(8 * 19, trainer.GlobalStep); // ⌈300 / 16⌉ = 19 steps per epoch
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MirroredEvaluate_AveragesTheProbabilitiesOfEachImageAndItsMirror(bool probabilities)
    {
        const int count = 37;
        var (_, validation) = MakeData(validationCount: count);
        var net = new SoftmaxRegressionNetwork(D, K, probabilities, seed: 4);
        var trainer = new Trainer(net, new Sgd(net.Parameters, 0.1), validation,
            options: new TrainerOptions { BatchSize = 8, EvaluationBatchSize = 10, MirroredEvaluation = true });

        var result = trainer.Evaluate(validation, confusionMatrix: true);

        var images = new float[count * D];
        var labels = new int[count];
        var all = new int[count];
        for (int i = 0; i < count; i++) all[i] = i;
        validation.CopyBatch(all, images, labels);
        // The network's input is one row of D values (InputWidth = D): its mirror is the row reversed.
        var mirrored = new float[count * D];
        for (int n = 0; n < count; n++)
            for (int j = 0; j < D; j++) mirrored[n * D + j] = images[n * D + D - 1 - j];
        float[] output = new float[count * K], mirrorOutput = new float[count * K];
        net.Forward(images, output, count);
        net.Forward(mirrored, mirrorOutput, count);
        double loss = 0;
        int correct = 0, changed = 0;
        var matrix = new int[K, K];
        for (int n = 0; n < count; n++)
        {
            double[] p = Probabilities(output, n), q = Probabilities(mirrorOutput, n), mean = new double[K];
            for (int c = 0; c < K; c++) mean[c] = (p[c] + q[c]) / 2;
            loss -= Math.Log(mean[labels[n]]);
            int arg = Array.IndexOf(mean, mean.Max()), single = Array.IndexOf(p, p.Max());
            if (arg != single) changed++;
            if (arg == labels[n]) correct++;
            matrix[labels[n], arg]++;
        }
        Assert.True(Math.Abs(loss / count - result.Loss) <= 1e-9 * loss, $"{loss / count} vs {result.Loss}");
        Assert.Equal(correct, result.Correct);
        Assert.Equal(matrix, result.ConfusionMatrix);
        // The data must make the mirror matter, or this test could not tell mirrored from plain evaluation.
        Assert.True(changed > 0, "no prediction changed with the mirror; pick other data");

        double[] Probabilities(float[] rows, int n)
        {
            var z = new double[K];
            for (int c = 0; c < K; c++) z[c] = rows[n * K + c];
            if (probabilities) return z;
            double max = z.Max(), sum = 0;
            for (int c = 0; c < K; c++) sum += z[c] = Math.Exp(z[c] - max);
            for (int c = 0; c < K; c++) z[c] /= sum;
            return z;
        }
    }

    [Fact]
    public void MirrorRows_ReversesEveryRowAndRejectsBadShapes()
    {
        float[] source = { 1, 2, 3, 4, 5, 6 }, destination = new float[6];
        AlexNet.Gen.Data.ImageAugmentation.MirrorRows(source, destination, 3);
        Assert.Equal(new float[] { 3, 2, 1, 6, 5, 4 }, destination);
        Assert.Throws<ArgumentException>(() => AlexNet.Gen.Data.ImageAugmentation.MirrorRows(source, new float[6], 4));
        Assert.Throws<ArgumentException>(() => AlexNet.Gen.Data.ImageAugmentation.MirrorRows(source, new float[5], 3));
        Assert.Throws<ArgumentException>(() => AlexNet.Gen.Data.ImageAugmentation.MirrorRows(source, source, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => AlexNet.Gen.Data.ImageAugmentation.MirrorRows(source, destination, 0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Evaluate_LossAccuracyAndConfusionMatchANaiveComputation(bool probabilities)
    {
        var (_, validation) = MakeData(validationCount: 61);
        var net = new SoftmaxRegressionNetwork(D, K, probabilities, seed: 2);
        var trainer = new Trainer(net, new Sgd(net.Parameters, 0.1), validation,
            options: new TrainerOptions { BatchSize = 8, EvaluationBatchSize = 13 });

        var result = trainer.Evaluate(validation, confusionMatrix: true);

        var images = new float[61 * D];
        var labels = new int[61];
        var all = new int[61];
        for (int i = 0; i < 61; i++) all[i] = i;
        validation.CopyBatch(all, images, labels);
        var output = new float[61 * K];
        net.Forward(images, output, 61);
        double loss = 0;
        int correct = 0;
        var matrix = new int[K, K];
        for (int n = 0; n < 61; n++)
        {
            // Independent: log-softmax of the logits, or the log of the probability.
            double[] z = { output[n * K], output[n * K + 1], output[n * K + 2] };
            double logP = probabilities
                ? Math.Log(z[labels[n]])
                : z[labels[n]] - Math.Log(Math.Exp(z[0]) + Math.Exp(z[1]) + Math.Exp(z[2]));
            loss -= logP;
            int arg = z[1] > z[0] ? (z[2] > z[1] ? 2 : 1) : (z[2] > z[0] ? 2 : 0);
            if (arg == labels[n]) correct++;
            matrix[labels[n], arg]++;
        }
        Assert.True(Math.Abs(loss / 61 - result.Loss) <= 1e-9 * loss, $"{loss / 61} vs {result.Loss}");
        Assert.Equal(correct, result.Correct);
        Assert.Equal((double)correct / 61, result.Accuracy);
        Assert.Equal(61, result.Count);
        Assert.Equal(matrix, result.ConfusionMatrix);
    }

    [Fact]
    public void EarlyStopping_TriggersWhenValidationLossStopsImproving()
    {
        var (train, validation) = MakeData();
        var net = new SoftmaxRegressionNetwork(D, K, false, seed: 4);
        // A zero rate never changes the model, so validation loss never improves after the first epoch.
        var trainer = new Trainer(net, new Sgd(net.Parameters, 0.0), train, validation,
            options: new TrainerOptions { Epochs = 20, BatchSize = 32, EarlyStoppingPatience = 2 });

        var history = trainer.Fit();

        Assert.Equal(StopReason.EarlyStopped, history.StopReason);
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(0, history.BestEpoch);
        Assert.Equal(history.Epochs[0].ValidationLoss, history.Epochs[2].ValidationLoss);
        // A stopped trainer stays stopped.
        Assert.Equal(StopReason.EarlyStopped, trainer.Fit().StopReason);
        Assert.Equal(3, trainer.History.Epochs.Count);
    }

    [Fact]
    public void EarlyStopping_DoesNotTriggerWhileImproving()
    {
        var (train, validation) = MakeData();
        var net = new SoftmaxRegressionNetwork(D, K, false, seed: 4);
        var trainer = new Trainer(net, new Sgd(net.Parameters, 0.02), train, validation,
            options: new TrainerOptions { Epochs = 5, BatchSize = 32, EarlyStoppingPatience = 1 });
        var history = trainer.Fit();
        Assert.Equal(StopReason.Completed, history.StopReason);
        Assert.Equal(4, history.BestEpoch);
    }

    private static float[] TrainFresh(ulong shuffleSeed, int epochs)
    {
        var (train, validation) = MakeData();
        var net = new SoftmaxRegressionNetwork(D, K, false, seed: 5);
        var trainer = new Trainer(net, new Sgd(net.Parameters, 0.05, momentum: 0.9), train, validation,
            options: new TrainerOptions { Epochs = epochs, BatchSize = 16, Seed = shuffleSeed });
        trainer.Fit();
        return (float[])net.Parameters.Values.Clone();
    }

    [Fact]
    public void SameSeed_GivesBitwiseIdenticalParameters()
    {
        var a = TrainFresh(7, 3);
        var b = TrainFresh(7, 3);
        var c = TrainFresh(8, 3);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    /// <summary>A stateful setup: momentum or Adam moments, a plateau schedule under warmup, clipping, smoothing.</summary>
    private static Trainer MakeResumableTrainer(string optimizer, int epochs, ulong seed, out SoftmaxRegressionNetwork net)
    {
        var (train, validation) = MakeData();
        net = new SoftmaxRegressionNetwork(D, K, true, seed: 6);
        IOptimizer opt = optimizer == "sgd"
            ? new Sgd(net.Parameters, 0.1, momentum: 0.9, weightDecay: 5e-4)
            : new AdamW(net.Parameters, 0.05);
        var schedule = new LinearWarmup(new ReduceOnPlateau(0.1, patience: 0, threshold: 0.05), warmupSteps: 25);
        return new Trainer(net, opt, train, validation, schedule, new TrainerOptions
        {
            Epochs = epochs, BatchSize = 16, Seed = seed, LabelSmoothing = 0.1f, GradientClipNorm = 0.5f,
            EarlyStoppingPatience = 10,
        });
    }

    private static void AssertSameHistory(TrainingHistory expected, TrainingHistory actual)
    {
        Assert.Equal(expected.Epochs.Count, actual.Epochs.Count);
        for (int i = 0; i < expected.Epochs.Count; i++)
            Assert.Equal(expected.Epochs[i] with { Seconds = 0 }, actual.Epochs[i] with { Seconds = 0 });
        Assert.Equal(expected.BestEpoch, actual.BestEpoch);
    }

    public static TheoryData<string> OptimizerKinds => new() { "sgd", "adamw" };

    [Theory]
    [MemberData(nameof(OptimizerKinds))]
    public void TwoEpochsThenResumeTwo_EqualsFourStraight(string optimizer)
    {
        var straight = MakeResumableTrainer(optimizer, 4, 11, out var straightNet);
        straight.Fit();

        var first = MakeResumableTrainer(optimizer, 2, 11, out var firstNet);
        first.Fit();
        Assert.NotEqual(straightNet.Parameters.Values, firstNet.Parameters.Values);
        var state = first.GetState().Clone();
        var parameters = (float[])firstNet.Parameters.Values.Clone();

        // A new process: new model, optimizer, schedule and trainer (another seed), then the checkpoint.
        var resumed = MakeResumableTrainer(optimizer, 4, 999, out var resumedNet);
        parameters.CopyTo(resumedNet.Parameters.Values, 0);
        resumed.SetState(state);
        Assert.Equal(2, resumed.Epoch);
        resumed.Fit();

        Assert.Equal(straightNet.Parameters.Values, resumedNet.Parameters.Values);
        Assert.Equal(straight.GlobalStep, resumed.GlobalStep);
        Assert.Equal(straight.Optimizer.LearningRate, resumed.Optimizer.LearningRate);
        AssertSameHistory(straight.History, resumed.History);
        Assert.True(straight.History.Epochs[3].LearningRate < straight.History.Epochs[0].LearningRate, "the plateau schedule must act");
    }

    [Fact]
    public void CancelMidEpochThenResume_EqualsStraight()
    {
        var straight = MakeResumableTrainer("sgd", 3, 12, out var straightNet);
        straight.Fit();

        using var cts = new CancellationTokenSource();
        var first = MakeResumableTrainer("sgd", 3, 12, out var firstNet);
        var recorder = new Recorder(p =>
        {
            if (p.Kind == ProgressKind.Batch && p.GlobalStep == 26) cts.Cancel();
        });
        var partial = first.Fit(recorder, cts.Token);
        Assert.Equal(StopReason.Cancelled, partial.StopReason);
        Assert.Equal(1, first.Epoch);
        Assert.Equal(7, first.StepInEpoch); // 26 = 19 + 7
        var state = first.GetState().Clone();

        var resumed = MakeResumableTrainer("sgd", 3, 77, out var resumedNet);
        firstNet.Parameters.Values.CopyTo(resumedNet.Parameters.Values, 0);
        resumed.SetState(state);
        resumed.Fit();

        Assert.Equal(straightNet.Parameters.Values, resumedNet.Parameters.Values);
        AssertSameHistory(straight.History, resumed.History);
    }

    [Theory]
    [InlineData(26)] // mid-epoch
    [InlineData(19)] // right after an epoch's last batch
    public void CancelThenFitAgain_OnTheSameTrainer_EqualsStraight(long cancelAtStep)
    {
        var straight = MakeResumableTrainer("adamw", 3, 13, out var straightNet);
        straight.Fit();

        using var cts = new CancellationTokenSource();
        var trainer = MakeResumableTrainer("adamw", 3, 13, out var net);
        trainer.Fit(new Recorder(p =>
        {
            if (p.Kind == ProgressKind.Batch && p.GlobalStep == cancelAtStep) cts.Cancel();
        }), cts.Token);
        Assert.Equal(cancelAtStep, trainer.GlobalStep);
        Assert.Equal(StopReason.Completed, trainer.Fit().StopReason);

        Assert.Equal(straightNet.Parameters.Values, net.Parameters.Values);
        AssertSameHistory(straight.History, trainer.History);
    }

    [Fact]
    public void SetState_RejectsAMidEpochStateWithAnotherBatchSize()
    {
        using var cts = new CancellationTokenSource();
        var first = MakeResumableTrainer("sgd", 2, 1, out _);
        first.Fit(new Recorder(p => cts.Cancel()), cts.Token);
        var state = first.GetState();

        var (train, validation) = MakeData();
        var net = new SoftmaxRegressionNetwork(D, K, true, seed: 6);
        var other = new Trainer(net, new Sgd(net.Parameters, 0.1, momentum: 0.9, weightDecay: 5e-4), train, validation,
            new LinearWarmup(new ReduceOnPlateau(0.1, patience: 0, threshold: 0.05), warmupSteps: 25),
            new TrainerOptions { BatchSize = 32 });
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => other.SetState(state)).Message);
        var noSchedule = new Trainer(net, new Sgd(net.Parameters, 0.1, momentum: 0.9, weightDecay: 5e-4), train, validation,
            options: new TrainerOptions { BatchSize = 16 });
        Assert.Contains("schedule", Assert.Throws<ArgumentException>(() => noSchedule.SetState(state)).Message);
    }

    [Fact]
    public void TrainStep_AllocatesNothingAfterWarmUp()
    {
        var (train, _) = MakeData();
        var net = new SoftmaxRegressionNetwork(D, K, false, seed: 8);
        var trainer = new Trainer(net, new AdamW(net.Parameters), train,
            options: new TrainerOptions { BatchSize = 16, GradientClipNorm = 1f, LabelSmoothing = 0.1f });
        var images = new float[16 * D];
        var labels = new int[16];
        var indices = new int[16];
        for (int i = 0; i < 16; i++) indices[i] = 3 * i;
        train.CopyBatch(indices, images, labels);
        for (int i = 0; i < 3; i++) trainer.TrainStep(images, labels);
        var before = (float[])net.Parameters.Values.Clone();

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        StepResult last = default;
        for (int i = 0; i < 20; i++) last = trainer.TrainStep(images, labels);
        Assert.Equal(allocated, GC.GetAllocatedBytesForCurrentThread());

        Assert.NotEqual(before, net.Parameters.Values);
        Assert.Equal(16, last.BatchSize);
        Assert.True(last.GradientNorm > 0);
        Assert.InRange(last.Correct, 0, 16);
    }

    [Fact]
    public void Fit_AllocationDoesNotGrowWithTheNumberOfSteps()
    {
        long FitAllocation(int samples)
        {
            var (train, _) = MakeData(trainCount: samples);
            var net = new SoftmaxRegressionNetwork(D, K, false, seed: 8);
            var trainer = new Trainer(net, new Sgd(net.Parameters, 0.01, momentum: 0.9), train, null,
                new StepDecay(0.01, 1), new TrainerOptions { Epochs = 1, BatchSize = 16, GradientClipNorm = 1f });
            var images = new float[16 * D];
            trainer.TrainStep(images, new int[16]); // sizes the network's buffers
            var recorder = new NullProgress();
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Fit(recorder);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        FitAllocation(80);
        long fewSteps = FitAllocation(80); // 5 steps
        long manySteps = FitAllocation(800); // 50 steps
        Assert.Equal(fewSteps, manySteps);
    }

    private sealed class NullProgress : IProgress<TrainingProgress>
    {
        public int Count;
        public void Report(TrainingProgress value) => Count++;
    }

    [Fact]
    public void Schedule_SeesEveryStepAndTheMonitoredMetric()
    {
        var (train, validation) = MakeData(trainCount: 50);
        var net = new SoftmaxRegressionNetwork(D, K, false, seed: 9);
        var schedule = new RecordingSchedule();
        var trainer = new Trainer(net, new Sgd(net.Parameters, 1.0), train, validation, schedule,
            new TrainerOptions { Epochs = 3, BatchSize = 16 });
        var history = trainer.Fit();

        Assert.Equal(12, schedule.Steps.Count); // ⌈50 / 16⌉ = 4 steps × 3 epochs
        for (int i = 0; i < 12; i++) Assert.Equal((i / 4, i % 4, 4), schedule.Steps[i]);
        Assert.Equal(new[] { history.Epochs[0].ValidationLoss, history.Epochs[1].ValidationLoss, history.Epochs[2].ValidationLoss },
            schedule.Metrics);
        Assert.Equal(new[] { 0.1 / 1, 0.1 / 2, 0.1 / 3 }, new[] { history.Epochs[0].LearningRate, history.Epochs[1].LearningRate, history.Epochs[2].LearningRate });
    }

    /// <summary>Rate 0.1 / (epoch + 1); records every call.</summary>
    private sealed class RecordingSchedule : ILearningRateSchedule
    {
        public List<(int, int, int)> Steps { get; } = new();
        public List<double> Metrics { get; } = new();

        public double GetLearningRate(int epoch, int step, int stepsPerEpoch)
        {
            Steps.Add((epoch, step, stepsPerEpoch));
            return 0.1 / (epoch + 1);
        }

        public void EpochCompleted(int epoch, double metric) => Metrics.Add(metric);
        public void WriteState(TrainingState state) => state.Metadata["schedule.type"] = "Recording";
        public void ReadState(TrainingState state) => Assert.Equal("Recording", state.Metadata["schedule.type"]);
    }

    [Fact]
    public void Progress_ReportsBatchesAtTheIntervalAndEveryEpoch()
    {
        var (train, _) = MakeData(trainCount: 100);
        var net = new SoftmaxRegressionNetwork(D, K, false, seed: 10);
        var trainer = new Trainer(net, new Sgd(net.Parameters, 0.1), train,
            options: new TrainerOptions { Epochs = 2, BatchSize = 10, ProgressInterval = 4 });
        var recorder = new Recorder();
        trainer.Fit(recorder);

        var batchSteps = recorder.Reports.FindAll(r => r.Kind == ProgressKind.Batch).ConvertAll(r => (r.Epoch, r.Step));
        Assert.Equal(new[] { (0, 4), (0, 8), (0, 10), (1, 4), (1, 8), (1, 10) }, batchSteps);
        var epochs = recorder.Reports.FindAll(r => r.Kind == ProgressKind.Epoch);
        Assert.Equal(2, epochs.Count);
        Assert.Equal(trainer.History.Epochs[1], epochs[1].Metrics);
        Assert.Equal(TimeSpan.Zero, epochs[1].Eta);
        foreach (var r in recorder.Reports)
        {
            Assert.True(r.ImagesPerSecond > 0);
            Assert.True(r.Eta >= TimeSpan.Zero);
            Assert.Equal(20, r.TotalEpochs * 10);
        }
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        var (train, validation) = MakeData(trainCount: 30);
        var net = new SoftmaxRegressionNetwork(D, K, false, seed: 11);
        var other = new SoftmaxRegressionNetwork(D, K, false, seed: 11);
        var sgd = new Sgd(net.Parameters, 0.1);
        Assert.Equal("optimizer", Assert.Throws<ArgumentException>(() => new Trainer(net, new Sgd(other.Parameters, 0.1), train)).ParamName);
        var wrongShape = new InMemoryData(new float[10 * 5], new int[10], 5);
        Assert.Equal("trainingData", Assert.Throws<ArgumentException>(() => new Trainer(net, sgd, wrongShape)).ParamName);
        Assert.Equal("BatchSize", Assert.Throws<ArgumentException>(() => new Trainer(net, sgd, train, options: new TrainerOptions { BatchSize = 0 })).ParamName);
        Assert.Equal("LabelSmoothing", Assert.Throws<ArgumentException>(() => new Trainer(net, sgd, train, options: new TrainerOptions { LabelSmoothing = 1 })).ParamName);
        Assert.Equal("GradientClipNorm", Assert.Throws<ArgumentException>(() => new Trainer(net, sgd, train, options: new TrainerOptions { GradientClipNorm = -1 })).ParamName);
        Assert.Equal("validationData", Assert.Throws<ArgumentException>(() => new Trainer(net, sgd, train,
            options: new TrainerOptions { EarlyStoppingPatience = 2, EarlyStoppingMetric = MonitorMetric.ValidationAccuracy })).ParamName);
        Assert.Throws<ArgumentException>(() => new Trainer(net, sgd, train, options: new TrainerOptions { BatchSize = 64, DropLast = true }));
        Assert.Throws<ArgumentException>(() => new InMemoryData(new float[7], new int[2], 4));

        var trainer = new Trainer(net, sgd, train, validation, options: new TrainerOptions { BatchSize = 4 });
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => trainer.TrainStep(new float[2 * D], new[] { 0, K })).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => trainer.TrainStep(new float[5 * D], new int[5])).ParamName);
        Assert.Equal("images", Assert.Throws<ArgumentException>(() => trainer.TrainStep(new float[D], new int[2])).ParamName);
    }
}
