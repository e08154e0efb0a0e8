using System.Collections.Generic;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity;

/// <summary>
/// The model tests' reference takes our side of a kink only where float32 cannot tell the sides apart: these check
/// that a near kink is followed and a clear one (where ours choosing otherwise would be a bug) is not.
/// </summary>
public sealed class KinkWatchTests
{
    /// <summary>Stands in for a generated model: the watcher reads <c>_{layer}Output</c> by reflection.</summary>
    private sealed class FakeModel
    {
#pragma warning disable CS0414, IDE0052 // read by reflection
        private readonly float[] _layerOutput;
#pragma warning restore CS0414, IDE0052

        public FakeModel(float[] output) => _layerOutput = output;
    }

    [Fact]
    public void Relu_TakesOurSideOnlyWithinFollowBelowOfZero()
    {
        // Reference inputs (max |x| = 1): two within 1e-5 of zero, two far from it. Ours disagrees on all four.
        double[] values = { -1e-7, 2e-7, -0.5, 1.0 };
        float[] ours = { 3e-8f, 0f, 0.4f, 0f }; // our ReLU outputs: positive, zero, positive, zero
        var kinks = new KinkWatch();
        kinks.Follow(new FakeModel(ours), new Dictionary<string, string> { ["relu"] = "layer" });

        kinks.BeginPass("backward", follow: true);
        var (mask, shifted) = ReluGradient(kinks, values);
        Assert.Equal(new double[] { 1, 0, 0, 1 }, mask); // near zero: ours; far: the reference's own
        Assert.Equal(values[2], shifted[2]);
        Assert.Equal(values[3], shifted[3]);
        Assert.InRange(shifted[0], 0, 2e-7); // moved just across zero, no further than needed
        Assert.InRange(shifted[1], -2e-7, 0);
        Assert.Contains("relu: 2 input(s)", kinks.Describe(), System.StringComparison.Ordinal);

        // Without following (an inference pass) the watcher is a pure pass-through.
        kinks.BeginPass("forward");
        var (plainMask, plain) = ReluGradient(kinks, values);
        Assert.Equal(new double[] { 0, 1, 0, 1 }, plainMask);
        Assert.Equal(values, plain);
    }

    [Fact]
    public void MaxPool_TakesOurElementOnlyInNearTiedWindows()
    {
        // One 2×4 plane, 2×2 windows with stride 2: the left window's top two are 1e-7 apart (relative), the right
        // window's are 0.5 apart. Ours picks the runner-up in both.
        double[] values = { 1.0, 1.0 - 1e-7, 1.0, 0.5, 0.1, 0.2, 0.3, 0.4 };
        float[] ours = { 0.9f, 1.0f, 0.5f, 1.0f, 0.1f, 0.2f, 0.3f, 0.4f };
        var kinks = new KinkWatch();
        kinks.Follow(new FakeModel(ours), new Dictionary<string, string> { ["pool"] = "layer" });

        kinks.BeginPass("backward", follow: true);
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(values, new long[] { 1, 1, 2, 4 }, dtype: ScalarType.Float64).requires_grad_(true);
        var pooled = F.max_pool2d(kinks.MaxPool("pool", 2, 2)(x), new long[] { 2, 2 }, new long[] { 2, 2 });
        pooled.sum().backward();
        double[] gradient = TorchRef.Values(x.grad!);

        // Left window: the gradient goes to ours (index 1), the value stays the reference's maximum to 1e-8.
        // Right window: the reference's own maximum (index 2), though ours chose index 3.
        Assert.Equal(new double[] { 0, 1, 1, 0, 0, 0, 0, 0 }, gradient);
        double[] output = TorchRef.Values(pooled.detach());
        Assert.InRange(output[0], 1.0, 1.0 + 1e-8);
        Assert.Equal(1.0, output[1]);
        Assert.Contains("pool: 1 window(s)", kinks.Describe(), System.StringComparison.Ordinal);
    }

    /// <summary>d Σ relu(watch(x)) / dx and watch(x) itself.</summary>
    private static (double[] Mask, double[] Shifted) ReluGradient(KinkWatch kinks, double[] values)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(values, new long[] { 1, values.Length }, dtype: ScalarType.Float64).requires_grad_(true);
        var watched = kinks.Relu("relu")(x);
        torch.nn.functional.relu(watched).sum().backward();
        return (TorchRef.Values(x.grad!), TorchRef.Values(watched.detach()));
    }
}
