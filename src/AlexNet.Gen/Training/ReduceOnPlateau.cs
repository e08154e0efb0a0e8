using System;

namespace AlexNet.Gen.Training;

/// <summary>Whether a lower or a higher monitored metric is better.</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss or an error rate).</summary>
    Min,

    /// <summary>Higher is better (an accuracy).</summary>
    Max,
}

/// <summary>How <see cref="ReduceOnPlateau"/> compares a metric with the best so far.</summary>
public enum ThresholdMode
{
    /// <summary>Better means beyond best·(1 ∓ threshold).</summary>
    Relative,

    /// <summary>Better means beyond best ∓ threshold.</summary>
    Absolute,
}

/// <summary>A rate that never changes (e.g. under <see cref="LinearWarmup"/>).</summary>
public sealed class ConstantLearningRate : LearningRateSchedule
{
    public ConstantLearningRate(double learningRate) => LearningRate = CheckRate(learningRate, nameof(learningRate));

    public double LearningRate { get; }

    public override double GetLearningRate(int epoch, int step, int stepsPerEpoch)
    {
        CheckPosition(epoch, step, stepsPerEpoch);
        return LearningRate;
    }

    protected override string TypeName => "Constant";

    protected override (string Name, double Value)[] Hyperparameters => new[] { ("lr", LearningRate) };
}

/// <summary>
/// The AlexNet paper's rule — divide the rate by 10 when the validation error stops improving — as
/// <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>: after more than <c>patience</c> epochs without improvement
/// the rate becomes max(lr·factor, minLearningRate) (skipped when that changes it by at most eps), then
/// <c>cooldown</c> epochs pass before bad epochs count again.
/// </summary>
public sealed class ReduceOnPlateau : LearningRateSchedule
{
    private double _learningRate;

    public ReduceOnPlateau(double baseLearningRate, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Relative, int cooldown = 0,
        double minLearningRate = 0, double eps = 1e-8)
    {
        BaseLearningRate = CheckRate(baseLearningRate, nameof(baseLearningRate));
        if (mode != PlateauMode.Min && mode != PlateauMode.Max) throw new ArgumentException($"Unknown mode {mode}.", nameof(mode));
        if (!(factor > 0 && factor < 1)) throw new ArgumentException($"Invalid factor {factor}: it must lie in (0, 1).", nameof(factor));
        if (patience < 0) throw new ArgumentException($"Invalid patience {patience}: it must be non-negative.", nameof(patience));
        if (thresholdMode != ThresholdMode.Relative && thresholdMode != ThresholdMode.Absolute)
            throw new ArgumentException($"Unknown threshold mode {thresholdMode}.", nameof(thresholdMode));
        if (cooldown < 0) throw new ArgumentException($"Invalid cooldown {cooldown}: it must be non-negative.", nameof(cooldown));
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = CheckRate(threshold, nameof(threshold));
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        MinLearningRate = CheckRate(minLearningRate, nameof(minLearningRate));
        Eps = CheckRate(eps, nameof(eps));
        _learningRate = baseLearningRate;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public double BaseLearningRate { get; }
    public PlateauMode Mode { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public ThresholdMode ThresholdMode { get; }
    public int Cooldown { get; }
    public double MinLearningRate { get; }
    public double Eps { get; }

    /// <summary>The current rate.</summary>
    public double LearningRate => _learningRate;

    /// <summary>The best metric so far (±∞ before the first epoch).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Epochs reported so far.</summary>
    public int EpochsSeen { get; private set; }

    public override double GetLearningRate(int epoch, int step, int stepsPerEpoch)
    {
        CheckPosition(epoch, step, stepsPerEpoch);
        return _learningRate;
    }

    /// <summary>PyTorch's <c>step(metrics)</c>.</summary>
    public override void EpochCompleted(int epoch, double metric)
    {
        EpochsSeen++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            BadEpochs = 0;
        }
        if (BadEpochs > Patience)
        {
            double reduced = Math.Max(_learningRate * Factor, MinLearningRate);
            if (_learningRate - reduced > Eps) _learningRate = reduced;
            CooldownCounter = Cooldown;
            BadEpochs = 0;
        }
    }

    private bool IsBetter(double metric) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Relative) => metric < Best * (1 - Threshold),
        (PlateauMode.Min, _) => metric < Best - Threshold,
        (_, ThresholdMode.Relative) => metric > Best * (Threshold + 1),
        _ => metric > Best + Threshold,
    };

    protected override string TypeName => "ReduceOnPlateau";

    protected override (string Name, double Value)[] Hyperparameters => new[]
    {
        ("base_lr", BaseLearningRate), ("mode", (double)Mode), ("factor", Factor), ("patience", (double)Patience),
        ("threshold", Threshold), ("threshold_mode", (double)ThresholdMode), ("cooldown", (double)Cooldown),
        ("min_lr", MinLearningRate), ("eps", Eps),
    };

    public override void WriteState(TrainingState state)
    {
        base.WriteState(state);
        state.SetDouble("schedule.lr", _learningRate);
        state.SetDouble("schedule.best", Best);
        state.SetInt64("schedule.num_bad_epochs", BadEpochs);
        state.SetInt64("schedule.cooldown_counter", CooldownCounter);
        state.SetInt64("schedule.last_epoch", EpochsSeen);
    }

    public override void ReadState(TrainingState state)
    {
        base.ReadState(state);
        double lr = state.GetDouble("schedule.lr");
        double best = state.GetDouble("schedule.best");
        long bad = state.GetInt64("schedule.num_bad_epochs");
        long cooldown = state.GetInt64("schedule.cooldown_counter");
        long seen = state.GetInt64("schedule.last_epoch");
        if (!double.IsFinite(lr) || lr < 0) throw new ArgumentException($"schedule.lr {lr} is invalid.", nameof(state));
        if (double.IsNaN(best)) throw new ArgumentException("schedule.best is NaN.", nameof(state));
        if (bad < 0 || bad > int.MaxValue || cooldown < 0 || cooldown > int.MaxValue || seen < 0 || seen > int.MaxValue)
            throw new ArgumentException($"Plateau counters out of range (bad {bad}, cooldown {cooldown}, epochs {seen}).", nameof(state));
        _learningRate = lr;
        Best = best;
        BadEpochs = (int)bad;
        CooldownCounter = (int)cooldown;
        EpochsSeen = (int)seen;
    }
}
