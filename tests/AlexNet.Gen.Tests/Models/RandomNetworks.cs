using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text;

namespace AlexNet.Gen.Tests.Models;

/// <summary>A randomly drawn, valid network: its input, its layers, and the C# declaration the generator compiles.</summary>
internal sealed class RandomNetwork
{
    public RandomNetwork(int index, int channels, int height, int width, IReadOnlyList<LayerSpec> layers)
    {
        Index = index;
        Layers = layers;
        Reference = new NetworkReference(channels, height, width, layers);
    }

    public int Index { get; }
    public string ClassName => "Random" + Index.ToString("00", CultureInfo.InvariantCulture);
    public string FullName => RandomNetworks.Namespace + "." + ClassName;
    public IReadOnlyList<LayerSpec> Layers { get; }
    public NetworkReference Reference { get; }

    public string Declaration()
    {
        var text = new StringBuilder();
        var input = Reference.Input;
        text.Append(CultureInfo.InvariantCulture, $"[Network({input.Channels}, {input.Height}, {input.Width})]\n");
        foreach (var layer in Layers) text.Append(layer.ToAttribute()).Append('\n');
        text.Append("public partial class ").Append(ClassName).Append(" { }\n");
        return text.ToString();
    }

    public override string ToString() => $"{ClassName} {Reference.Input}: " + string.Join(" ", Layers.Select(l => l.ToAttribute()));
}

/// <summary>
/// The fixed set of random networks (one seed), compiled once in-process in a single compilation and shared by the
/// forward and backward tests. Every draw is checked against the reference's shape rules, so only networks the
/// generator accepts are produced.
/// </summary>
internal static class RandomNetworks
{
    public const int Count = 40;
    public const ulong Seed = 0xA1E7_2012;
    public const string Namespace = "AlexNet.Gen.RandomModels";

    private static readonly Lazy<IReadOnlyList<RandomNetwork>> Networks = new(() => Generate(Seed, Count));
    private static readonly Lazy<Assembly> Compiled = new(() => InProcessCompiler.Compile(Source(All), "AlexNet.Gen.RandomModels"));

    public static IReadOnlyList<RandomNetwork> All => Networks.Value;

    public static IEnumerable<object[]> Indices => Enumerable.Range(0, Count).Select(i => new object[] { i });

    public static INetwork Create(int index, int seed) => InProcessCompiler.Create(Compiled.Value, All[index].FullName, seed);

    public static string Source(IEnumerable<RandomNetwork> networks)
    {
        var text = new StringBuilder("using AlexNet.Gen;\n\nnamespace " + Namespace + ";\n\n");
        foreach (var n in networks) text.Append(n.Declaration()).Append('\n');
        return text.ToString();
    }

    public static IReadOnlyList<RandomNetwork> Generate(ulong seed, int count)
    {
        var random = new SeededRandom(seed);
        var networks = new List<RandomNetwork>();
        for (int i = 0; i < count; i++) networks.Add(new Builder(random).Build(i));
        return networks;
    }

    /// <summary>Draws one network layer by layer, resolving each candidate on the current shape and keeping only those that fit.</summary>
    private sealed class Builder
    {
        private readonly SeededRandom _r;
        private readonly List<LayerSpec> _layers = new();
        private ActivationShape _shape;

        public Builder(SeededRandom random) => _r = random;

        private bool Chance(double p) => _r.NextDouble() < p;
        private int Between(int low, int high) => low + _r.NextInt(high - low + 1);
        private T Pick<T>(params T[] items) => items[_r.NextInt(items.Length)];

        public RandomNetwork Build(int index)
        {
            // The first two have the brief's odd non-square inputs; the rest draw theirs.
            var (c, h, w) = index switch
            {
                0 => (2, 13, 9),
                1 => (3, 17, 23),
                _ => (Between(1, 4), Between(5, 24), Between(5, 24)),
            };
            _shape = ActivationShape.Image(c, h, w);

            bool denseOnly = Chance(0.06);
            if (!denseOnly && Chance(0.15))
            {
                // A network that starts without parameters (the generated backward skips such layers).
                if (!TryAdd(Pick(0, 1, 2) switch { 0 => RandomPool(), 1 => RandomLrn(), _ => LayerSpec.Of(LayerKind.ReLU) })) TryAdd(RandomLrn());
            }
            int blocks = denseOnly ? 0 : Between(1, 3);
            for (int b = 0; b < blocks; b++)
            {
                AddConvolution();
                if (Chance(0.75)) Add(Chance(0.55) ? LayerSpec.Of(LayerKind.ReLU) : RandomElu());
                if (Chance(0.35)) Add(RandomLrn());
                if (Chance(0.55)) AddPool();
                if (Chance(0.2)) Add(RandomDropout());
            }
            AddTail();
            return new RandomNetwork(index, c, h, w, _layers);
        }

        private void Add(LayerSpec spec)
        {
            if (!TryAdd(spec)) throw new InvalidOperationException($"{spec.ToAttribute()} does not fit {_shape}.");
        }

        private bool TryAdd(LayerSpec spec)
        {
            if (!NetworkShapes.TryResolve(spec, _shape, out var layer, out _)) return false;
            if (layer!.Output.Length < 1 || layer.Output.Length > 6000) return false;
            _layers.Add(spec);
            _shape = layer.Output;
            return true;
        }

        private void AddConvolution()
        {
            for (int attempt = 0; attempt < 40; attempt++)
                if (TryAdd(RandomConvolution())) return;
            Add(LayerSpec.Conv(Between(1, 6), 1));
        }

        private void AddPool()
        {
            for (int attempt = 0; attempt < 20; attempt++)
                if (TryAdd(RandomPool())) return;
        }

