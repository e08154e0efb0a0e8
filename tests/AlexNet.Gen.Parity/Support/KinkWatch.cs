using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity.Support;

/// <summary>
/// Records how close the reference's activations come to the kinks of max-pool and ReLU, where float32 and float64
/// can legitimately choose differently: two values of a pooling window within float32 resolution of each other
/// (the gradient goes to a different element) or a ReLU input within float32 resolution of zero. One such flip
/// moves a few gradient contributions and shows as a gradient mismatch of order 1e-3 that is not a bug (far more
/// when near-ties are everywhere, as with nearly constant feature maps); failure messages
/// list the closest calls so that case can be told apart. Insert <see cref="MaxPool"/>/<see cref="Relu"/> as
/// pass-through lambdas in front of the watched layers. They return an alias of their input, not the input itself:
/// TorchSharp's Sequential disposes each intermediate result after the next layer has run.
/// </summary>
internal sealed class KinkWatch
{
    /// <summary>Relative gaps below this are reported (float32 resolution is 6e-8; a deep network's error is larger).</summary>
    public const double ReportBelow = 1e-6;

    private readonly Dictionary<string, double> _current = new(StringComparer.Ordinal);
    private readonly List<string> _log = new();

    /// <summary>Forgets everything recorded (each assertion starts afresh).</summary>
    public void Clear()
    {
        _current.Clear();
        _log.Clear();
        Pass = "forward";
    }

    /// <summary>The pass recorded from now on (e.g. "step 2"); clears the previous pass's gaps.</summary>
    public void BeginPass(string pass)
    {
        Flush();
        Pass = pass;
    }

    public string Pass { get; private set; } = "forward";

    /// <summary>
    /// Pass-through before a max-pool (no padding): records the smallest relative gap between a window's largest
    /// and second-largest value.
    /// </summary>
    public Func<Tensor, Tensor> MaxPool(string name, int kernel, int stride) => x =>
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long[] s = x.shape;
        var planes = x.detach().reshape(s[0] * s[1], 1, s[2], s[3]);
        var windows = F.unfold(planes, kernel, stride: stride); // [planes, k·k, windows]
        var (top, _) = windows.topk(2, dim: 1);
        var first = top.select(1, 0);
        // All-zero windows (after a ReLU) tie exactly in both precisions and carry no gradient: not a kink.
        var gap = ((first - top.select(1, 1)) / first.abs().clamp_min(1e-300)).masked_fill(first.eq(0), double.PositiveInfinity);
        Record(name, gap.min().to_type(ScalarType.Float64).item<double>());
        return x.alias().MoveToOuterDisposeScope();
    };

    /// <summary>Pass-through before a ReLU: records the smallest |x| relative to max|x|.</summary>
    public Func<Tensor, Tensor> Relu(string name) => x =>
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var magnitude = x.detach().abs();
        double max = magnitude.max().to_type(ScalarType.Float64).item<double>();
        if (max > 0) Record(name, magnitude.min().to_type(ScalarType.Float64).item<double>() / max);
        return x.alias().MoveToOuterDisposeScope();
    };

    /// <summary>The near-kinks seen so far, for a failure message ("" when there were none).</summary>
    public string Describe()
    {
        Flush();
        return _log.Count == 0
            ? $" No max-pool or ReLU input of the reference came within {ReportBelow:G1} (relative) of a kink, so this is not a float32-vs-float64 tie."
            : " Near-kinks in the reference (float32 may resolve these differently, moving a few gradient contributions): " + string.Join("; ", _log) + ".";
    }

    private void Record(string name, double gap)
    {
        _current[name] = _current.TryGetValue(name, out double previous) ? Math.Min(previous, gap) : gap;
    }

    private void Flush()
    {
        foreach (var (name, gap) in _current.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (gap < ReportBelow)
                _log.Add(string.Format(CultureInfo.InvariantCulture, "{0} {1} relative gap {2:G2}", Pass, name, gap));
        }
        _current.Clear();
    }
}
