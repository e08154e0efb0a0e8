using System;
using System.Collections.Generic;
using System.Linq;
using static AlexNet.Gen.Tests.Models.ModelTestUtil;

namespace AlexNet.Gen.Tests.Models;

/// <summary>Generated Forward against the double reference network, on declared and on random networks.</summary>
public class ForwardDifferentialTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> DeclaredSmallNetworks => new[]
    {
        new object[] { nameof(TinyAlexNet) },
        new object[] { nameof(MixedOptionsNet) },
        new object[] { nameof(WideNet) },
        new object[] { nameof(SpatialLogitsNet) },
        new object[] { nameof(NamedLayersNet) },
        new object[] { nameof(DropoutOnlyNet) },
        new object[] { nameof(DropoutDenseNet) },
    };

    internal static INetwork CreateDeclared(string name, int seed)
    {
        var type = typeof(ForwardDifferentialTests).Assembly.GetType(typeof(TinyAlexNet).Namespace + "." + name, throwOnError: true)!;
        return (INetwork)Activator.CreateInstance(type, seed)!;
    }

    [Theory]
    [MemberData(nameof(DeclaredSmallNetworks))]
    public void DeclaredNetwork_ForwardMatchesReference(string name)
    {
        var model = CreateDeclared(name, seed: 11);
        var reference = NetworkReference.FromType(model.GetType());
        CheckForward(model, reference, (ulong)name.Length, name);
    }

    [Theory]
    [MemberData(nameof(RandomNetworks.Indices), MemberType = typeof(RandomNetworks))]
    public void RandomNetwork_ForwardMatchesReference(int index)
    {
        var network = RandomNetworks.All[index];
        var model = RandomNetworks.Create(index, seed: 100 + index);
        CheckForward(model, network.Reference, (ulong)(1000 + index), network.ToString());
    }

    /// <summary>Constants, parameter layout, then Forward at batch 1 and 3 (dropout is the identity).</summary>
    private static void CheckForward(INetwork model, NetworkReference reference, ulong seed, string what)
    {
        Assert.Equal(reference.InputLength, model.InputLength);
        Assert.Equal(reference.OutputLength, model.OutputLength);
        Assert.Equal(reference.EndsWithSoftmax, model.OutputsProbabilities);
        Assert.Equal(reference.ParameterCount, (long)model.GetType().GetField("ParameterCount")!.GetValue(null)!);
        Assert.Equal(reference.ParameterCount, model.Parameters.Sum(p => (long)p.Length));
        Assert.Equal(reference.ParameterCount, model.Parameters.Values.Length);
        var parameters = reference.ReadParameters(model);

        foreach (int batch in new[] { 1, 3 })
        {
            var input = Input(batch * model.InputLength, seed + (ulong)batch);
            var output = new float[batch * model.OutputLength];
            model.Forward(input, output, batch);
            var expected = reference.Forward(ToDouble(input), batch, parameters).Output;
            AssertClose(output, expected, Tolerance, $"{what}, batch {batch}: output");
        }
    }

    /// <summary>The fixed random set exercises every option the brief lists (so a change of seed cannot silently drop one).</summary>
    [Fact]
    public void RandomNetworks_CoverEveryOption()
    {
        var layers = RandomNetworks.All.SelectMany(n => n.Reference.Layers).ToList();
        var specs = layers.Select(l => l.Spec).ToList();
        bool Any(Func<ResolvedLayer, bool> f) => layers.Any(f);
        bool Conv(Func<ResolvedLayer, bool> f) => layers.Any(l => l.Kind == LayerKind.Conv2d && f(l));
        bool Pool(Func<ResolvedLayer, bool> f) => layers.Any(l => l.Kind is LayerKind.MaxPool2d or LayerKind.AvgPool2d && f(l));
        var missing = new List<string>();
        void Require(bool present, string what)
        {
            if (!present) missing.Add(what);
        }

        for (int k = 1; k <= 7; k++) Require(Conv(l => l.Conv.KernelHeight == k || l.Conv.KernelWidth == k), $"conv kernel {k}");
        for (int s = 1; s <= 4; s++) Require(Conv(l => l.Conv.StrideHeight == s || l.Conv.StrideWidth == s), $"conv stride {s}");
        Require(Conv(l => l.Conv.KernelHeight != l.Conv.KernelWidth), "non-square conv kernel");
        Require(Conv(l => l.Conv.StrideHeight != l.Conv.StrideWidth), "non-square conv stride");
        Require(Conv(l => l.Spec.Padding == Padding.Same && (l.Conv.PadTop > 0 || l.Conv.PadLeft > 0)), "conv SAME with padding");
        Require(Conv(l => l.Spec.PaddingHeight is not null || l.Spec.PaddingWidth is not null), "conv per-axis padding");
        Require(Conv(l => l.Conv.PadTop != l.Conv.PadLeft), "conv non-square padding");
        Require(Conv(l => l.Spec.Padding > 0), "conv explicit padding");
        Require(Conv(l => l.Conv.Groups == 2), "groups 2");
        Require(Conv(l => l.Conv.Groups == 3), "groups 3");
        Require(Conv(l => !l.Conv.HasBias), "conv without bias");
        Require(Any(l => l.Kind == LayerKind.MaxPool2d && (l.Pool.PadTop + l.Pool.PadLeft + l.Pool.PadBottom + l.Pool.PadRight) > 0), "padded max pool");
        Require(Any(l => l.Kind == LayerKind.MaxPool2d && l.Pool.PadTop + l.Pool.PadLeft == 0), "unpadded max pool");
        Require(Any(l => l.Kind == LayerKind.AvgPool2d && l.Pool.PadTop + l.Pool.PadLeft + l.Pool.PadBottom + l.Pool.PadRight > 0 && l.Pool.CountIncludePad), "avg pool counting padding");
        Require(Any(l => l.Kind == LayerKind.AvgPool2d && l.Pool.PadTop + l.Pool.PadLeft + l.Pool.PadBottom + l.Pool.PadRight > 0 && !l.Pool.CountIncludePad), "avg pool excluding padding");
        Require(Any(l => l.Kind == LayerKind.AvgPool2d && l.Pool.PadTop + l.Pool.PadLeft == 0), "unpadded avg pool");
        Require(Pool(l => l.Spec.Padding == Padding.Same && l.Pool.PadBottom + l.Pool.PadRight > 0), "SAME pool");
        Require(Pool(l => l.Spec.Stride is null && l.Spec.StrideHeight is null && l.Spec.StrideWidth is null && l.Pool.KernelHeight > 1), "pool default stride");
        Require(Pool(l => l.Pool.KernelHeight != l.Pool.KernelWidth), "non-square pool");
        Require(Pool(l => l.Pool.StrideHeight != l.Pool.StrideWidth), "non-square pool stride");
        Require(Any(l => l.Kind == LayerKind.LocalResponseNorm && l.Spec.Size % 2 == 0), "PyTorch LRN, even size");
        Require(Any(l => l.Kind == LayerKind.LocalResponseNorm && l.Spec.Size % 2 == 1 && l.Spec.Size > 1), "PyTorch LRN, odd size");
        Require(Any(l => l.Kind == LayerKind.TfLocalResponseNorm && l.Spec.Size > 0), "TensorFlow LRN");
        Require(Any(l => l.Kind == LayerKind.ELU && l.EluAlpha != 1), "ELU alpha ≠ 1");
        Require(Any(l => l.Kind == LayerKind.ReLU), "ReLU");
        Require(Any(l => l.Kind == LayerKind.Dropout && l.Spec.P == 0), "dropout p = 0");
        Require(Any(l => l.Kind == LayerKind.Dropout && l.Spec.P > 0 && l.Input.Spatial), "spatial dropout p > 0");
        Require(Any(l => l.Kind == LayerKind.Dropout && l.Spec.P > 0 && !l.Input.Spatial), "feature dropout p > 0");
        Require(Any(l => l.Kind == LayerKind.Dense && !l.HasBias), "dense without bias");
        Require(specs.Any(s => s.KernelSize != (s.KernelHeight ?? s.KernelSize) && s.KernelWidth is not null), "KernelHeight and KernelWidth both overriding");

        var networks = RandomNetworks.All.Select(n => n.Reference).ToList();
        Require(networks.Any(n => n.EndsWithSoftmax), "a Softmax network");
        Require(networks.Any(n => !n.EndsWithSoftmax && !n.Layers[^1].Output.Spatial), "a logits network");
        Require(networks.Any(n => n.Layers[^1].Output.Spatial), "a network ending spatial");
        Require(networks.Any(n => !n.Layers[0].Spec.HasParameters && n.Layers[0].Kind != LayerKind.Flatten), "a network starting without parameters");
        Require(networks.Any(n => n.Layers[0].Kind == LayerKind.Flatten), "a dense-only network");
        Require(networks.Any(n => n.Input.Height != n.Input.Width && n.Input.Height % 2 == 1 && n.Input.Width % 2 == 1), "odd non-square input");
        Require(networks.Count(n => n.Layers.Count(l => l.Kind == LayerKind.Conv2d) >= 3) >= 2, "deep networks");
        Assert.True(missing.Count == 0, "the random set lacks: " + string.Join("; ", missing));
    }
}
