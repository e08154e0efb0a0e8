using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using AlexNet.Gen.Training;
using TorchSharp;
using Xunit.Sdk;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace AlexNet.Gen.Parity.Support;

/// <summary>
/// One generated model against its libtorch twin (a module giving logits, any dtype): parameters matched by name
/// (optionally through a map from our names to the module's), then the forward output, the loss and every
/// parameter gradient of one mean cross-entropy backward, and the parameters after SGD steps.
/// </summary>
/// <remarks>
/// Comparisons are norm-based like <see cref="ParityAssert"/> but purely relative: max|ours − ref| ≤ tol · max|ref|
/// per tensor, without ParityAssert's floor of 1. Whole-model gradients span many scales (the paper's N(0, 0.01)
/// initialization gives conv1.weight gradients of at most ~4e-4), and a floor of 1 would let any of those pass.
/// </remarks>
internal sealed class ModelParity
{
    public const double LearningRate = 0.01, Momentum = 0.9, WeightDecay = 5e-4;

    private readonly INetwork _ours;
    private readonly TorchModule _module;
    private readonly Dictionary<string, TorchSharp.Modules.Parameter> _theirs;

    /// <param name="ours">Our model (its parameters are the source of truth).</param>
    /// <param name="module">The reference; its forward must return logits (softmax is applied here when ours ends in Softmax).</param>
    /// <param name="ourToTorch">Our parameter name → the module's; null when the names are the same.</param>
    public ModelParity(INetwork ours, TorchModule module, IReadOnlyDictionary<string, string>? ourToTorch = null)
    {
        _ours = ours;
        _module = module;
        _theirs = ByOurName(module, ours.Parameters, ourToTorch);
    }

    /// <summary>Pass-through watchers in the torch module; their near-kinks are appended to gradient and SGD failures.</summary>
    public KinkWatch? Kinks { get; init; }

    /// <summary>Called before each of our training forwards and the matching torch forward (e.g. to replay dropout masks).</summary>
    public Action? BeforeTrainingForward { get; init; }

    /// <summary>The module's parameter for each of our names; both sides must have exactly the same set and shapes.</summary>
    public static Dictionary<string, TorchSharp.Modules.Parameter> ByOurName(nn.Module module, ParameterCollection ours, IReadOnlyDictionary<string, string>? ourToTorch)
    {
        var torchByName = module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        string TorchName(string ourName) => ourToTorch is not null && ourToTorch.TryGetValue(ourName, out var t) ? t : ourName;
        var wanted = new SortedSet<string>(ours.Select(p => TorchName(p.Name)), StringComparer.Ordinal);
        if (!wanted.SetEquals(torchByName.Keys))
            throw new ArgumentException($"Parameter names differ. Ours (mapped): {string.Join(", ", wanted)}. libtorch: {string.Join(", ", torchByName.Keys.OrderBy(k => k, StringComparer.Ordinal))}.");
        var result = new Dictionary<string, TorchSharp.Modules.Parameter>(StringComparer.Ordinal);
        foreach (var p in ours)
        {
            var t = torchByName[TorchName(p.Name)];
            if (!p.Shape.SequenceEqual(t.shape.Select(d => (int)d).ToArray()))
                throw new ArgumentException($"{p.Name}: our shape {p.ShapeText}, libtorch's [{string.Join(", ", t.shape)}].");
            result.Add(p.Name, t);
        }
        return result;
    }

    /// <summary>Copies our parameter values into the module (converted to its dtype).</summary>
    public void CopyParametersToTorch()
    {
        using var noGrad = torch.no_grad();
        foreach (var p in _ours.Parameters)
        {
            var t = _theirs[p.Name];
            using var values = Float32(p.Values);
            t.copy_(values.view(t.shape));
        }
    }

    /// <summary>(a) Inference outputs: ours against the module's logits, or their softmax when ours outputs probabilities.</summary>
    public void AssertForward(float[] input, long[] inputShape, double tolerance = ParityAssert.ForwardTolerance)
    {
        int batch = (int)inputShape[0];
        var output = TestData.NaNs(batch * _ours.OutputLength);
        _ours.Forward(input, output, batch);
        Kinks?.Clear(); // inference fills no per-layer buffers: nothing to follow

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = TorchInput(input, inputShape);
        var logits = _module.call(x);
        var expected = _ours.OutputsProbabilities ? F.softmax(logits, 1) : logits;
        AssertRelative(Ours(output), expected, tolerance, _ours.OutputsProbabilities ? "probabilities" : "logits");
    }