        private LayerSpec RandomConvolution()
        {
            var groups = new[] { 1, 2, 3 }.Where(g => _shape.Channels % g == 0).ToArray();
            int g = groups.Length > 1 && Chance(0.5) ? groups[1 + _r.NextInt(groups.Length - 1)] : 1;
            var spec = LayerSpec.Conv(g * Between(1, Math.Max(1, 8 / g)), 1) with { Groups = g, Bias = !Chance(0.15) };
            spec = WithKernel(spec, maxKernel: 7);
            spec = WithStride(spec, maxStride: 4, pool: false);
            return WithPadding(spec, pool: false);
        }

        private LayerSpec RandomPool()
        {
            var spec = Chance(0.5) ? LayerSpec.MaxPool(1) : LayerSpec.AvgPool(1) with { CountIncludePad = !Chance(0.4) };
            spec = WithKernel(spec, maxKernel: 4);
            spec = WithStride(spec, maxStride: 3, pool: true);
            return WithPadding(spec, pool: true);
        }

        /// <summary>Square (KernelSize) or non-square, written in one of the ways the attribute allows.</summary>
        private LayerSpec WithKernel(LayerSpec spec, int maxKernel)
        {
            int kh = Between(1, Math.Min(maxKernel, _shape.Height + 2));
            int kw = Between(1, Math.Min(maxKernel, _shape.Width + 2));
            if (Chance(0.55)) return spec with { KernelSize = kh };
            return Pick(0, 1, 2) switch
            {
                0 => spec with { KernelSize = kh, KernelWidth = kw },
                1 => spec with { KernelSize = kw, KernelHeight = kh },
                _ => spec with { KernelSize = Between(1, 7), KernelHeight = kh, KernelWidth = kw },
            };
        }

        /// <summary>Unset (pool: the kernel; conv: 1), square, or per axis (an override with or without Stride).</summary>
        private LayerSpec WithStride(LayerSpec spec, int maxStride, bool pool)
        {
            double draw = _r.NextDouble();
            if (draw < (pool ? 0.35 : 0.2)) return spec;
            if (draw < 0.7) return spec with { Stride = Between(1, maxStride) };
            return Pick(0, 1, 2) switch
            {
                0 => spec with { StrideHeight = Between(1, maxStride), StrideWidth = Between(1, maxStride) },
                1 => spec with { Stride = Between(1, maxStride), StrideHeight = Between(1, maxStride) },
                _ => spec with { StrideWidth = Between(1, maxStride) },
            };
        }

        /// <summary>None, SAME, symmetric, or per axis; pools keep padding within half the window (as PyTorch requires).</summary>
        private LayerSpec WithPadding(LayerSpec spec, bool pool)
        {
            int kh = spec.KernelHeight ?? spec.KernelSize, kw = spec.KernelWidth ?? spec.KernelSize;
            int MaxPad(int k) => pool ? k / 2 : Math.Max(0, k - 1);
            double draw = _r.NextDouble();
            if (draw < 0.25) return spec;
            if (draw < 0.5) return spec with { Padding = Padding.Same };
            if (draw < 0.8) return spec with { Padding = Between(0, Math.Min(MaxPad(kh), MaxPad(kw))) };
            return Pick(0, 1) switch
            {
                0 => spec with { PaddingHeight = Between(0, MaxPad(kh)), PaddingWidth = Between(0, MaxPad(kw)) },
                _ => spec with { Padding = Between(0, Math.Min(MaxPad(kh), MaxPad(kw))), PaddingWidth = Between(0, MaxPad(kw)) },
            };
        }

        private LayerSpec RandomLrn()
        {
            if (Chance(0.5))
            {
                return new LayerSpec(LayerKind.LocalResponseNorm)
                {
                    Size = Between(1, 7),
                    Alpha = Chance(0.2) ? null : Pick(1e-4f, 0.01f, 0.1f, 0.5f),
                    Beta = Chance(0.3) ? null : Pick(0.5f, 0.75f, 1f),
                    K = Chance(0.3) ? null : Pick(1f, 2f),
                };
            }
            return new LayerSpec(LayerKind.TfLocalResponseNorm)
            {
                Size = Between(0, 3),
                K = Chance(0.3) ? null : Pick(1f, 2f),
                Alpha = Chance(0.2) ? null : Pick(0.001f / 9, 0.01f, 0.1f),
                Beta = Chance(0.3) ? null : Pick(0.5f, 0.75f),
            };
        }

        private LayerSpec RandomElu() => new(LayerKind.ELU) { Alpha = Chance(0.3) ? null : Pick(1f, 0.5f, 1.7f) };

        private LayerSpec RandomDropout() => new(LayerKind.Dropout) { P = Pick(0f, 0.25f, 0.5f) };

        private void AddTail()
        {
            double draw = _r.NextDouble();
            if (draw < 0.12 && _shape.Spatial && _shape.Length <= 300 && _layers.Any(l => l.HasParameters))
                return; // the logits are the last convolution's C·H·W outputs
            Add(LayerSpec.Of(LayerKind.Flatten));
            if (!(draw < 0.22 && _shape.Length <= 300 && _layers.Any(l => l.HasParameters)))
            {
                if (Chance(0.3)) Add(RandomDropout());
                if (Chance(0.5))
                {
                    Add(LayerSpec.Fc(Between(4, 16)) with { Bias = !Chance(0.1) });
                    if (Chance(0.7)) Add(Chance(0.6) ? LayerSpec.Of(LayerKind.ReLU) : RandomElu());
                    if (Chance(0.3)) Add(RandomDropout());
                }
                Add(LayerSpec.Fc(Between(2, 10)) with { Bias = !Chance(0.15) });
            }
            if (Chance(0.35)) Add(LayerSpec.Of(LayerKind.Softmax));
        }
    }
}
