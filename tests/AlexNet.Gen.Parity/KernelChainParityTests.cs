using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity;

/// <summary>
/// A small AlexNet-shaped network composed by hand from our kernels (conv → ReLU → LRN → max-pool → grouped conv →
/// ReLU → dense → softmax cross-entropy) against the same network built with <see cref="TorchNet"/>, parameters
/// moved by name with <see cref="TorchModels"/>: the loss and every parameter gradient must agree. This is the
/// harness the generated-model parity tests use, checked here on a network whose wiring the test controls.
/// </summary>
public class KernelChainParityTests
{
    private const int Batch = 3, Classes = 10;
    private const float Smoothing = 0.1f;

    [Fact]
    public void HandComposedNetwork_LossAndParameterGradients_MatchLibTorch()
    {
        // ---- parameters, in PyTorch layouts, in one flat array as generated models keep them ----
        var parameters = BuildParameters(
            ("conv1.weight", new[] { 8, 3, 5, 5 }),
            ("conv1.bias", new[] { 8 }),
            ("conv2.weight", new[] { 12, 4, 3, 3 }),
            ("conv2.bias", new[] { 12 }),
            ("fc.weight", new[] { Classes, 108 }),
            ("fc.bias", new[] { Classes }));
        var random = new SeededRandom(901);
        foreach (var p in parameters)
        {
            float scale = p.Shape.Length > 1 ? 1.5f / MathF.Sqrt(p.Length / p.Shape[0]) : 0.1f;
            foreach (ref float v in p.Values) v = scale * (2f * random.NextSingle() - 1f);
        }
        float[] x = TestData.Uniform(902, Batch * 3 * 19 * 19);
        int[] labels = TestData.Labels(903, Batch, Classes);

        // ---- ours: training forward ----
        var ws = new Workspace();
        var c1 = new float[Batch * 8 * 8 * 8];
        Conv2d.Forward<Conv1>(x, parameters["conv1.weight"].Values, parameters["conv1.bias"].Values, c1, Batch, ws);
        var r1 = new float[c1.Length];
        Activations.Relu(c1, r1);
        var n1 = new float[r1.Length];
        var lrnScale = new float[r1.Length];
        LocalResponseNorm.ForwardTraining<Lrn1>(r1, n1, lrnScale, Batch);
        var p1 = new float[Batch * 8 * 3 * 3];
        var argmax = new int[p1.Length];
        MaxPool2d.ForwardTraining<Pool1>(n1, p1, argmax, Batch);
        var c2 = new float[Batch * 12 * 3 * 3];
        Conv2d.Forward<Conv2>(p1, parameters["conv2.weight"].Values, parameters["conv2.bias"].Values, c2, Batch, ws);
        var r2 = new float[c2.Length];
        Activations.Relu(c2, r2);
        var logits = new float[Batch * Classes];
        Dense.Forward<Fc>(r2, parameters["fc.weight"].Values, parameters["fc.bias"].Values, logits, Batch, ws);

        // ---- ours: backward ----
        var dLogits = new float[logits.Length];
        float loss = CrossEntropy.SoftmaxCrossEntropy(logits, labels, dLogits, Batch, Classes, Smoothing);
        var dR2 = new float[r2.Length];
        Dense.Backward<Fc>(r2, parameters["fc.weight"].Values, dLogits, dR2, parameters["fc.weight"].Gradient, parameters["fc.bias"].Gradient, Batch, ws);
        var dC2 = new float[c2.Length];
        Activations.ReluBackward(r2, dR2, dC2);
        var dP1 = new float[p1.Length];
        Conv2d.Backward<Conv2>(p1, parameters["conv2.weight"].Values, dC2, dP1, parameters["conv2.weight"].Gradient, parameters["conv2.bias"].Gradient, Batch, ws);
        var dN1 = new float[n1.Length];
        MaxPool2d.Backward<Pool1>(dP1, argmax, dN1, Batch);
        var dR1 = new float[r1.Length];
        LocalResponseNorm.Backward<Lrn1>(r1, n1, lrnScale, dN1, dR1, Batch);
        var dC1 = new float[c1.Length];
        Activations.ReluBackward(r1, dR1, dC1);
        Conv2d.Backward<Conv1>(x, parameters["conv1.weight"].Values, dC1, Span<float>.Empty, parameters["conv1.weight"].Gradient, parameters["conv1.bias"].Gradient, Batch, ws);

        // ---- libtorch: the same network, parameters copied by name ----
        using var scope = torch.NewDisposeScope();
        var net = new TorchNet()
            .Conv("conv1", 3, 8, 5, stride: 2)
            .Relu()
            .Lrn(5, 0.5, 0.75, 2.0)
            .MaxPool(3, 2)
            .Conv("conv2", 8, 12, 3, padding: 1, groups: 2)
            .Relu()
            .Flatten()
            .Linear("fc", 108, Classes)
            .Build();
        TorchModels.LoadParameters(net, parameters);
        var xt = TorchRef.Double(x, new long[] { Batch, 3, 19, 19 });
        var logitsT = net.call(xt);
        ParityAssert.AssertForward(logits, TorchRef.Values(logitsT), "logits");
        var lossT = F.cross_entropy(logitsT, TorchRef.Labels(labels), label_smoothing: Smoothing);
        ParityAssert.AssertForward(new[] { loss }, TorchRef.Values(lossT), "loss");
        lossT.backward();
        TorchModels.AssertGradients(net, parameters);
    }