    /// <summary>(b) The loss and every parameter gradient of one mean cross-entropy backward.</summary>
    public void AssertGradients(float[] input, long[] inputShape, int[] labels, double tolerance = ParityAssert.GradientTolerance)
        => ExplainingKinks(() =>
        {
            float loss = OurTrainingStep(input, inputShape, labels);
            double lossT = TorchTrainingStep(input, inputShape, labels, "backward");
            AssertRelative(new[] { loss }, new[] { lossT }, ParityAssert.ForwardTolerance, "loss");
            foreach (var p in _ours.Parameters)
            {
                using var scope = torch.NewDisposeScope();
                var theirs = _theirs[p.Name].grad ?? throw new InvalidOperationException($"libtorch has no gradient for {p.Name}.");
                AssertRelative(Ours(p.Gradient), theirs, tolerance, p.Name + " gradient");
            }
        });

    /// <summary>
    /// (c) <paramref name="steps"/> SGD steps (lr 0.01, momentum 0.9, weight decay 5e-4), each a fresh forward and
    /// backward on the same batch: ours with <see cref="Sgd"/>, libtorch with torch.optim.SGD. Checks each step's loss,
    /// the final parameters (relative to max|w|) and the displacement w_k − w_0 (relative to max|Δ|, plus the float32
    /// rounding our stored weights take at each step).
    /// </summary>
    /// <remarks>Leaves both models at the stepped parameters.</remarks>
    public void AssertSgdSteps(float[] input, long[] inputShape, int[] labels, int steps, double parameterTolerance, double displacementTolerance)
        => ExplainingKinks(() => SgdSteps(input, inputShape, labels, steps, parameterTolerance, displacementTolerance));

