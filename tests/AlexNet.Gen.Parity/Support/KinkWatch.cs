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
/// pass-through lambdas in front of the watched layers and feed their result to the layer. They return an alias of their
/// input, not the input itself (TorchSharp's Sequential disposes each intermediate result after the next layer has
/// run), or, when following (below), the input plus a constant shift.
/// </summary>
/// <remarks>
/// With <see cref="Follow"/>, the watchers also make the reference take our side of every kink it comes within
/// <see cref="FollowBelow"/> of: where our float32 forward chose the other element of a near-tied pooling window, or
/// the other side of a near-zero ReLU input, they add a constant (no gradient) to the reference's input that moves it
/// just across, so the reference's gradient flows where ours does. Far from kinks nothing changes, so a wrong choice of
/// ours (a bug) still shows; near them the choice is float32 rounding, which differs between SIMD widths (a 16-lane
/// GEMM sums in another order than an 8-lane one). Seen: torchvision's pool after conv5 had two values 7.6e-7 apart
/// (relative); the Vector512 path picked the other one, moving conv5 channel 123's weight gradient and everything
/// below it by ~1 %.
/// </remarks>
internal sealed class KinkWatch
{
    /// <summary>Relative gaps below this are reported (float32 resolution is 6e-8; a deep network's error is larger).</summary>
    public const double ReportBelow = 1e-6;

    /// <summary>
    /// Kinks closer than this (relative) are taken our way when following: float32 activations of a deep network carry
    /// relative errors of ~1e-6, so a choice this close is rounding; it is 100× above float64's.
    /// </summary>
    public const double FollowBelow = 1e-5;

    private Func<string, float[]?>? _ours;
    private bool _following;
    private readonly List<string> _followed = new();

    private readonly Dictionary<string, double> _current = new(StringComparer.Ordinal);
    private readonly List<string> _log = new();

    /// <summary>Forgets everything recorded (each assertion starts afresh).</summary>
    public void Clear()
    {
        _current.Clear();
        _log.Clear();
        _followed.Clear();
        _following = false;
        Pass = "forward";
    }

    /// <summary>
    /// Lets the watchers take our side of near-kinks (see the remarks). <paramref name="layerOf"/> maps a watched name
    /// to our layer whose training output holds our decision: for a ReLU, the layer that writes its output (the
    /// producer it is fused into); for a max-pool, the layer that writes its input. Read by reflection from the
    /// generated class's per-layer training buffers (<c>_{layer}Output</c>), after our <c>ForwardTraining</c>.
    /// </summary>
    public void Follow(object ours, IReadOnlyDictionary<string, string> layerOf)
    {
        var fields = new Dictionary<string, System.Reflection.FieldInfo>(StringComparer.Ordinal);
        foreach (var (watched, layer) in layerOf)
        {
            fields[watched] = ours.GetType().GetField("_" + layer + "Output", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)
                ?? throw new ArgumentException($"{ours.GetType().Name} has no training buffer _{layer}Output (for {watched}).", nameof(layerOf));
        }
        _ours = name => fields.TryGetValue(name, out var field) ? (float[]?)field.GetValue(ours) : null;
    }

    /// <summary>Whether the passes from now on follow our choices (only after our training forward filled the buffers).</summary>
    public void BeginPass(string pass, bool follow)
    {
        BeginPass(pass);
        _following = follow && _ours is not null;
    }

    /// <summary>The pass recorded from now on (e.g. "step 2"); clears the previous pass's gaps.</summary>
    public void BeginPass(string pass)
    {
        _following = false;
        Flush();
        Pass = pass;
    }

    public string Pass { get; private set; } = "forward";

