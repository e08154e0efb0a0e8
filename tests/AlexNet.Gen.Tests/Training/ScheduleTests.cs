using System;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Training;

public class ScheduleTests
{
    private static void Near(double expected, double actual, double relative = 1e-14)
        => Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(Math.Abs(expected), 1e-300),
            $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void StepDecay_DividesByTenEveryStepSizeEpochs()
    {
        var s = new StepDecay(0.01, stepSize: 3);
        double[] expected = { 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001, 0.0001, 0.0001, 0.00001 };
        for (int e = 0; e < expected.Length; e++)
        {
            Near(expected[e], s.GetLearningRate(e, 0, 5), 1e-12);
            Near(expected[e], s.GetLearningRate(e, 4, 5), 1e-12);
        }
        var half = new StepDecay(1.0, stepSize: 2, gamma: 0.5);
        Assert.Equal(0.25, half.GetLearningRate(5, 0, 1));
    }

    [Fact]
    public void Cosine_HitsHandValuesAndMatchesTorchsRecursiveForm()
    {
        var s = new CosineAnnealing(1.0, tMax: 4);
        Assert.Equal(1.0, s.GetLearningRate(0, 0, 1));
        Near(0.8535533905932737, s.GetLearningRate(1, 0, 1)); // (1 + cos(π/4)) / 2
        Near(0.5, s.GetLearningRate(2, 0, 1));
        Near(0.14644660940672624, s.GetLearningRate(3, 0, 1));
        Assert.True(Math.Abs(s.GetLearningRate(4, 0, 1)) < 1e-16);

        // CosineAnnealingLR.get_lr (recursive): lr_t = (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)) · (lr_{t−1} − η) + η.
        const double baseLr = 0.1, eta = 0.001;
        const int tMax = 10;
        var c = new CosineAnnealing(baseLr, tMax, eta);
        double lr = baseLr;
        for (int t = 1; t <= tMax; t++)
        {
            lr = (1 + Math.Cos(Math.PI * t / tMax)) / (1 + Math.Cos(Math.PI * (t - 1) / tMax)) * (lr - eta) + eta;
            Near(lr, c.GetLearningRate(t, 0, 7), 1e-12);
        }
        // Past tMax the closed form rises again, as PyTorch's does.
        Near(c.GetLearningRate(tMax - 3, 0, 1), c.GetLearningRate(tMax + 3, 0, 1), 1e-12);
    }

    [Fact]
    public void Cosine_PerStep_UsesTheFractionalEpoch()
    {
        var s = new CosineAnnealing(2.0, tMax: 2, etaMin: 0, perStep: true);
        // epoch 0, step 2 of 4 is t = 0.5: 2·(1 + cos(π/4))/2.
        Near(1 + Math.Sqrt(0.5), s.GetLearningRate(0, 2, 4));
        Near(1.0, s.GetLearningRate(1, 0, 4));
        var perEpoch = new CosineAnnealing(2.0, tMax: 2);
        Assert.Equal(2.0, perEpoch.GetLearningRate(0, 2, 4));
    }

    [Fact]
    public void LinearWarmup_RampsThenFollowsTheInnerSchedule()
    {
        var s = new LinearWarmup(new StepDecay(1.0, stepSize: 2), warmupSteps: 4, startFactor: 0.2);
        // Global steps 0..3 with 3 steps per epoch: factors 0.2, 0.4, 0.6, 0.8, then 1.
        Near(0.2, s.GetLearningRate(0, 0, 3));
        Near(0.4, s.GetLearningRate(0, 1, 3));
        Near(0.6, s.GetLearningRate(0, 2, 3));
        Near(0.8, s.GetLearningRate(1, 0, 3));
        Assert.Equal(1.0, s.GetLearningRate(1, 1, 3));
        Near(0.1, s.GetLearningRate(2, 0, 3));
    }

    /// <summary>Hand trace of torch.optim.lr_scheduler.ReduceLROnPlateau(mode='min', factor=0.1, patience=2).</summary>
    [Fact]
    public void ReduceOnPlateau_FollowsAHandTracedPyTorchRun()
    {
        var s = new ReduceOnPlateau(1.0, patience: 2);
        //            metric   lr after step   why
        var trace = new (double Metric, double Lr)[]
        {
            (1.0, 1.0),      // best = 1.0
            (0.9, 1.0),      // 0.9 < 1.0·0.9999: best = 0.9
            (0.95, 1.0),     // bad 1
            (0.92, 1.0),     // bad 2 (not > patience)
            (0.91, 0.1),     // bad 3 > 2: reduce, bad = 0
            (0.9, 0.1),      // 0.9 is not < 0.9·0.9999: bad 1
            (0.89995, 0.1),  // within the relative threshold: bad 2
            (0.85, 0.1),     // best = 0.85
            (0.86, 0.1),
            (0.86, 0.1),
            (0.86, 1.0 * 0.1 * 0.1),
        };
        for (int e = 0; e < trace.Length; e++)
        {
            s.EpochCompleted(e, trace[e].Metric);
            Near(trace[e].Lr, s.GetLearningRate(e + 1, 0, 1));
        }
        Assert.Equal(0.85, s.Best);
        Assert.Equal(11, s.EpochsSeen);
    }