    private void SgdSteps(float[] input, long[] inputShape, int[] labels, int steps, double parameterTolerance, double displacementTolerance)
    {
        float[] initial = (float[])_ours.Parameters.Values.Clone();
        var sgd = new Sgd(_ours.Parameters, LearningRate, momentum: Momentum, weightDecay: WeightDecay);
        using var optimizer = torch.optim.SGD(_module.parameters(), LearningRate, momentum: Momentum, weight_decay: WeightDecay);
        for (int step = 1; step <= steps; step++)
        {
            float loss = OurTrainingStep(input, inputShape, labels);
            sgd.Step();
            double lossT = TorchTrainingStep(input, inputShape, labels, $"SGD step {step}");
            optimizer.step();
            AssertRelative(new[] { loss }, new[] { lossT }, ParityAssert.ForwardTolerance, $"loss before step {step}");
        }

        foreach (var p in _ours.Parameters)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            // Copies (flatten of a fresh float64 tensor), so the in-place subtractions below leave the model alone.
            var theirs = _theirs[p.Name].detach().to_type(ScalarType.Float64, copy: true).flatten();
            var ours = Ours(p.Values);
            AssertRelative(ours, theirs, parameterTolerance, $"{p.Name} after {steps} SGD steps");

            var start = Ours(initial.AsSpan(p.Offset, p.Length));
            // Each of our updates stores w in float32: at most half an ulp, ≤ 2^-24·|w|, per step.
            double rounding = steps * Math.ScaleB(Math.Max(MaxAbs(theirs), MaxAbs(start)), -24);
            AssertRelative(ours.sub_(start), theirs.sub_(start), displacementTolerance, $"{p.Name} displacement after {steps} SGD steps", rounding);
        }
    }

    private void ExplainingKinks(Action assertions)
    {
        Kinks?.Clear();
        try
        {
            assertions();
        }
        catch (XunitException e) when (Kinks is not null)
        {
            throw new XunitException(e.Message + Kinks.Describe());
        }
    }

    private float OurTrainingStep(float[] input, long[] inputShape, int[] labels)
    {
        int batch = (int)inputShape[0];
        BeforeTrainingForward?.Invoke();
        var output = TestData.NaNs(batch * _ours.OutputLength);
        _ours.ForwardTraining(input, output, batch);
        return _ours.Backward(labels);
    }

    /// <summary>Zeroes the gradients, runs forward, mean cross-entropy on the logits and backward; returns the loss.</summary>
    private double TorchTrainingStep(float[] input, long[] inputShape, int[] labels, string pass)
    {
        // Our ForwardTraining on the same parameters and batch just ran: its buffers hold our side of each kink.
        Kinks?.BeginPass(pass, follow: true);
        using var scope = torch.NewDisposeScope();
        foreach (var (_, p) in _module.named_parameters())
            p.grad?.zero_();
        var x = TorchInput(input, inputShape);
        var loss = F.cross_entropy(_module.call(x), TorchRef.Labels(labels));
        loss.backward();
        return loss.to_type(ScalarType.Float64).item<double>();
    }

    private Tensor TorchInput(float[] input, long[] inputShape)
    {
        var dtype = _theirs.Values.First().dtype;
        return torch.tensor(input, inputShape, dtype: ScalarType.Float32).to_type(dtype);
    }

    private static double MaxAbs(Tensor t) => Math.Max(t.max().item<double>(), -t.min().item<double>());

    /// <summary>Our values as a flat float64 tensor (exact: every float is a double).</summary>
    private static Tensor Ours(ReadOnlySpan<float> values)
    {
        using var single = Float32(values);
        return single.to_type(ScalarType.Float64);
    }

    /// <summary>
    /// A flat float32 tensor holding a copy of <paramref name="values"/>, written straight into libtorch's memory:
    /// going through a managed array would leave hundreds of MB of large-object garbage per big tensor.
    /// </summary>
    public static Tensor Float32(ReadOnlySpan<float> values)
    {
        var tensor = torch.empty(new long[] { values.Length }, dtype: ScalarType.Float32);
        using var accessor = tensor.data<float>();
        accessor.CopyFrom(values, 0, 0);
        return tensor;
    }

    /// <summary>max|actual − expected| ≤ tolerance · max|expected| + slack.</summary>
    public static void AssertRelative(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance, string what, double slack = 0)
    {
        using var scope = torch.NewDisposeScope();
        AssertRelative(Ours(actual), torch.tensor(expected.ToArray(), new long[] { expected.Length }, dtype: ScalarType.Float64), tolerance, what, slack);
    }

    /// <summary>
    /// max|actual − expected| ≤ tolerance · max|expected| + slack, both flattened; computed by libtorch because the
    /// big models' tensors have tens of millions of elements.
    /// </summary>
    public static void AssertRelative(Tensor actual, Tensor expected, double tolerance, string what, double slack = 0)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var a = actual.detach().to_type(ScalarType.Float64).flatten();
        var e = expected.detach().to_type(ScalarType.Float64).flatten();
        if (a.shape[0] != e.shape[0])
            throw new XunitException($"{what}: {a.shape[0]} values, libtorch has {e.shape[0]}.");
        if (!e.isfinite().all().item<bool>())
            throw new XunitException($"{what}: libtorch produced a non-finite value; the test data is unsuitable.");
        double maxRef = MaxAbs(e);
        if (maxRef == 0)
            throw new XunitException($"{what}: libtorch's values are all zero; a relative comparison would test nothing.");
        // The big models' tensors are hundreds of MB in float64: one temporary, updated in place.
        var diff = (a - e).abs_().nan_to_num_(double.PositiveInfinity, double.PositiveInfinity);
        long worst = diff.argmax().item<long>();
        double maxDiff = diff[worst].item<double>();
        double bound = tolerance * maxRef + slack;
        if (!(maxDiff <= bound))
        {
            throw new XunitException(string.Format(CultureInfo.InvariantCulture,
                "{0}: max |diff| {1:G6} at index {2} (ours {3:G9}, libtorch {4:G9}) exceeds {5:G3} (tolerance {6:G3} × max|ref| {7:G6}{8}); relative error {9:G3}.",
                what, maxDiff, worst, a[worst].item<double>(), e[worst].item<double>(), bound, tolerance, maxRef,
                slack > 0 ? string.Format(CultureInfo.InvariantCulture, " + {0:G3}", slack) : "", maxDiff / maxRef));
        }
    }
}

/// <summary>Sets libtorch's intra-op threads for a scope (the big models), restoring the previous count after.</summary>
internal sealed class TorchThreads : IDisposable
{
    private readonly int _previous;

    public TorchThreads(int threads)
    {
        // TorchRef's static constructor sets one thread; run it first so it cannot undo this later.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(TorchRef).TypeHandle);
        _previous = torch.get_num_threads();
        torch.set_num_threads(threads);
    }

    public void Dispose() => torch.set_num_threads(_previous);
}
