using System;
using System.Collections.Generic;
using System.Linq;
using static AlexNet.Gen.Tests.Models.ModelTestUtil;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Models;

/// <summary>
/// Whole-network gradient check on <see cref="TinyAlexNet"/> (both LRN kinds, groups 2 and 3, both pools, ELU, two
/// dropouts with p &gt; 0): central differences of the reference network's loss validate its analytic gradients,
/// which the generated network's must then match.
/// </summary>
public class GradientCheckTests
{
    private const int Batch = 2;
    /// <summary>Decisions at least this far (relative) from a tie, far beyond what a step of <see cref="Step"/> can move.</summary>
    private const double Margin = 1e-4;
    private const double Step = 1e-6;
    private const int SamplesPerTensor = 14;

    [Fact]
    public void TinyAlexNet_ReferenceGradients_MatchFiniteDifferences_AndGeneratedGradientsMatchTheReference()
    {
        var model = new TinyAlexNet(seed: 2012);
        var reference = NetworkReference.FromType(typeof(TinyAlexNet));
        var parameters = reference.ReadParameters(model);
        var state = model.Random.GetState();
        SeededRandom Masks()
        {
            var r = new SeededRandom(1);
            r.SetState(state);
            return r;
        }
        var (input, trace) = InputAwayFromKinks(reference, parameters, Batch, 606, Margin, Masks);
        Assert.Contains(trace.Masks, m => m is not null && m.Contains(0f)); // the dropouts really drop
        var labels = Labels(Batch, reference.Classes, 607);
        const double smoothing = 0.1;
        var x = ToDouble(input);
        var (loss, analytic) = reference.LossBackward(trace, parameters, labels, smoothing);

        // 1. The composed reference: ∂L/∂θ by central differences at sampled coordinates of every tensor, with the
        //    dropout masks held fixed (each evaluation redraws them from the same generator state).
        double Loss()
        {
            var t = reference.Forward(x, Batch, parameters, Masks());
            return Ref.CrossEntropyLoss(t.Activations[reference.Head + 1], labels, Batch, reference.Classes, smoothing);
        }
        Assert.Equal(loss, Loss(), 12);
        foreach (var (name, theta) in parameters)
        {
            var g = analytic[name];
            double scale = Math.Max(1e-3, g.Max(Math.Abs));
            foreach (int i in SampleCoordinates(g))
            {
                double saved = theta[i];
                theta[i] = saved + Step;
                double plus = Loss();
                theta[i] = saved - Step;
                double minus = Loss();
                theta[i] = saved;
                double numeric = (plus - minus) / (2 * Step);
                Assert.True(Math.Abs(numeric - g[i]) <= 1e-5 * scale + 1e-9,
                    $"{name}[{i}]: finite difference {numeric:R} vs analytic {g[i]:R} (tensor scale {scale:G3})");
            }
        }

        // 2. The generated network on the same input, labels and masks.
        var output = new float[Batch * TinyAlexNet.OutputLength];
        model.ForwardTraining(input, output, Batch);
        AssertClose(output, trace.Output, 1e-4, "training output");
        float generatedLoss = model.Backward(labels, (float)smoothing);
        AssertClose(generatedLoss, loss, 1e-4, "loss");
        AssertGradients(model, analytic, 1e-3, "TinyAlexNet");
    }

    /// <summary>Evenly spread coordinates plus the largest-gradient ones (where an error would show most).</summary>
    private static IEnumerable<int> SampleCoordinates(double[] gradient)
    {
        int step = Math.Max(1, gradient.Length / SamplesPerTensor);
        var spread = Enumerable.Range(0, gradient.Length).Where(i => i % step == step / 2);
        var largest = Enumerable.Range(0, gradient.Length).OrderByDescending(i => Math.Abs(gradient[i])).Take(3);
        return spread.Concat(largest).Distinct();
    }
}
