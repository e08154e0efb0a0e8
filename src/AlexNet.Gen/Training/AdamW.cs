using System;

namespace AlexNet.Gen.Training;

/// <summary>
/// Adam with decoupled weight decay exactly as <c>torch.optim.AdamW</c> (amsgrad off): w ← w·(1 − lr·wd);
/// m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; w ← w − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε).
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly float[] _m;
    private readonly float[] _v;

    /// <param name="beta1">First-moment decay in [0, 1).</param>
    /// <param name="beta2">Second-moment decay in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator, ≥ 0.</param>
    /// <param name="weightDecay">Decoupled decay ≥ 0 (PyTorch's default 0.01).</param>
    public AdamW(ParameterCollection parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 1e-2)
        : base(parameters, learningRate)
    {
        Beta1 = CheckBeta(beta1, nameof(beta1));
        Beta2 = CheckBeta(beta2, nameof(beta2));
        Epsilon = Check(epsilon, 0, nameof(epsilon));
        WeightDecay = Check(weightDecay, 0, nameof(weightDecay));
        _m = new float[parameters.Values.Length];
        _v = new float[parameters.Values.Length];
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }

    /// <summary>The first moment (PyTorch's <c>exp_avg</c>).</summary>
    public ReadOnlySpan<float> FirstMoment => _m;

    /// <summary>The second moment (PyTorch's <c>exp_avg_sq</c>).</summary>
    public ReadOnlySpan<float> SecondMoment => _v;

    protected override string TypeName => "AdamW";

    protected override (string Name, double Value)[] Hyperparameters => new[]
    {
        ("beta1", Beta1), ("beta2", Beta2), ("eps", Epsilon), ("weight_decay", WeightDecay),
    };

    protected override (string Name, float[] Buffer)[] Buffers => new[] { ("exp_avg", _m), ("exp_avg_sq", _v) };

    protected override void StepCore(long step)
    {
        var s = new AdamWScalars(LearningRate, Beta1, Beta2, Epsilon, WeightDecay, step);
        OptimizerKernels.AdamWAll(Parameters.Values, Parameters.Gradients, _m, _v, s);
    }

    private static double CheckBeta(double beta, string name)
    {
        if (!(beta >= 0 && beta < 1))
            throw new ArgumentException($"Invalid {name} {beta}: it must lie in [0, 1).", name);
        return beta;
    }
}
