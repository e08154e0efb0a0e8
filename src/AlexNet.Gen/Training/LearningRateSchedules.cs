using System;

namespace AlexNet.Gen.Training;

/// <summary>
/// A learning-rate schedule. The <see cref="Trainer"/> asks for the rate before every optimizer step and reports
/// the monitored metric after every epoch. Epochs and steps are 0-based.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The rate for batch <paramref name="step"/> of <paramref name="stepsPerEpoch"/> in epoch <paramref name="epoch"/>.</summary>
    double GetLearningRate(int epoch, int step, int stepsPerEpoch);

    /// <summary>Called once when epoch <paramref name="epoch"/> ends, with the monitored metric (validation loss by default).</summary>
    void EpochCompleted(int epoch, double metric);

    /// <summary>Adds this schedule's <c>schedule.*</c> metadata (type, hyperparameters, mutable state).</summary>
    void WriteState(TrainingState state);

    /// <summary>Restores state written by <see cref="WriteState"/>, checking type and hyperparameters first.</summary>
    void ReadState(TrainingState state);
}

/// <summary>Shared validation and state checks of the closed-form schedules.</summary>
public abstract class LearningRateSchedule : ILearningRateSchedule
{
    public abstract double GetLearningRate(int epoch, int step, int stepsPerEpoch);

    /// <summary>Closed-form schedules ignore the metric.</summary>
    public virtual void EpochCompleted(int epoch, double metric)
    {
    }

    /// <summary>The type name stored in checkpoints.</summary>
    protected abstract string TypeName { get; }

    /// <summary>The constants that define the schedule (checked on import).</summary>
    protected abstract (string Name, double Value)[] Hyperparameters { get; }

    public virtual void WriteState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Metadata["schedule.type"] = TypeName;
        foreach (var (name, value) in Hyperparameters) state.SetDouble("schedule." + name, value);
    }

    public virtual void ReadState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string type = state.GetString("schedule.type");
        if (type != TypeName)
            throw new ArgumentException($"The training state holds a {type} schedule, not {TypeName}.", nameof(state));
        foreach (var (name, value) in Hyperparameters)
        {
            double saved = state.GetDouble("schedule." + name);
            if (saved.CompareTo(value) != 0)
                throw new ArgumentException($"The training state was made with schedule {name} = {saved}, this schedule has {value}.", nameof(state));
        }
    }

    protected static void CheckPosition(int epoch, int step, int stepsPerEpoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "The epoch must be non-negative.");
        if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "There must be at least one step per epoch.");
        if (step < 0 || step >= stepsPerEpoch) throw new ArgumentOutOfRangeException(nameof(step), step, $"The step must lie in [0, {stepsPerEpoch}).");
    }

    protected static double CheckRate(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentException($"Invalid {name} {value}: it must be finite and non-negative.", name);
        return value;
    }
}

/// <summary>
/// lr = base · gamma^⌊epoch / stepSize⌋, the closed form of <c>torch.optim.lr_scheduler.StepLR</c>. The AlexNet
/// paper divided by 10 (gamma 0.1) by hand; this is the fixed-interval version of that.
/// </summary>
public sealed class StepDecay : LearningRateSchedule
{
    public StepDecay(double baseLearningRate, int stepSize, double gamma = 0.1)
    {
        BaseLearningRate = CheckRate(baseLearningRate, nameof(baseLearningRate));
        if (stepSize < 1) throw new ArgumentException($"Invalid stepSize {stepSize}: it must be at least 1.", nameof(stepSize));
        if (!double.IsFinite(gamma) || gamma <= 0) throw new ArgumentException($"Invalid gamma {gamma}: it must be positive and finite.", nameof(gamma));
        StepSize = stepSize;
        Gamma = gamma;
    }

    public double BaseLearningRate { get; }
    public int StepSize { get; }
    public double Gamma { get; }

    public override double GetLearningRate(int epoch, int step, int stepsPerEpoch)
    {
        CheckPosition(epoch, step, stepsPerEpoch);
        return BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
    }

    protected override string TypeName => "StepDecay";

