using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Models;

/// <summary>Everything a reference forward pass computed: the activations, pooling choices and dropout masks.</summary>
internal sealed class ReferenceTrace
{
    public required int Batch { get; init; }
    /// <summary>[0] is the input; [i + 1] is layer i's output.</summary>
    public required double[][] Activations { get; init; }
    public required int[]?[] Argmax { get; init; }
    /// <summary>Dropout masks of a training pass (null at inference: dropout is the identity).</summary>
    public required float[]?[] Masks { get; init; }
    /// <summary>
    /// The smallest distance, relative to the tensor's scale, from a non-differentiable decision: the gap between the
    /// two largest real values of a max-pool window, |x| at a ReLU input (and an ELU's with α ≠ 1). A float network whose rounding is below
    /// it makes the same decisions, so its gradients are comparable with the reference's.
    /// </summary>
    public required double Margin { get; init; }

    public double[] Output => Activations[^1];
}

/// <summary>
/// A whole network in double precision, composed of the naive layer references (Reference.*): forward, softmax
/// cross-entropy backward (mean over the batch) and backward from an output gradient, to parameter gradients.
/// Shapes, defaults and names come from <see cref="NetworkShapes"/>, not from the generator.
/// </summary>
internal sealed class NetworkReference
{
    public NetworkReference(int channels, int height, int width, IReadOnlyList<LayerSpec> specs)
    {
        Input = ActivationShape.Image(channels, height, width);
        Specs = specs.ToArray();
        Layers = NetworkShapes.ResolveAll(Input, Specs);
        EndsWithSoftmax = Layers.Count > 0 && Layers[^1].Kind == LayerKind.Softmax;
        Head = EndsWithSoftmax ? Layers.Count - 2 : Layers.Count - 1;
    }

    /// <summary>Reads [Network] and the layer attributes, in declaration order, from a class declared in this project.</summary>
    public static NetworkReference FromType(Type type)
    {
        var network = type.GetCustomAttribute<NetworkAttribute>() ?? throw new ArgumentException($"{type.Name} has no [Network].", nameof(type));
        var layers = type.GetCustomAttributesData()
            .Where(a => typeof(LayerAttribute).IsAssignableFrom(a.AttributeType))
            .Select(LayerSpec.FromAttributeData)
            .ToList();
        return new NetworkReference(network.Channels, network.Height, network.Width, layers);
    }

    public ActivationShape Input { get; }
    public IReadOnlyList<LayerSpec> Specs { get; }
    public IReadOnlyList<ResolvedLayer> Layers { get; }
    public bool EndsWithSoftmax { get; }
    /// <summary>The layer whose output are the logits (the last one before a final Softmax); −1 when none.</summary>
    public int Head { get; }

    public int InputLength => Input.Length;
    public int OutputLength => Layers.Count == 0 ? Input.Length : Layers[^1].Output.Length;
    public int Classes => Head >= 0 ? Layers[Head].Output.Length : Input.Length;
    public long ParameterCount => Layers.Sum(l => l.ParameterCount);

    /// <summary>Parameter tensors the generated model must expose, in order: (name, PyTorch shape).</summary>
    public IEnumerable<(string Name, int[] Shape)> ExpectedParameters()
    {
        foreach (var l in Layers.Where(l => l.Spec.HasParameters))
        {
            yield return (l.WeightName, l.WeightShape);
            if (l.HasBias) yield return (l.BiasName, new[] { l.Output.Channels });
        }
    }

