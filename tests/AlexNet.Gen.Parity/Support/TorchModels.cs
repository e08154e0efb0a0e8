using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace AlexNet.Gen.Parity.Support;

/// <summary>
/// Builds libtorch reference networks in float64 whose parameter names follow our models' names
/// (<c>conv1.weight</c> [out, in/groups, kh, kw], <c>fc6.weight</c> [out, in], <c>*.bias</c>), and moves
/// parameters and gradients between them and an <see cref="ParameterCollection"/> by name.
/// Layers without parameters get generated names, so only named layers own parameters.
/// </summary>
internal sealed class TorchNet
{
    private readonly List<(string Name, TorchModule Module)> _layers = new();

    /// <summary>Convolution with symmetric zero padding (PyTorch's padding=p).</summary>
    public TorchNet Conv(string name, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, bool bias = true)
        => Add(name, nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, groups: groups, bias: bias, dtype: ScalarType.Float64));

    /// <summary>Convolution after explicit (possibly asymmetric) zero padding, e.g. TensorFlow's SAME.</summary>
    public TorchNet ConvPadded(string name, int inChannels, int outChannels, int kernel, int stride, int padTop, int padBottom, int padLeft, int padRight, int groups = 1, bool bias = true)
    {
        Pad(padTop, padBottom, padLeft, padRight, 0.0);
        return Conv(name, inChannels, outChannels, kernel, stride, 0, groups, bias);
    }

    public TorchNet Linear(string name, int inFeatures, int outFeatures, bool bias = true)
        => Add(name, nn.Linear(inFeatures, outFeatures, hasBias: bias, dtype: ScalarType.Float64));

    public TorchNet Relu() => Add(null, nn.ReLU());

    public TorchNet Elu(double alpha = 1.0) => Add(null, nn.ELU(alpha));

    public TorchNet Flatten() => Add(null, nn.Flatten());

    public TorchNet Softmax() => Add(null, nn.Softmax(1));

    /// <summary>Dropout is the identity in eval mode, which is how reference networks are run.</summary>
    public TorchNet Dropout(double p) => Add(null, nn.Dropout(p));

    public TorchNet MaxPool(int kernel, int stride, int padding = 0)
        => Add(null, nn.MaxPool2d(kernel, stride, padding));

    /// <summary>Max pooling after −∞ padding (asymmetric, e.g. SAME): padding never wins a window.</summary>
    public TorchNet MaxPoolPadded(int kernel, int stride, int padTop, int padBottom, int padLeft, int padRight)
    {
        Pad(padTop, padBottom, padLeft, padRight, double.NegativeInfinity);
        return MaxPool(kernel, stride);
    }

    /// <summary>PyTorch average pooling with symmetric padding.</summary>
    public TorchNet AvgPool(int kernel, int stride, int padding = 0, bool countIncludePad = true)
        => Add(null, nn.AvgPool2d(kernel, stride, padding, count_include_pad: countIncludePad));

    /// <summary>TensorFlow SAME average pooling: zero-padded window sum ÷ number of real inputs in the window.</summary>
    public TorchNet AvgPoolSame(int kernel, int stride, int padTop, int padBottom, int padLeft, int padRight)
    {
        long[] pad = { padLeft, padRight, padTop, padBottom };
        long[] window = { kernel, kernel };
        long[] strides = { stride, stride };
        return Lambda(x => F.avg_pool2d(F.pad(x, pad), window, strides) / F.avg_pool2d(F.pad(torch.ones_like(x), pad), window, strides));
    }

    /// <summary>PyTorch's LocalResponseNorm(size, alpha, beta, k).</summary>
    public TorchNet Lrn(int size, double alpha, double beta, double k) => Add(null, nn.LocalResponseNorm(size, alpha, beta, k));

    /// <summary>TensorFlow's local_response_normalization(depth_radius, bias, alpha, beta) = PyTorch's with size 2r+1, alpha·size.</summary>
    public TorchNet LrnTensorFlow(int depthRadius, double bias, double alpha, double beta)
        => Lrn(2 * depthRadius + 1, alpha * (2 * depthRadius + 1), beta, bias);

    public TorchNet Pad(int top, int bottom, int left, int right, double value)
    {
        if (top == 0 && bottom == 0 && left == 0 && right == 0) return this;
        long[] pad = { left, right, top, bottom };
        return Lambda(x => F.pad(x, pad, value: value));
    }

    /// <summary>Any parameter-free function of the activations.</summary>
    public TorchNet Lambda(Func<Tensor, Tensor> function) => Add(null, new LambdaModule("lambda" + _layers.Count, function));

    /// <summary>The network in eval mode (dropout off), float64.</summary>
    public TorchModule Build()
    {
        var sequential = nn.Sequential(_layers.ToArray());
        sequential.eval();
        return sequential;
    }

    private TorchNet Add(string? name, TorchModule module)
    {
        _layers.Add((name ?? "_" + _layers.Count, module));
        return this;
    }

    private sealed class LambdaModule : TorchModule
    {
        private readonly Func<Tensor, Tensor> _function;

        public LambdaModule(string name, Func<Tensor, Tensor> function) : base(name) => _function = function;

        public override Tensor forward(Tensor input) => _function(input);
    }
}

