using System;
using System.Threading;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>
/// Issue #5: a run saved to a checkpoint and resumed in a new model, optimizer and trainer ends bitwise where the
/// uninterrupted run ends. The network has dropout (the model generator's state matters) and SGD has momentum
/// (the buffer matters); a step-decay schedule and validation are on as well.
/// </summary>
public class ResumeTests
{
    private const int TotalEpochs = 4;
    private static readonly InMemoryData Train = OrientedBars.Data(150, seed: 41);
    private static readonly InMemoryData Validation = OrientedBars.Data(40, seed: 42);
    // The uninterrupted reference run, shared by the tests of this class (they run one after another).
    private static readonly Lazy<Trainer> StraightRun = new(() =>
    {
        var trainer = NewTrainer(modelSeed: 9, TotalEpochs);
        trainer.Fit();
        return trainer;
    });

    private static Trainer NewTrainer(int modelSeed, int epochs)
    {
        var net = new BarsNet(modelSeed);
        var sgd = new Sgd(net.Parameters, 0.05, momentum: 0.9, weightDecay: 5e-4);
        // 150 samples in batches of 32: the last batch of every epoch is partial (22 samples).
        return new Trainer(net, sgd, Train, Validation, new StepDecay(0.05, stepSize: 1, gamma: 0.7),
            new TrainerOptions { Epochs = epochs, BatchSize = 32, Seed = 43 });
    }

    [Fact]
    public void TwoEpochs_Checkpoint_TwoMoreInFreshObjects_EqualsFourEpochsStraight()
    {
        using var folder = new TempFolder();
        string path = folder.File("epoch2.safetensors");
        var first = NewTrainer(modelSeed: 9, epochs: 2);
        first.Fit();
        TrainingCheckpoint.Save(path, first);

        // A different initialization seed: everything must come from the checkpoint.
        var resumed = NewTrainer(modelSeed: 12345, TotalEpochs);
        TrainingCheckpoint.Load(path, resumed);
        Assert.Equal(2, resumed.Epoch);
        resumed.Fit();

        var straight = StraightRun.Value;
        AssertSameRun(straight, resumed);
    }

    [Fact]
    public void CancelledMidEpoch_Checkpoint_ResumeInFreshObjects_EqualsFourEpochsStraight()
    {
        using var folder = new TempFolder();
        string path = folder.File("mid-epoch.safetensors");
        var first = NewTrainer(modelSeed: 9, TotalEpochs);
        using var cancel = new CancellationTokenSource();
        var history = first.Fit(new Canceller(cancel, epoch: 1, step: 3), cancel.Token);
        Assert.Equal(StopReason.Cancelled, history.StopReason);
        Assert.Equal((1, 3), (first.Epoch, first.StepInEpoch));
        TrainingCheckpoint.Save(path, first);

        var resumed = NewTrainer(modelSeed: 777, TotalEpochs);
        TrainingCheckpoint.Load(path, resumed);
        Assert.Equal((1, 3), (resumed.Epoch, resumed.StepInEpoch));
        resumed.Fit();

        AssertSameRun(StraightRun.Value, resumed);
    }

    /// <summary>
    /// The equality above depends on the checkpointed model generator: resuming with the right parameters,
    /// optimizer and trainer state but a different dropout generator ends elsewhere.
    /// </summary>
    [Fact]
    public void ResumeWithoutTheModelGeneratorState_Diverges()
    {
        using var folder = new TempFolder();
        string path = folder.File("epoch2.safetensors");
        var first = NewTrainer(modelSeed: 9, epochs: 2);
        first.Fit();
        TrainingCheckpoint.Save(path, first);

        var resumed = NewTrainer(modelSeed: 12345, TotalEpochs);
        TrainingCheckpoint.Load(path, resumed);
        resumed.Network.Random.Reseed(9);
        resumed.Fit();

        var straight = StraightRun.Value;
        Assert.True(IntegrationUtil.FirstDifference(straight.Network.Parameters.Values, resumed.Network.Parameters.Values) >= 0,
            "resuming with another dropout generator gave the same parameters: the dropout masks did not matter");
    }

    private static void AssertSameRun(Trainer expected, Trainer actual)
    {
        Assert.Equal(TotalEpochs, actual.Epoch);
        Assert.Equal(expected.GlobalStep, actual.GlobalStep);
        Assert.Equal(TotalEpochs * 5, actual.GlobalStep);
        IntegrationUtil.AssertBitwiseEqual(expected.Network.Parameters.Values, actual.Network.Parameters.Values, expected.Network.Parameters, "parameters");
        IntegrationUtil.AssertBitwiseEqual(((Sgd)expected.Optimizer).MomentumBuffer, ((Sgd)actual.Optimizer).MomentumBuffer, expected.Network.Parameters, "momentum buffer");
        Assert.Equal(expected.Network.Random.GetState(), actual.Network.Random.GetState());
        Assert.Equal(expected.ShuffleRandom.GetState(), actual.ShuffleRandom.GetState());
        Assert.Equal(expected.Optimizer.LearningRate, actual.Optimizer.LearningRate);

        // The history (all four epochs, the resumed ones included) matches except for wall-clock seconds.
        Assert.Equal(TotalEpochs, actual.History.Epochs.Count);
        for (int e = 0; e < TotalEpochs; e++)
        {
            var x = expected.History.Epochs[e];
            var y = actual.History.Epochs[e];
            Assert.Equal((x.Epoch, x.TrainLoss, x.TrainAccuracy, x.ValidationLoss, x.ValidationAccuracy, x.LearningRate),
                (y.Epoch, y.TrainLoss, y.TrainAccuracy, y.ValidationLoss, y.ValidationAccuracy, y.LearningRate));
        }
    }

    /// <summary>Cancels the token after batch <c>step</c> of epoch <c>epoch</c> (reported synchronously on the training thread).</summary>
    private sealed class Canceller : IProgress<TrainingProgress>
    {
        private readonly CancellationTokenSource _source;
        private readonly int _epoch, _step;

        public Canceller(CancellationTokenSource source, int epoch, int step) => (_source, _epoch, _step) = (source, epoch, step);

        public void Report(TrainingProgress value)
        {
            if (value.Kind == ProgressKind.Batch && value.Epoch == _epoch && value.Step == _step) _source.Cancel();
        }
    }
}
