using System;
using System.Collections.Generic;
using System.Linq;
using AlexNet.Gen.Tests.Reference;
using static AlexNet.Gen.Tests.Models.ModelTestUtil;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Models;

/// <summary>
/// ForwardTraining + Backward (and BackwardFromOutputGradient) of generated networks against the reference network.
/// Dropout masks are reproduced from a copy of the model's generator taken before ForwardTraining, following the
/// Dropout kernel's documented draw order (DropoutNetworkTests checks that contract on its own).
/// </summary>
public class BackwardDifferentialTests
{
    private const double OutputTolerance = 1e-4;
    private const double LossTolerance = 1e-4;
    private const double GradientTolerance = 1e-3;
    /// <summary>Decisions (max-pool winners, ReLU signs) at least this far, relative, from a tie: far above float rounding.</summary>
    private const double DecisionMargin = 1e-5;

    [Theory]
    [MemberData(nameof(RandomNetworks.Indices), MemberType = typeof(RandomNetworks))]
    public void RandomNetwork_BackwardMatchesReference(int index)
    {
        var network = RandomNetworks.All[index];
        var model = RandomNetworks.Create(index, seed: 500 + index);
        int batch = index % 2 == 0 ? 3 : 1;
        float smoothing = index % 10 == 3 ? 0.1f : 0f; // label smoothing on a few
        CheckTrainingStep(model, network.Reference, batch, smoothing, (ulong)(1000 + index), network.ToString());
    }

    [Theory]
    [InlineData(nameof(TinyAlexNet), 0f)]
    [InlineData(nameof(TinyAlexNet), 0.1f)]
    [InlineData(nameof(MixedOptionsNet), 0f)]
    [InlineData(nameof(MixedOptionsNet), 0.1f)]
    [InlineData(nameof(WideNet), 0f)]
    [InlineData(nameof(SpatialLogitsNet), 0f)]
    [InlineData(nameof(NamedLayersNet), 0f)]
    [InlineData(nameof(DropoutDenseNet), 0f)]
    public void DeclaredNetwork_BackwardMatchesReference(string name, float smoothing)
    {
        var model = ForwardDifferentialTests.CreateDeclared(name, seed: 21);
        CheckTrainingStep(model, NetworkReference.FromType(model.GetType()), batch: 2, smoothing, seed: 77, name);
    }

    /// <summary>
    /// One training step: output, loss and every gradient (gradients are pre-filled with garbage to check that backward
    /// overwrites them), then BackwardFromOutputGradient with a random output gradient on the same forward.
    /// </summary>
    private static void CheckTrainingStep(INetwork model, NetworkReference reference, int batch, float smoothing, ulong seed, string what)
    {
        var parameters = reference.ReadParameters(model);
        var state = model.Random.GetState();
        SeededRandom Masks()
        {
            var r = new SeededRandom(1);
            r.SetState(state);
            return r;
        }
        var (input, trace) = InputAwayFromKinks(reference, parameters, batch, seed, DecisionMargin, Masks);
        var labels = Labels(batch, reference.Classes, seed);

        var output = new float[batch * model.OutputLength];
        model.ForwardTraining(input, output, batch);
        AssertClose(output, trace.Output, OutputTolerance, $"{what}: training output");

        model.Parameters.Gradients.AsSpan().Fill(123f);
        float loss = model.Backward(labels, smoothing);
        var (expectedLoss, expectedGradients) = reference.LossBackward(trace, parameters, labels, smoothing);
        AssertClose(loss, expectedLoss, LossTolerance, $"{what}: loss");
        AssertGradients(model, expectedGradients, GradientTolerance, what + " (cross-entropy)");

        var outputGradient = Input(batch * model.OutputLength, seed + 99).Select(v => v * 0.5f).ToArray();
        model.Parameters.Gradients.AsSpan().Fill(-7f);
        model.BackwardFromOutputGradient(outputGradient);
        var fromOutput = reference.OutputGradientBackward(trace, parameters, ToDouble(outputGradient));
        AssertGradients(model, fromOutput, GradientTolerance, what + " (output gradient)");
    }