    /// <summary>
    /// Pass-through before a max-pool (no padding): records the smallest relative gap between a window's largest
    /// and second-largest value; follows our choice in near-tied windows when asked.
    /// </summary>
    public Func<Tensor, Tensor> MaxPool(string name, int kernel, int stride) => x =>
    {
        using var scope = torch.NewDisposeScope();
        Tensor? shift = null;
        using (torch.no_grad())
        {
            long[] s = x.shape;
            var planes = x.detach().reshape(s[0] * s[1], 1, s[2], s[3]);
            var windows = F.unfold(planes, kernel, stride: stride); // [planes, k·k, windows]
            var (top, topIndex) = windows.topk(2, dim: 1);
            var first = top.select(1, 0);
            // All-zero windows (after a ReLU) tie exactly in both precisions and carry no gradient: not a kink.
            var gap = ((first - top.select(1, 1)) / first.abs().clamp_min(1e-300)).masked_fill(first.eq(0), double.PositiveInfinity);
            Record(name, gap.min().to_type(ScalarType.Float64).item<double>());
            var ours = Ours(name, x);
            if (ours is not null)
            {
                var oursWindows = F.unfold(ours.reshape(s[0] * s[1], 1, s[2], s[3]), kernel, stride: stride);
                var oursIndex = oursWindows.argmax(1); // [planes, windows]
                var flip = gap.lt(FollowBelow).logical_and(oursIndex.ne(topIndex.select(1, 0)));
                var where = flip.nonzero(); // [count, 2]: plane, window
                long count = where.shape[0];
                if (count > 0)
                {
                    // Raise the element ours chose just above the reference's maximum of that window.
                    long outWidth = (s[3] - kernel) / stride + 1;
                    var bump = new double[s[0] * s[1] * s[2] * s[3]];
                    var flatX = x.detach().reshape(s[0] * s[1], s[2] * s[3]);
                    for (long i = 0; i < count; i++)
                    {
                        long plane = where[i, 0].item<long>(), window = where[i, 1].item<long>();
                        long offset = oursIndex[plane, window].item<long>();
                        long row = window / outWidth * stride + offset / kernel, column = window % outWidth * stride + offset % kernel;
                        long position = row * s[3] + column, at = plane * s[2] * s[3] + position;
                        double top1 = first[plane, window].item<double>();
                        double needed = top1 - flatX[plane, position].item<double>() + 1e-3 * FollowBelow * Math.Abs(top1);
                        bump[at] = Math.Max(bump[at], needed);
                    }
                    shift = torch.tensor(bump, s, dtype: ScalarType.Float64).to_type(x.dtype);
                    _followed.Add($"{Pass} {name}: {count} window(s)");
                }
            }
        }
        var result = shift is null ? x.alias() : x + shift;
        return result.MoveToOuterDisposeScope();
    };

    /// <summary>Pass-through before a ReLU: records the smallest |x| relative to max|x|; follows our signs when asked.</summary>
    public Func<Tensor, Tensor> Relu(string name) => x =>
    {
        using var scope = torch.NewDisposeScope();
        Tensor? shift = null;
        using (torch.no_grad())
        {
            var magnitude = x.detach().abs();
            double max = magnitude.max().to_type(ScalarType.Float64).item<double>();
            if (max > 0) Record(name, magnitude.min().to_type(ScalarType.Float64).item<double>() / max);
            var ours = Ours(name, x);
            if (ours is not null && max > 0)
            {
                // Near zero and on the other side of it from ours: move to ours' side, |x| plus a hair past zero.
                var oursPositive = ours.gt(0);
                var flip = magnitude.lt(FollowBelow * max).logical_and(oursPositive.ne(x.gt(0)));
                long count = flip.sum().item<long>();
                if (count > 0)
                {
                    var target = torch.where(oursPositive, magnitude + 1e-3 * FollowBelow * max, -magnitude);
                    shift = torch.where(flip, target - x.detach(), torch.zeros_like(x));
                    _followed.Add($"{Pass} {name}: {count} input(s)");
                }
            }
        }
        var result = shift is null ? x.alias() : x + shift;
        return result.MoveToOuterDisposeScope();
    };

    /// <summary>Our float32 activations for a watched name, shaped like the reference's, when following.</summary>
    private Tensor? Ours(string name, Tensor like)
    {
        if (!_following || _ours is null) return null;
        float[]? values = _ours(name);
        if (values is null) return null;
        long count = like.numel();
        if (values.LongLength < count)
            throw new InvalidOperationException($"Our buffer for {name} holds {values.LongLength} floats; the reference's tensor has {count}.");
        return torch.tensor(values.AsSpan(0, (int)count).ToArray(), like.shape, dtype: ScalarType.Float32).to_type(like.dtype);
    }

    /// <summary>The near-kinks seen so far, for a failure message ("" when there were none).</summary>
    public string Describe()
    {
        Flush();
        string followed = _followed.Count == 0 ? "" : " The reference took our side of these near-kinks: " + string.Join("; ", _followed) + ".";
        return followed + (_log.Count == 0
            ? $" No max-pool or ReLU input of the reference came within {ReportBelow:G1} (relative) of a kink, so this is not a float32-vs-float64 tie."
            : " Near-kinks in the reference (float32 may resolve these differently, moving a few gradient contributions): " + string.Join("; ", _log) + ".");
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