    /// <summary>Hand trace with cooldown=1, patience=0, min_lr=0.005.</summary>
    [Fact]
    public void ReduceOnPlateau_CooldownAndMinimumRate()
    {
        var s = new ReduceOnPlateau(1.0, patience: 0, cooldown: 1, minLearningRate: 0.005);
        var trace = new (double Metric, double Lr, int Cooldown)[]
        {
            (1.0, 1.0, 0),              // best
            (1.0, 0.1, 1),              // bad 1 > 0: reduce, cooldown 1
            (1.0, 0.1, 0),              // in cooldown: counter 0, bad reset
            (1.0, 0.1 * 0.1, 1),        // reduce again
            (0.5, 0.1 * 0.1, 0),        // better; cooldown ends
            (0.5, 0.005, 1),            // max(0.001, 0.005)
            (0.5, 0.005, 0),            // cooldown
            (0.5, 0.005, 1),            // max(0.0005, 0.005) changes nothing (≤ eps), cooldown restarts anyway
        };
        for (int e = 0; e < trace.Length; e++)
        {
            s.EpochCompleted(e, trace[e].Metric);
            Near(trace[e].Lr, s.LearningRate);
            Assert.Equal(trace[e].Cooldown, s.CooldownCounter);
        }
    }

    [Fact]
    public void ReduceOnPlateau_MaxModeWithAbsoluteThreshold()
    {
        var s = new ReduceOnPlateau(0.5, PlateauMode.Max, factor: 0.5, patience: 1, threshold: 0.01, thresholdMode: ThresholdMode.Absolute);
        s.EpochCompleted(0, 0.60); // best 0.60
        s.EpochCompleted(1, 0.605); // not > 0.61: bad 1
        Assert.Equal(0.5, s.LearningRate);
        s.EpochCompleted(2, 0.615); // > 0.61: best
        s.EpochCompleted(3, 0.62); // not > 0.625: bad 1
        s.EpochCompleted(4, 0.5); // bad 2 > 1: halve
        Assert.Equal(0.25, s.LearningRate);
        Assert.Equal(0.615, s.Best);
    }

    [Fact]
    public void ReduceOnPlateau_StateRoundTripContinuesIdentically()
    {
        var a = new ReduceOnPlateau(1.0, patience: 1, cooldown: 2);
        double[] metrics = { 1, 0.9, 0.95, 0.96, 0.97, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89 };
        for (int e = 0; e < 4; e++) a.EpochCompleted(e, metrics[e]);
        var state = new TrainingState();
        a.WriteState(state);
        var b = new ReduceOnPlateau(1.0, patience: 1, cooldown: 2);
        b.ReadState(state);
        Assert.Equal(a.LearningRate, b.LearningRate);
        for (int e = 4; e < metrics.Length; e++)
        {
            a.EpochCompleted(e, metrics[e]);
            b.EpochCompleted(e, metrics[e]);
            Assert.Equal(a.LearningRate, b.LearningRate);
            Assert.Equal(a.BadEpochs, b.BadEpochs);
            Assert.Equal(a.CooldownCounter, b.CooldownCounter);
        }
        Assert.True(a.LearningRate < 0.1, "the trace must reduce more than once");

        var differentPatience = new ReduceOnPlateau(1.0, patience: 3, cooldown: 2);
        Assert.Contains("patience", Assert.Throws<ArgumentException>(() => differentPatience.ReadState(state)).Message);
        Assert.Contains("ReduceOnPlateau", Assert.Throws<ArgumentException>(() => new StepDecay(1.0, 2).ReadState(state)).Message);
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new StepDecay(-1, 3));
        Assert.Throws<ArgumentException>(() => new StepDecay(0.1, 0));
        Assert.Throws<ArgumentException>(() => new StepDecay(0.1, 3, gamma: 0));
        Assert.Throws<ArgumentException>(() => new CosineAnnealing(0.1, 0));
        Assert.Throws<ArgumentException>(() => new CosineAnnealing(0.1, 5, etaMin: -1));
        Assert.Throws<ArgumentException>(() => new ReduceOnPlateau(0.1, factor: 1.0));
        Assert.Throws<ArgumentException>(() => new ReduceOnPlateau(0.1, patience: -1));
        Assert.Throws<ArgumentException>(() => new ReduceOnPlateau(0.1, cooldown: -1));
        Assert.Throws<ArgumentException>(() => new ReduceOnPlateau(0.1, minLearningRate: double.NaN));
        Assert.Throws<ArgumentException>(() => new LinearWarmup(new ConstantLearningRate(0.1), 0));
        Assert.Throws<ArgumentException>(() => new LinearWarmup(new ConstantLearningRate(0.1), 10, startFactor: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0.1, 3).GetLearningRate(0, 5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantLearningRate(0.1).GetLearningRate(-1, 0, 5));
    }
}