/// <summary>Parameter and gradient transfer between our models and libtorch modules, matched by name.</summary>
internal static class TorchModels
{
    /// <summary>
    /// Copies every parameter of <paramref name="parameters"/> into the module's parameter of the same name.
    /// Both sides must have exactly the same names and shapes, so a missed layer fails loudly.
    /// </summary>
    public static void LoadParameters(nn.Module module, ParameterCollection parameters)
    {
        var torchParameters = Named(module);
        CheckSameNames(torchParameters.Keys, parameters.Select(p => p.Name));
        using var noGrad = torch.no_grad();
        foreach (var ours in parameters)
        {
            var theirs = torchParameters[ours.Name];
            CheckShape(ours, theirs);
            using var values = TorchRef.Double(ours.Values, theirs.shape);
            theirs.copy_(values);
        }
    }

    /// <summary>Our gradient of each parameter against the module's autograd gradient of the same name.</summary>
    public static void AssertGradients(nn.Module module, ParameterCollection parameters, double tolerance = ParityAssert.GradientTolerance)
    {
        var torchParameters = Named(module);
        CheckSameNames(torchParameters.Keys, parameters.Select(p => p.Name));
        foreach (var ours in parameters)
        {
            var theirs = torchParameters[ours.Name];
            CheckShape(ours, theirs);
            ParityAssert.AssertClose(ours.Gradient, TorchRef.Gradient(theirs), tolerance, ours.Name + " gradient");
        }
    }

    /// <summary>Clears the module's accumulated gradients (before another backward pass).</summary>
    public static void ZeroGradients(nn.Module module)
    {
        foreach (var (_, p) in module.named_parameters())
            p.grad?.zero_();
    }

    private static Dictionary<string, TorchSharp.Modules.Parameter> Named(nn.Module module)
        => module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);

    private static void CheckSameNames(IEnumerable<string> torchNames, IEnumerable<string> ourNames)
    {
        var theirs = new SortedSet<string>(torchNames, StringComparer.Ordinal);
        var ours = new SortedSet<string>(ourNames, StringComparer.Ordinal);
        if (!theirs.SetEquals(ours))
            throw new ArgumentException($"Parameter names differ. Ours: {string.Join(", ", ours)}. libtorch: {string.Join(", ", theirs)}.");
    }

    private static void CheckShape(Parameter ours, Tensor theirs)
    {
        if (!ours.Shape.SequenceEqual(theirs.shape.Select(d => (int)d).ToArray()))
            throw new ArgumentException($"{ours.Name}: our shape {ours.ShapeText}, libtorch's [{string.Join(", ", theirs.shape)}].");
    }
}
