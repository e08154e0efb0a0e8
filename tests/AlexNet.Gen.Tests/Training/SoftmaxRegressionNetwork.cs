using System;
using AlexNet.Gen;

namespace AlexNet.Gen.Tests.Training;

/// <summary>
/// A hand-written INetwork for trainer tests: softmax regression z = W·x + b ("fc.weight" [K, D], "fc.bias" [K])
/// with the cross-entropy backward written out by hand. No dropout. Buffers grow once, so steps allocate nothing.
/// </summary>
internal sealed class SoftmaxRegressionNetwork : INetwork
{
    private readonly float[] _values;
    private readonly float[] _gradients;
    private float[] _input = Array.Empty<float>();
    private float[] _probabilities = Array.Empty<float>();
    private float[] _logitGradient = Array.Empty<float>();
    private int _batch;

    public SoftmaxRegressionNetwork(int inputs, int classes, bool outputsProbabilities, ulong seed)
    {
        InputLength = inputs;
        OutputLength = classes;
        OutputsProbabilities = outputsProbabilities;
        _values = new float[classes * inputs + classes];
        _gradients = new float[_values.Length];
        Parameters = new ParameterCollection(_values, _gradients, new[]
        {
            new Parameter("fc.weight", new[] { classes, inputs }, 0, _values, _gradients),
            new Parameter("fc.bias", new[] { classes }, classes * inputs, _values, _gradients),
        });
        Random = new SeededRandom(seed);
        for (int i = 0; i < _values.Length; i++) _values[i] = (float)(Random.NextGaussian() * 0.1);
    }

    public int InputLength { get; }
    public int InputChannels => 1;
    public int InputHeight => 1;
    public int InputWidth => InputLength;
    public int OutputLength { get; }
    public bool OutputsProbabilities { get; }
    public ParameterCollection Parameters { get; }
    public SeededRandom Random { get; }

    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        int d = InputLength, k = OutputLength;
        for (int n = 0; n < batchSize; n++)
        {
            var x = input.Slice(n * d, d);
            var z = output.Slice(n * k, k);
            for (int c = 0; c < k; c++)
            {
                double s = _values[k * d + c];
                for (int j = 0; j < d; j++) s += (double)_values[c * d + j] * x[j];
                z[c] = (float)s;
            }
            if (OutputsProbabilities) Softmax(z, z);
        }
    }

    public void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        Forward(input, output, batchSize);
        int d = InputLength, k = OutputLength;
        if (_input.Length < batchSize * d) _input = new float[batchSize * d];
        if (_probabilities.Length < batchSize * k)
        {
            _probabilities = new float[batchSize * k];
            _logitGradient = new float[batchSize * k];
        }
        input.Slice(0, batchSize * d).CopyTo(_input);
        for (int n = 0; n < batchSize; n++)
        {
            var src = output.Slice(n * k, k);
            var p = _probabilities.AsSpan(n * k, k);
            if (OutputsProbabilities) src.CopyTo(p);
            else Softmax(src, p);
        }
        _batch = batchSize;
    }

    public float Backward(ReadOnlySpan<int> labels, float labelSmoothing = 0)
    {
        int k = OutputLength, b = _batch;
        double loss = 0;
        for (int n = 0; n < b; n++)
        {
            for (int c = 0; c < k; c++)
            {
                double target = (c == labels[n] ? 1 - labelSmoothing : 0) + labelSmoothing / k;
                double p = _probabilities[n * k + c];
                loss -= target * Math.Log(Math.Max(p, 1e-30));
                _logitGradient[n * k + c] = (float)((p - target) / b);
            }
        }
        ParameterGradients();
        return (float)(loss / b);
    }

    public void BackwardFromOutputGradient(ReadOnlySpan<float> outputGradient)
    {
        int k = OutputLength;
        for (int n = 0; n < _batch; n++)
        {
            var g = outputGradient.Slice(n * k, k);
            var p = _probabilities.AsSpan(n * k, k);
            double dot = 0;
            for (int c = 0; c < k; c++) dot += (double)g[c] * p[c];
            for (int c = 0; c < k; c++)
                _logitGradient[n * k + c] = OutputsProbabilities ? (float)(p[c] * (g[c] - dot)) : g[c];
        }
        ParameterGradients();
    }

    private void ParameterGradients()
    {
        int d = InputLength, k = OutputLength;
        for (int c = 0; c < k; c++)
        {
            double gb = 0;
            for (int n = 0; n < _batch; n++) gb += _logitGradient[n * k + c];
            _gradients[k * d + c] = (float)gb;
            for (int j = 0; j < d; j++)
            {
                double gw = 0;
                for (int n = 0; n < _batch; n++) gw += (double)_logitGradient[n * k + c] * _input[n * d + j];
                _gradients[c * d + j] = (float)gw;
            }
        }
    }

    private static void Softmax(ReadOnlySpan<float> z, Span<float> p)
    {
        double max = double.NegativeInfinity;
        foreach (float v in z) max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < z.Length; i++) sum += Math.Exp(z[i] - max);
        for (int i = 0; i < z.Length; i++) p[i] = (float)(Math.Exp(z[i] - max) / sum);
    }

    /// <summary>
    /// A linearly separable set: class c is centred at 3·e_c (first K coordinates) with Gaussian noise σ = 0.5 in all D.
    /// </summary>
    public static (float[] Images, int[] Labels) MakeSeparableData(int count, int inputs, int classes, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var images = new float[count * inputs];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int c = n % classes;
            labels[n] = c;
            for (int j = 0; j < inputs; j++)
                images[n * inputs + j] = (float)((j == c ? 3.0 : 0.0) + 0.5 * rng.NextGaussian());
        }
        return (images, labels);
    }
}