    [Fact]
    public void LoadParameters_RejectsMismatchedNamesAndShapes()
    {
        using var scope = torch.NewDisposeScope();
        var net = new TorchNet().Conv("conv1", 3, 4, 3).Flatten().Linear("fc", 4, 2).Build();

        var missing = BuildParameters(("conv1.weight", new[] { 4, 3, 3, 3 }), ("conv1.bias", new[] { 4 }), ("fc.weight", new[] { 2, 4 }));
        Assert.Contains("fc.bias", Assert.Throws<ArgumentException>(() => TorchModels.LoadParameters(net, missing)).Message);

        var wrongShape = BuildParameters(("conv1.weight", new[] { 4, 3, 3, 3 }), ("conv1.bias", new[] { 4 }), ("fc.weight", new[] { 4, 2 }), ("fc.bias", new[] { 2 }));
        Assert.Contains("fc.weight", Assert.Throws<ArgumentException>(() => TorchModels.LoadParameters(net, wrongShape)).Message);
    }

    private static ParameterCollection BuildParameters(params (string Name, int[] Shape)[] specs)
    {
        int total = 0;
        foreach (var (_, shape) in specs)
        {
            int n = 1;
            foreach (int d in shape) n *= d;
            total += n;
        }
        var values = new float[total];
        var gradients = new float[total];
        var items = new Parameter[specs.Length];
        int offset = 0;
        for (int i = 0; i < specs.Length; i++)
        {
            items[i] = new Parameter(specs[i].Name, specs[i].Shape, offset, values, gradients);
            offset += items[i].Length;
        }
        return new ParameterCollection(values, gradients, items);
    }

    private struct Conv1 : IConv2dConfig
    {
        public static int InChannels => 3;
        public static int InHeight => 19;
        public static int InWidth => 19;
        public static int OutChannels => 8;
        public static int OutHeight => 8;
        public static int OutWidth => 8;
        public static int KernelHeight => 5;
        public static int KernelWidth => 5;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 0;
        public static int Groups => 1;
        public static bool HasBias => true;
    }

    private struct Lrn1 : ILrnConfig
    {
        public static int Channels => 8;
        public static int Height => 8;
        public static int Width => 8;
        public static int WindowBefore => 2;
        public static int WindowAfter => 2;
        public static float Coefficient => 0.5f / 5;
        public static float Beta => 0.75f;
        public static float K => 2f;
    }

    private struct Pool1 : IPool2dConfig
    {
        public static int Channels => 8;
        public static int InHeight => 8;
        public static int InWidth => 8;
        public static int OutHeight => 3;
        public static int OutWidth => 3;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 2;
        public static int StrideWidth => 2;
        public static int PadTop => 0;
        public static int PadLeft => 0;
        public static int PadBottom => 0;
        public static int PadRight => 0;
    }

    private struct Conv2 : IConv2dConfig
    {
        public static int InChannels => 8;
        public static int InHeight => 3;
        public static int InWidth => 3;
        public static int OutChannels => 12;
        public static int OutHeight => 3;
        public static int OutWidth => 3;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PadTop => 1;
        public static int PadLeft => 1;
        public static int Groups => 2;
        public static bool HasBias => true;
    }

    private struct Fc : IDenseConfig
    {
        public static int InFeatures => 108;
        public static int OutFeatures => Classes;
        public static bool HasBias => true;
    }
}
