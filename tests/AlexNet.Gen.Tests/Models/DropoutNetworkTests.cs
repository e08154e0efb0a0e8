using System;
using System.Linq;
using static AlexNet.Gen.Tests.Models.ModelTestUtil;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Models;

/// <summary>
/// Dropout p = 0.5 inside whole generated networks, observed from outside: the mask is read off a network whose
/// output is the masked input, and recovered from a dense layer's weight gradient; both are checked for the values
/// {0, 2}, a plausible drop rate, determinism per seed, and the draw order the reference relies on.
/// </summary>
public class DropoutNetworkTests
{
    /// <summary>Inputs in [0.5, 1.5): never zero, so output/input is the mask.</summary>
    private static float[] PositiveInput(int length, ulong seed) => Input(length, seed).Select(v => 1f + v / 2).ToArray();

    [Fact]
    public void DropoutOnlyNetwork_TrainingOutputIsTheInputTimesAnInvertedMask()
    {
        const int batch = 4;
        var model = new DropoutOnlyNet(seed: 3);
        var input = PositiveInput(batch * DropoutOnlyNet.InputLength, 8);
        var output = new float[batch * DropoutOnlyNet.OutputLength];

        model.Forward(input, output, batch);
        Assert.Equal(input, output); // inference: the identity

        var expectedMask = NetworkReference.DrawMask(output.Length, 0.5f, NetworkReference.CloneRandom(model));
        model.ForwardTraining(input, output, batch);
        var mask = output.Select((y, i) => y / input[i]).ToArray();
        Assert.All(mask, m => Assert.True(m == 0f || Math.Abs(m - 2f) < 1e-6f, $"mask value {m}"));
        double dropped = mask.Count(m => m == 0f) / (double)mask.Length;
        // 4096 Bernoulli(0.5) draws: σ = 0.0078, so ±0.05 is beyond 6σ.
        Assert.InRange(dropped, 0.45, 0.55);
        Assert.Equal(expectedMask.Select(m => m != 0), mask.Select(m => m != 0));

        // The next training forward draws a new mask (the generator advanced), not the same one.
        var second = new float[output.Length];
        model.ForwardTraining(input, second, batch);
        int differing = second.Where((y, i) => (y == 0) != (output[i] == 0)).Count();
        Assert.InRange(differing, output.Length / 4, 3 * output.Length / 4);
    }

    [Fact]
    public void DropoutMasks_AreDeterminedByTheSeed()
    {
        const int batch = 2;
        var input = PositiveInput(batch * DropoutOnlyNet.InputLength, 9);
        float[] Run(int seed)
        {
            var output = new float[batch * DropoutOnlyNet.OutputLength];
            new DropoutOnlyNet(seed).ForwardTraining(input, output, batch);
            return output;
        }
        // Two independent runs from the same seed: a nondeterministic mask would make them differ.
        var firstRun = Run(42);
        var secondRun = Run(42);
        Assert.Equal(firstRun, secondRun);
        Assert.NotEqual(Run(42), Run(43));

        // The same holds through a whole network with two dropout layers.
        var x = Input(batch * TinyAlexNet.InputLength, 10);
        float[] Tiny(int seed)
        {
            var output = new float[batch * TinyAlexNet.OutputLength];
            new TinyAlexNet(seed).ForwardTraining(x, output, batch);
            return output;
        }
        // Two independent runs from the same seed: a nondeterministic mask would make them differ.
        var firstTiny = Tiny(7);
        var secondTiny = Tiny(7);
        Assert.Equal(firstTiny, secondTiny);
    }

    [Fact]
    public void DropoutBeforeDense_MaskRecoveredFromTheWeightGradient_MatchesTheReference()
    {
        // Batch 1: dW[o, i] = g_o·x_i·m_i with g = softmax(z) − onehot, so m_i = dW[o, i]/(g_o·x_i) for any o with g_o ≠ 0.
        var model = new DropoutDenseNet(seed: 12);
        var reference = NetworkReference.FromType(typeof(DropoutDenseNet));
        var parameters = reference.ReadParameters(model);
        var input = PositiveInput(DropoutDenseNet.InputLength, 13);
        var labels = new[] { 2 };
        var output = new float[DropoutDenseNet.OutputLength];
        var contractMask = NetworkReference.DrawMask(input.Length, 0.5f, NetworkReference.CloneRandom(model));
        model.ForwardTraining(input, output, 1);
        float loss = model.Backward(labels);

        var g = Ref.CrossEntropyGradient(ToDouble(output), labels, 1, output.Length, 0);
        int o = Enumerable.Range(0, g.Length).OrderByDescending(j => Math.Abs(g[j])).First();
        var dW = model.Parameters["fc1.weight"].Gradient;
        var mask = new float[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            double m = dW[o * input.Length + i] / (g[o] * input[i]);
            Assert.True(Math.Abs(m) < 1e-3 || Math.Abs(m - 2) < 1e-3, $"recovered mask value {m} at {i}");
            mask[i] = Math.Abs(m) < 1e-3 ? 0f : 2f;
        }
        int dropped = mask.Count(m => m == 0);
        Assert.InRange(dropped, 12, 52); // 64 Bernoulli(0.5) draws: beyond 5σ
        Assert.Equal(contractMask, mask);

        // With that mask the reference reproduces the output, the loss and both gradients.
        var x = ToDouble(input);
        var masked = x.Select((v, i) => v * mask[i]).ToArray();
        var logits = Ref.DenseForward(64, 4, true, masked, parameters["fc1.weight"], parameters["fc1.bias"], 1);
        AssertClose(output, logits, 1e-5, "logits");
        AssertClose(loss, Ref.CrossEntropyLoss(logits, labels, 1, 4, 0), 1e-5, "loss");
        var (_, weightGradient, biasGradient) = Ref.DenseBackward(64, 4, true, masked, parameters["fc1.weight"],
            Ref.CrossEntropyGradient(logits, labels, 1, 4, 0), 1);
        AssertClose(model.Parameters["fc1.weight"].Gradient, weightGradient, 1e-5, "fc1.weight gradient");
        AssertClose(model.Parameters["fc1.bias"].Gradient, biasGradient, 1e-5, "fc1.bias gradient");
    }

    [Fact]
    public void DropoutOnlyNetwork_Backward_ReturnsTheLossOfTheMaskedLogits()
    {
        // No parameters: backward has nothing to differentiate but must still return the cross-entropy of the (masked) logits.
        const int batch = 2;
        var model = new DropoutOnlyNet(seed: 4);
        Assert.Empty(model.Parameters);
        var input = Input(batch * DropoutOnlyNet.InputLength, 14);
        var output = new float[input.Length];
        model.ForwardTraining(input, output, batch);
        var labels = Labels(batch, DropoutOnlyNet.OutputLength, 15);
        float loss = model.Backward(labels, 0.1f);
        AssertClose(loss, Ref.CrossEntropyLoss(ToDouble(output), labels, batch, DropoutOnlyNet.OutputLength, 0.1), 1e-4, "loss");
    }
}