    /// <summary>The model's parameters by name, after checking the names, order and shapes are the expected ones.</summary>
    public Dictionary<string, double[]> ReadParameters(INetwork model)
    {
        var expected = ExpectedParameters().ToList();
        var actual = model.Parameters;
        Assert.True(expected.Count == actual.Count,
            $"expected parameters [{string.Join(", ", expected.Select(e => e.Name))}] but the model has [{string.Join(", ", actual.Select(p => p.Name))}]");
        var values = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int i = 0; i < expected.Count; i++)
        {
            var (name, shape) = expected[i];
            var p = actual[i];
            Assert.Equal(name, p.Name);
            Assert.Equal(shape, p.Shape.ToArray());
            Assert.Same(p, actual[name]);
            values[name] = ToDouble(p.Values);
        }
        return values;
    }

    /// <summary>
    /// The forward pass. With <paramref name="dropoutRandom"/> null, dropout is the identity (inference); otherwise
    /// each dropout layer draws its mask as the Dropout kernel documents: element i of the batch's [n·len] mask takes
    /// the generator's next NextSingle(), dropped below p, else scaled by 1/(1 − p); p = 0 draws nothing.
    /// </summary>
    public ReferenceTrace Forward(double[] input, int batch, IReadOnlyDictionary<string, double[]> parameters, SeededRandom? dropoutRandom = null)
    {
        Assert.Equal(batch * InputLength, input.Length);
        var acts = new double[Layers.Count + 1][];
        var argmax = new int[]?[Layers.Count];
        var masks = new float[]?[Layers.Count];
        double margin = double.PositiveInfinity;
        acts[0] = input;
        for (int i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            var x = acts[i];
            double[] y;
            switch (l.Kind)
            {
                case LayerKind.Conv2d:
                    y = Ref.Conv2dForward(l.Conv, x, parameters[l.WeightName], l.HasBias ? parameters[l.BiasName] : Array.Empty<double>(), batch);
                    break;
                case LayerKind.Dense:
                    y = Ref.DenseForward(l.Input.Length, l.Output.Length, l.HasBias, x, parameters[l.WeightName],
                        l.HasBias ? parameters[l.BiasName] : Array.Empty<double>(), batch);
                    break;
                case LayerKind.ReLU:
                    margin = Math.Min(margin, KinkMargin(x));
                    y = Ref.ReluForward(x);
                    break;
                case LayerKind.ELU:
                    // With α = 1 the derivative is continuous at 0 (1 on both sides): a flipped sign changes nothing.
                    if (l.EluAlpha != 1) margin = Math.Min(margin, KinkMargin(x));
                    y = Ref.EluForward(x, l.EluAlpha);
                    break;
                case LayerKind.LocalResponseNorm:
                case LayerKind.TfLocalResponseNorm:
                    y = Ref.LrnForward(x, batch, l.Input.Channels, l.Input.Height * l.Input.Width, l.WindowBefore, l.WindowAfter,
                        l.Coefficient, l.Beta, l.K, out _);
                    break;
                case LayerKind.MaxPool2d:
                    margin = Math.Min(margin, MaxPoolMargin(x, batch, l));
                    y = Ref.MaxPoolForward(x, batch, l.Pool, out var chosen);
                    argmax[i] = chosen;
                    break;
                case LayerKind.AvgPool2d:
                    y = Ref.AvgPoolForward(x, batch, l.Pool);
                    break;
                case LayerKind.Dropout:
                    if (dropoutRandom is null)
                    {
                        y = x;
                    }
                    else
                    {
                        masks[i] = DrawMask(x.Length, l.Spec.P, dropoutRandom);
                        y = x.Select((v, j) => v * masks[i]![j]).ToArray();
                    }
                    break;
                case LayerKind.Softmax:
                    y = Ref.SoftmaxForward(x, batch, l.Input.Length);
                    break;
                default: // Flatten: NCHW memory is already [N, C·H·W]
                    y = x;
                    break;
            }
            Assert.Equal(batch * l.Output.Length, y.Length);
            acts[i + 1] = y;
        }
        return new ReferenceTrace { Batch = batch, Activations = acts, Argmax = argmax, Masks = masks, Margin = margin };
    }

    /// <summary>Softmax cross-entropy of the logits (mean over the batch) and the parameter gradients.</summary>
    public (double Loss, Dictionary<string, double[]> Gradients) LossBackward(ReferenceTrace trace, IReadOnlyDictionary<string, double[]> parameters,
        int[] labels, double labelSmoothing)
    {
        var logits = trace.Activations[Head + 1];
        double loss = Ref.CrossEntropyLoss(logits, labels, trace.Batch, Classes, labelSmoothing);
        var g = Ref.CrossEntropyGradient(logits, labels, trace.Batch, Classes, labelSmoothing);
        return (loss, Backward(trace, parameters, g));
    }

    /// <summary>Parameter gradients of Σ outputGradient·output (through the final Softmax, when there is one).</summary>
    public Dictionary<string, double[]> OutputGradientBackward(ReferenceTrace trace, IReadOnlyDictionary<string, double[]> parameters, double[] outputGradient)
    {
        var g = EndsWithSoftmax
            ? Ref.SoftmaxBackward(trace.Activations[Head + 1], outputGradient, trace.Batch, Classes)
            : outputGradient;
        return Backward(trace, parameters, g);
    }

    /// <summary>Backward from the gradient of the head's output (the logits) to every parameter.</summary>
    public Dictionary<string, double[]> Backward(ReferenceTrace trace, IReadOnlyDictionary<string, double[]> parameters, double[] headGradient)
    {
        int batch = trace.Batch;
        var grads = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var dy = headGradient;
        for (int i = Head; i >= 0; i--)
        {
            var l = Layers[i];
            var x = trace.Activations[i];
            Assert.Equal(batch * l.Output.Length, dy.Length);
            switch (l.Kind)
            {
                case LayerKind.Conv2d:
                {
                    var (dx, dw, db) = Ref.Conv2dBackward(l.Conv, x, parameters[l.WeightName], dy, batch);
                    grads[l.WeightName] = dw;
                    if (l.HasBias) grads[l.BiasName] = db;
                    dy = dx;
                    break;
                }
                case LayerKind.Dense:
                {
                    var (dx, dw, db) = Ref.DenseBackward(l.Input.Length, l.Output.Length, l.HasBias, x, parameters[l.WeightName], dy, batch);
                    grads[l.WeightName] = dw;
                    if (l.HasBias) grads[l.BiasName] = db;
                    dy = dx;
                    break;
                }
                case LayerKind.ReLU:
                    dy = Ref.ReluBackward(x, dy);
                    break;
                case LayerKind.ELU:
                    dy = Ref.EluBackward(x, dy, l.EluAlpha);
                    break;
                case LayerKind.LocalResponseNorm:
                case LayerKind.TfLocalResponseNorm:
                    dy = Ref.LrnBackward(x, dy, batch, l.Input.Channels, l.Input.Height * l.Input.Width, l.WindowBefore, l.WindowAfter,
                        l.Coefficient, l.Beta, l.K);
                    break;
                case LayerKind.MaxPool2d:
                    dy = Ref.MaxPoolBackward(dy, trace.Argmax[i]!, batch, l.Pool);
                    break;
                case LayerKind.AvgPool2d:
                    dy = Ref.AvgPoolBackward(dy, batch, l.Pool);
                    break;
                case LayerKind.Dropout:
                    if (trace.Masks[i] is { } mask) dy = Ref.DropoutBackward(dy, mask);
                    break;
                case LayerKind.Flatten:
                    break;
                default:
                    throw new InvalidOperationException($"{l.Kind} cannot be inside the differentiated part of the network.");
            }
        }
        return grads;
    }

    /// <summary>The mask the Dropout kernel draws for <paramref name="length"/> elements (its documented contract).</summary>
    public static float[] DrawMask(int length, float p, SeededRandom random)
    {
        var mask = new float[length];
        if (p == 0f)
        {
            Array.Fill(mask, 1f);
            return mask;
        }
        float keep = 1f / (1f - p);
        for (int i = 0; i < length; i++) mask[i] = random.NextSingle() < p ? 0f : keep;
        return mask;
    }

    /// <summary>A generator in the state <paramref name="model"/>'s is in now (for reproducing its next masks).</summary>
    public static SeededRandom CloneRandom(INetwork model)
    {
        var clone = new SeededRandom(1);
        clone.SetState(model.Random.GetState());
        return clone;
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    private static double Scale(double[] x)
    {
        double scale = 1;
        foreach (double v in x) scale = Math.Max(scale, Math.Abs(v));
        return scale;
    }

    /// <summary>min |x| over the non-zero inputs of ReLU/ELU (exact zeros come from an earlier ReLU or dropout and are zero in float too).</summary>
    private static double KinkMargin(double[] x)
    {
        double min = double.PositiveInfinity;
        foreach (double v in x)
            if (v != 0) min = Math.Min(min, Math.Abs(v));
        return min / Scale(x);
    }

    /// <summary>The smallest gap between the largest and the second-largest distinct real value of any window.</summary>
    private static double MaxPoolMargin(double[] x, int batch, ResolvedLayer l)
    {
        var p = l.Pool;
        double min = double.PositiveInfinity;
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < p.Channels; c++)
        for (int oh = 0; oh < p.OutHeight; oh++)
        for (int ow = 0; ow < p.OutWidth; ow++)
        {
            double best = double.NegativeInfinity, second = double.NegativeInfinity;
            for (int kh = 0; kh < p.KernelHeight; kh++)
            for (int kw = 0; kw < p.KernelWidth; kw++)
            {
                int h = oh * p.StrideHeight - p.PadTop + kh, w = ow * p.StrideWidth - p.PadLeft + kw;
                if (h < 0 || h >= p.InHeight || w < 0 || w >= p.InWidth) continue;
                double v = x[((n * p.Channels + c) * p.InHeight + h) * p.InWidth + w];
                // Exact ties (zeros after a ReLU) resolve to the first in both precisions; only near-ties are ambiguous.
                if (v > best) { second = best; best = v; }
                else if (v < best && v > second) second = v;
            }
            if (second > double.NegativeInfinity) min = Math.Min(min, best - second);
        }
        return min / Scale(x);
    }
}
