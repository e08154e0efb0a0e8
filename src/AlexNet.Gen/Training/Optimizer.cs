using System;

namespace AlexNet.Gen.Training;

/// <summary>
/// Updates a model's parameters from the gradients of the last backward pass. State (momentum buffers, moments,
/// step count, learning rate) can be written to and read from a <see cref="TrainingState"/> for checkpoints.
/// </summary>
public interface IOptimizer
{
    /// <summary>The parameters this optimizer updates (their flat <c>Values</c>/<c>Gradients</c> arrays).</summary>
    ParameterCollection Parameters { get; }

    /// <summary>The rate the next <see cref="Step"/> uses; schedules set it before each step.</summary>
    double LearningRate { get; set; }

    /// <summary>Steps taken so far (PyTorch's <c>state['step']</c>).</summary>
    long StepCount { get; }

    /// <summary>One update from the current gradients. Allocates nothing.</summary>
    void Step();

    /// <summary>Adds this optimizer's state (tensors and <c>optimizer.*</c> metadata) to <paramref name="state"/>.</summary>
    void WriteState(TrainingState state);

    /// <summary>
    /// Restores state written by <see cref="WriteState"/>: checks the optimizer type, the hyperparameters and every
    /// tensor's name and length before changing anything, then copies the buffers, step count and learning rate.
    /// </summary>
    void ReadState(TrainingState state);
}

/// <summary>
/// Shared bookkeeping of the optimizers: validation, step counting and state import/export. Buffers are
/// allocated once, sized to <c>parameters.Values.Length</c>.
/// </summary>
public abstract class Optimizer : IOptimizer
{
    /// <summary>Below this many parameters an update runs on the calling thread (threads cost more than they save).</summary>
    internal const int ParallelThreshold = 1 << 16;

    private double _learningRate;

    protected Optimizer(ParameterCollection parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Values.Length != parameters.Gradients.Length)
            throw new ArgumentException($"The model has {parameters.Values.Length} values but {parameters.Gradients.Length} gradients.", nameof(parameters));
        Parameters = parameters;
        LearningRate = learningRate;
    }

    public ParameterCollection Parameters { get; }

    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentException($"Invalid learning rate {value}: it must be finite and non-negative.", nameof(value));
            _learningRate = value;
        }
    }

    public long StepCount { get; private set; }

    /// <summary>The type name stored in checkpoints, e.g. <c>SGD</c>.</summary>
    protected abstract string TypeName { get; }

    /// <summary>The fixed hyperparameters (checked on import so a resumed run computes what the original would have).</summary>
    protected abstract (string Name, double Value)[] Hyperparameters { get; }

    /// <summary>The state buffers, each sized to the flat parameter array.</summary>
    protected abstract (string Name, float[] Buffer)[] Buffers { get; }

    public void Step()
    {
        StepCore(StepCount + 1);
        StepCount++;
    }

    /// <summary>The update for step <paramref name="step"/> (1-based, as PyTorch counts).</summary>
    protected abstract void StepCore(long step);

    public void WriteState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Metadata["optimizer.type"] = TypeName;
        state.SetInt64("optimizer.step", StepCount);
        state.SetDouble("optimizer.lr", LearningRate);
        foreach (var (name, value) in Hyperparameters) state.SetDouble("optimizer." + name, value);
        int n = Parameters.Values.Length;
        foreach (var (name, buffer) in Buffers)
            state.AddTensor(new StateTensor("optimizer." + name, new[] { n }, (float[])buffer.Clone()));
    }

    public void ReadState(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string type = state.GetString("optimizer.type");
        if (type != TypeName)
            throw new ArgumentException($"The training state holds a {type} optimizer, not {TypeName}.", nameof(state));
        long step = state.GetInt64("optimizer.step");
        if (step < 0) throw new ArgumentException($"optimizer.step {step} is negative.", nameof(state));
        double lr = state.GetDouble("optimizer.lr");
        if (!double.IsFinite(lr) || lr < 0) throw new ArgumentException($"optimizer.lr {lr} is invalid.", nameof(state));
        foreach (var (name, value) in Hyperparameters)
        {
            double saved = state.GetDouble("optimizer." + name);
            if (saved.CompareTo(value) != 0)
                throw new ArgumentException($"The training state was made with {name} = {saved}, this optimizer has {value}.", nameof(state));
        }
        int n = Parameters.Values.Length;
        var buffers = Buffers;
        var sources = new float[buffers.Length][];
        for (int i = 0; i < buffers.Length; i++) sources[i] = state.GetTensor("optimizer." + buffers[i].Name, n).Data;

        for (int i = 0; i < buffers.Length; i++) sources[i].AsSpan().CopyTo(buffers[i].Buffer);
        StepCount = step;
        LearningRate = lr;
    }

    /// <summary>Checks a hyperparameter is finite and at least <paramref name="min"/>.</summary>
    protected static double Check(double value, double min, string name)
    {
        if (!double.IsFinite(value) || value < min)
            throw new ArgumentException($"Invalid {name} {value}: it must be finite and at least {min}.", name);
        return value;
    }
}