    [Fact]
    public void BackwardFromOutputGradient_OfSoftmaxNetwork_GoesThroughTheSoftmax()
    {
        // With dOut = p (the output itself), Σ p·dp/dz = p ⊙ (p − Σp²) ≠ p: a backward that skipped the softmax would give
        // the gradient of Σ p·z instead. Checked against the reference, and against a logits-side formulation.
        var model = ForwardDifferentialTests.CreateDeclared(nameof(TinyAlexNet), seed: 5);
        var reference = NetworkReference.FromType(model.GetType());
        Assert.True(model.OutputsProbabilities);
        var parameters = reference.ReadParameters(model);
        var state = model.Random.GetState();
        var (input, trace) = InputAwayFromKinks(reference, parameters, 3, 4242, DecisionMargin, () =>
        {
            var r = new SeededRandom(1);
            r.SetState(state);
            return r;
        });
        var output = new float[3 * model.OutputLength];
        model.ForwardTraining(input, output, 3);
        model.BackwardFromOutputGradient(output);
        var expected = reference.OutputGradientBackward(trace, parameters, trace.Output);
        AssertGradients(model, expected, GradientTolerance, "TinyAlexNet dOut = p");

        // The same gradients through Backward from the logits' gradient p ⊙ (p − Σp²), computed here independently.
        int classes = reference.Classes;
        var logitGradient = new double[trace.Output.Length];
        for (int n = 0; n < 3; n++)
        {
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += trace.Output[n * classes + j] * trace.Output[n * classes + j];
            for (int j = 0; j < classes; j++)
            {
                double p = trace.Output[n * classes + j];
                logitGradient[n * classes + j] = p * (p - sum);
            }
        }
        var viaLogits = reference.Backward(trace, parameters, logitGradient);
        foreach (var name in expected.Keys)
            PointwiseTestUtil.AssertClose(viaLogits[name], expected[name], 1e-12, "reference via logits: " + name);
    }

    [Fact]
    public void BackwardFromOutputGradient_OfLogitsNetwork_IsTheBackwardOfTheLinearLoss()
    {
        // For logits, Backward(labels) equals BackwardFromOutputGradient((softmax − onehot)/N): two entry points, one gradient.
        var model = ForwardDifferentialTests.CreateDeclared(nameof(MixedOptionsNet), seed: 6);
        var reference = NetworkReference.FromType(model.GetType());
        Assert.False(model.OutputsProbabilities);
        const int batch = 3;
        var input = Input(batch * model.InputLength, 31);
        var labels = Labels(batch, model.OutputLength, 32);
        var output = new float[batch * model.OutputLength];
        model.ForwardTraining(input, output, batch);
        model.Backward(labels);
        var viaLoss = model.Parameters.Gradients.ToArray();

        var dOut = Ref.CrossEntropyGradient(ToDouble(output), labels, batch, model.OutputLength, 0);
        model.BackwardFromOutputGradient(dOut.Select(v => (float)v).ToArray());
        var viaOutput = model.Parameters.Gradients;
        AssertClose(viaOutput, ToDouble(viaLoss), 1e-5, "MixedOptionsNet: Backward vs BackwardFromOutputGradient");
        Assert.True(viaLoss.Any(g => g != 0), "the gradient is not all zero");
    }

    [Fact]
    public void Backward_ValidatesItsArguments()
    {
        var model = ForwardDifferentialTests.CreateDeclared(nameof(MixedOptionsNet), seed: 1);
        Assert.Throws<InvalidOperationException>(() => model.Backward(new[] { 0 }));
        Assert.Throws<InvalidOperationException>(() => model.BackwardFromOutputGradient(new float[model.OutputLength]));

        var output = new float[2 * model.OutputLength];
        model.ForwardTraining(Input(2 * model.InputLength, 3), output, 2);
        var wrongLabels = Assert.Throws<ArgumentException>(() => model.Backward(new[] { 0, 1, 2 }));
        Assert.Contains("3", wrongLabels.Message);
        Assert.Contains("2", wrongLabels.Message);
        Assert.ThrowsAny<ArgumentException>(() => model.Backward(new[] { 0, 1 }, labelSmoothing: 1f));
        Assert.ThrowsAny<ArgumentException>(() => model.Backward(new[] { 0, 1 }, labelSmoothing: -0.1f));
        var wrongGradient = Assert.Throws<ArgumentException>(() => model.BackwardFromOutputGradient(new float[model.OutputLength]));
        Assert.Contains(model.OutputLength.ToString(System.Globalization.CultureInfo.InvariantCulture), wrongGradient.Message);
    }
}
