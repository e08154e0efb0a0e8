using System;

namespace AlexNet.Gen.Training;

/// <summary>
/// Stochastic gradient descent exactly as <c>torch.optim.SGD</c>: g = ∇ + weight_decay·w; with momentum,
/// buf = g on the first step, else buf = momentum·buf + (1 − dampening)·g, then g = g + momentum·buf (Nesterov)
/// or g = buf; finally w −= lr·g.
/// </summary>
/// <remarks>
/// At a constant rate this is the AlexNet paper's rule v ← 0.9·v − 0.0005·ε·w − ε·∇, w ← w + v with v = −lr·buf
/// (momentum 0.9, weight decay 0.0005, dampening 0). When the rate changes PyTorch's form keeps the buffer in
/// gradient units, so a new rate applies to the whole accumulated step at once.
/// </remarks>
public sealed class Sgd : Optimizer
{
    private readonly float[] _buffer;

    /// <param name="parameters">The model's parameters (updated through the flat arrays).</param>
    /// <param name="learningRate">lr ≥ 0.</param>
    /// <param name="momentum">≥ 0; 0 disables the buffer.</param>
    /// <param name="dampening">Scales new gradients into the buffer by (1 − dampening).</param>
    /// <param name="weightDecay">L2 penalty ≥ 0 added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and dampening 0 (as PyTorch).</param>
    public Sgd(ParameterCollection parameters, double learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        Momentum = Check(momentum, 0, nameof(momentum));
        if (!double.IsFinite(dampening)) throw new ArgumentException($"Invalid dampening {dampening}: it must be finite.", nameof(dampening));
        Dampening = dampening;
        WeightDecay = Check(weightDecay, 0, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(nesterov));
        Nesterov = nesterov;
        _buffer = momentum != 0 ? new float[parameters.Values.Length] : Array.Empty<float>();
    }

    public double Momentum { get; }
    public double Dampening { get; }
    public double WeightDecay { get; }
    public bool Nesterov { get; }

    /// <summary>The momentum buffer (PyTorch's <c>momentum_buffer</c>), empty without momentum.</summary>
    public ReadOnlySpan<float> MomentumBuffer => _buffer;

    protected override string TypeName => "SGD";

    protected override (string Name, double Value)[] Hyperparameters => new[]
    {
        ("momentum", Momentum), ("dampening", Dampening), ("weight_decay", WeightDecay), ("nesterov", Nesterov ? 1.0 : 0.0),
    };

    protected override (string Name, float[] Buffer)[] Buffers
        => Momentum != 0 ? new[] { ("momentum_buffer", _buffer) } : Array.Empty<(string, float[])>();

    protected override void StepCore(long step)
    {
        var s = new SgdScalars(LearningRate, WeightDecay, Momentum, Dampening, firstStep: step == 1, Nesterov);
        OptimizerKernels.SgdAll(Parameters.Values, Parameters.Gradients, _buffer, s);
    }
}