    protected override (string Name, double Value)[] Hyperparameters => new[]
    {
        ("base_lr", BaseLearningRate), ("step_size", (double)StepSize), ("gamma", Gamma),
    };
}

/// <summary>
/// lr = eta_min + (base − eta_min)·(1 + cos(π·t / tMax)) / 2, the closed form of
/// <c>torch.optim.lr_scheduler.CosineAnnealingLR</c>. t is the epoch, or with <c>perStep</c> the fractional epoch
/// epoch + step / stepsPerEpoch. Like PyTorch's closed form it is periodic: past tMax the rate rises again.
/// </summary>
public sealed class CosineAnnealing : LearningRateSchedule
{
    public CosineAnnealing(double baseLearningRate, int tMax, double etaMin = 0, bool perStep = false)
    {
        BaseLearningRate = CheckRate(baseLearningRate, nameof(baseLearningRate));
        if (tMax < 1) throw new ArgumentException($"Invalid tMax {tMax}: it must be at least 1.", nameof(tMax));
        TMax = tMax;
        EtaMin = CheckRate(etaMin, nameof(etaMin));
        PerStep = perStep;
    }

    public double BaseLearningRate { get; }
    public int TMax { get; }
    public double EtaMin { get; }
    public bool PerStep { get; }

    public override double GetLearningRate(int epoch, int step, int stepsPerEpoch)
    {
        CheckPosition(epoch, step, stepsPerEpoch);
        double t = PerStep ? epoch + (double)step / stepsPerEpoch : epoch;
        return EtaMin + (BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * t / TMax)) / 2;
    }

    protected override string TypeName => "CosineAnnealing";

    protected override (string Name, double Value)[] Hyperparameters => new[]
    {
        ("base_lr", BaseLearningRate), ("t_max", (double)TMax), ("eta_min", EtaMin), ("per_step", PerStep ? 1.0 : 0.0),
    };
}

/// <summary>
/// Linear warmup over the first <c>warmupSteps</c> optimizer steps, multiplied onto another schedule: factor =
/// startFactor + (1 − startFactor)·min(s, warmupSteps) / warmupSteps with s the global step, as
/// <c>torch.optim.lr_scheduler.LinearLR(start_factor, 1.0, warmupSteps)</c> stepped per batch and chained.
/// </summary>
public sealed class LinearWarmup : ILearningRateSchedule
{
    public LinearWarmup(ILearningRateSchedule inner, int warmupSteps, double startFactor = 1.0 / 3)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (warmupSteps < 1) throw new ArgumentException($"Invalid warmupSteps {warmupSteps}: it must be at least 1.", nameof(warmupSteps));
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentException($"Invalid startFactor {startFactor}: it must lie in (0, 1].", nameof(startFactor));
        WarmupSteps = warmupSteps;
        StartFactor = startFactor;
    }

    public ILearningRateSchedule Inner { get; }
    public int WarmupSteps { get; }
    public double StartFactor { get; }

    public double GetLearningRate(int epoch, int step, int stepsPerEpoch)
    {
        double rate = Inner.GetLearningRate(epoch, step, stepsPerEpoch);
        long s = (long)epoch * stepsPerEpoch + step;
        if (s >= WarmupSteps) return rate;
        return rate * (StartFactor + (1 - StartFactor) * s / WarmupSteps);
    }

    public void EpochCompleted(int epoch, double metric) => Inner.EpochCompleted(epoch, metric);

    public void WriteState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.SetInt64("schedule.warmup.steps", WarmupSteps);
        state.SetDouble("schedule.warmup.start_factor", StartFactor);
        Inner.WriteState(state);
    }

    public void ReadState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        long steps = state.GetInt64("schedule.warmup.steps");
        double factor = state.GetDouble("schedule.warmup.start_factor");
        if (steps != WarmupSteps || factor.CompareTo(StartFactor) != 0)
            throw new ArgumentException($"The training state was made with a warmup of {steps} steps from {factor}, this schedule has {WarmupSteps} from {StartFactor}.", nameof(state));
        Inner.ReadState(state);
    }
}
