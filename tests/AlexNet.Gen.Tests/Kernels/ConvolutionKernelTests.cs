using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics.X86;
using System.Linq;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

[Collection(KernelStateCollection.Name)]
public class ConvolutionKernelTests
{
    // ---- configurations: kernels 1–11 (non-square too), strides 1–4 (non-square), symmetric, asymmetric
    // (SAME-style: implied bottom/right padding larger than top/left) and no padding, groups 1/2/4, bias on/off.

    /// <summary>3×3, stride 1, pad 1 (same size), odd non-square image.</summary>
    private struct C1 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 11; public static int InWidth => 13;
        public static int OutChannels => 4; public static int OutHeight => 11; public static int OutWidth => 13;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>1×1 stride 1 unpadded: the pointwise path without im2col.</summary>
    private struct C2 : IConv2dConfig
    {
        public static int InChannels => 2; public static int InHeight => 9; public static int InWidth => 7;
        public static int OutChannels => 3; public static int OutHeight => 9; public static int OutWidth => 7;
        public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>5×5, stride 2, pad 2, two groups.</summary>
    private struct C3 : IConv2dConfig
    {
        public static int InChannels => 4; public static int InHeight => 10; public static int InWidth => 10;
        public static int OutChannels => 6; public static int OutHeight => 5; public static int OutWidth => 5;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 2; public static bool HasBias => true;
    }

    /// <summary>7×5 kernel, stride 3×2, no padding, rows left uncovered at the bottom, no bias.</summary>
    private struct C4 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 15; public static int InWidth => 17;
        public static int OutChannels => 5; public static int OutHeight => 3; public static int OutWidth => 7;
        public static int KernelHeight => 7; public static int KernelWidth => 5; public static int StrideHeight => 3; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>TensorFlow SAME, 3×3 stride 2 on 8×9: pad top 0 / bottom 1, left 1 / right 1.</summary>
    private struct C5 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 8; public static int InWidth => 9;
        public static int OutChannels => 4; public static int OutHeight => 4; public static int OutWidth => 5;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>TensorFlow SAME with an even 4×4 kernel: pad 1 before, 2 after.</summary>
    private struct C6 : IConv2dConfig
    {
        public static int InChannels => 2; public static int InHeight => 7; public static int InWidth => 6;
        public static int OutChannels => 3; public static int OutHeight => 7; public static int OutWidth => 6;
        public static int KernelHeight => 4; public static int KernelWidth => 4; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>Four groups of two channels.</summary>
    private struct C7 : IConv2dConfig
    {
        public static int InChannels => 8; public static int InHeight => 6; public static int InWidth => 6;
        public static int OutChannels => 8; public static int OutHeight => 6; public static int OutWidth => 6;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 4; public static bool HasBias => true;
    }

    /// <summary>2×6 kernel, stride 1×3, pads 1 and 2.</summary>
    private struct C8 : IConv2dConfig
    {
        public static int InChannels => 2; public static int InHeight => 5; public static int InWidth => 11;
        public static int OutChannels => 3; public static int OutHeight => 6; public static int OutWidth => 4;
        public static int KernelHeight => 2; public static int KernelWidth => 6; public static int StrideHeight => 1; public static int StrideWidth => 3;
        public static int PadTop => 1; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>1×1 with stride 2: needs im2col although the kernel is pointwise.</summary>
    private struct C9 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 7; public static int InWidth => 9;
        public static int OutChannels => 2; public static int OutHeight => 4; public static int OutWidth => 5;
        public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>AlexNet conv1 style: 11×11 stride 4.</summary>
    private struct C10 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 31; public static int InWidth => 31;
        public static int OutChannels => 4; public static int OutHeight => 6; public static int OutWidth => 6;
        public static int KernelHeight => 11; public static int KernelWidth => 11; public static int StrideHeight => 4; public static int StrideWidth => 4;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>Stride equal to a 4×3 kernel (non-overlapping windows), two groups, no bias.</summary>
    private struct C11 : IConv2dConfig
    {
        public static int InChannels => 2; public static int InHeight => 12; public static int InWidth => 9;
        public static int OutChannels => 4; public static int OutHeight => 3; public static int OutWidth => 3;
        public static int KernelHeight => 4; public static int KernelWidth => 3; public static int StrideHeight => 4; public static int StrideWidth => 3;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 2; public static bool HasBias => false;
    }

    /// <summary>Large enough (32×400×144 multiply-adds per sample) for the GEMM to run on both threads.</summary>
    private struct C12 : IConv2dConfig
    {
        public static int InChannels => 16; public static int InHeight => 20; public static int InWidth => 20;
        public static int OutChannels => 32; public static int OutHeight => 20; public static int OutWidth => 20;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>Pointwise with two groups, no bias.</summary>
    private struct C13 : IConv2dConfig
    {
        public static int InChannels => 4; public static int InHeight => 5; public static int InWidth => 6;
        public static int OutChannels => 6; public static int OutHeight => 5; public static int OutWidth => 6;
        public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 2; public static bool HasBias => false;
    }

    /// <summary>Pad top 1 but left 0; the last window column reaches one past the image (implied right pad).</summary>
    private struct C14 : IConv2dConfig
    {
        public static int InChannels => 1; public static int InHeight => 6; public static int InWidth => 6;
        public static int OutChannels => 2; public static int OutHeight => 3; public static int OutWidth => 3;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 1; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>2×7 kernel, stride 4×1, wide left padding.</summary>
    private struct C15 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 13; public static int InWidth => 8;
        public static int OutChannels => 2; public static int OutHeight => 3; public static int OutWidth => 8;
        public static int KernelHeight => 2; public static int KernelWidth => 7; public static int StrideHeight => 4; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 3; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>
    /// A wider AlexNet conv1 (11×11 stride 4, padding 2 on the left and top only): its implicit GEMM has many column tiles,
    /// several weight-gradient column slices, 7 output channels (padded to whole micro-kernel rows and panels) and
    /// 32 − 30 garbage columns per output row.
    /// </summary>
    private struct C16 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 127; public static int InWidth => 125;
        public static int OutChannels => 7; public static int OutHeight => 30; public static int OutWidth => 30;
        public static int KernelHeight => 11; public static int KernelWidth => 11; public static int StrideHeight => 4; public static int StrideWidth => 4;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>
    /// 32 → 36 channels, 3×3: at batch ≥ 4 the forward pass and the input gradient run on Winograd and the weight
    /// gradient on im2col (their channel thresholds differ), so one layer mixes the two paths.
    /// </summary>
    private struct C17 : IConv2dConfig
    {
        public static int InChannels => 32; public static int InHeight => 6; public static int InWidth => 7;
        public static int OutChannels => 36; public static int OutHeight => 6; public static int OutWidth => 7;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>5×5 stride 2 (an implicit GEMM) with 20 output channels: a full 12-row weight panel and a short one of 8.</summary>
    private struct C18 : IConv2dConfig
    {
        public static int InChannels => 2; public static int InHeight => 23; public static int InWidth => 23;
        public static int OutChannels => 20; public static int OutHeight => 11; public static int OutWidth => 11;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>5×5 stride 2 (an implicit GEMM) on one channel: Depth 25 = 2 · 12 + 1, a weight gradient whose last
    /// 12-row tile has one row (IndirectAShortKernel).</summary>
    private struct C23 : IConv2dConfig
    {
        public static int InChannels => 1; public static int InHeight => 9; public static int InWidth => 11;
        public static int OutChannels => 3; public static int OutHeight => 4; public static int OutWidth => 5;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>2×5 stride 2 (an implicit GEMM): Depth 40 = 3 · 12 + 4, a weight gradient whose last tile has four rows.</summary>
    private struct C24 : IConv2dConfig
    {
        public static int InChannels => 4; public static int InHeight => 8; public static int InWidth => 13;
        public static int OutChannels => 5; public static int OutHeight => 4; public static int OutWidth => 5;
        public static int KernelHeight => 2; public static int KernelWidth => 5; public static int StrideHeight => 2; public static int StrideWidth => 2;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>
    /// 64 → 20 channels, 5×5 on 20×20 (a channels-last weight gradient from batch 2 on AVX-512): two 32-channel slabs, a
    /// short last panel of 8 output channels, one sample a block (400 pixels), so a chunk of two samples sums two blocks.
    /// </summary>
    private struct C19 : IConv2dConfig
    {
        public static int InChannels => 64; public static int InHeight => 20; public static int InWidth => 20;
        public static int OutChannels => 20; public static int OutHeight => 20; public static int OutWidth => 20;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>64 → 12 channels, 3×3 on 5×6: rows narrower than one 8-column transpose, no bias.</summary>
    private struct C20 : IConv2dConfig
    {
        public static int InChannels => 64; public static int InHeight => 5; public static int InWidth => 6;
        public static int OutChannels => 12; public static int OutHeight => 5; public static int OutWidth => 6;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>Two groups of 32 → 4 channels, 3×3, padding on top only (an implied bottom row, no right column), 10 columns.</summary>
    private struct C21 : IConv2dConfig
    {
        public static int InChannels => 64; public static int InHeight => 9; public static int InWidth => 10;
        public static int OutChannels => 8; public static int OutHeight => 9; public static int OutWidth => 8;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 0; public static int Groups => 2; public static bool HasBias => true;
    }

    /// <summary>32 → 10 channels, 3×3 on 6×9: a last weight panel of 10 rows, too many for the short-panel kernels.</summary>
    private struct C22 : IConv2dConfig
    {
        public static int InChannels => 32; public static int InHeight => 6; public static int InWidth => 9;
        public static int OutChannels => 10; public static int OutHeight => 6; public static int OutWidth => 9;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>Groups that do not divide the channels: invalid.</summary>
    private struct BadGroups : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 4; public static int InWidth => 4;
        public static int OutChannels => 4; public static int OutHeight => 4; public static int OutWidth => 4;
        public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 2; public static bool HasBias => false;
    }

    private interface ICheck
    {
        void Run<T>() where T : struct, IConv2dConfig;
    }

    private static readonly string[] Configs = { "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11", "C12", "C13", "C14", "C15", "C16", "C17", "C18", "C19", "C20", "C21", "C22", "C23", "C24" };

    private static void Dispatch(string config, ICheck check)
    {
        switch (config)
        {
            case "C1": check.Run<C1>(); break;
            case "C2": check.Run<C2>(); break;
            case "C3": check.Run<C3>(); break;
            case "C4": check.Run<C4>(); break;
            case "C5": check.Run<C5>(); break;
            case "C6": check.Run<C6>(); break;
            case "C7": check.Run<C7>(); break;
            case "C8": check.Run<C8>(); break;
            case "C9": check.Run<C9>(); break;
            case "C10": check.Run<C10>(); break;
            case "C11": check.Run<C11>(); break;
            case "C12": check.Run<C12>(); break;
            case "C13": check.Run<C13>(); break;
            case "C14": check.Run<C14>(); break;
            case "C15": check.Run<C15>(); break;
            case "C16": check.Run<C16>(); break;
            case "C17": check.Run<C17>(); break;
            case "C18": check.Run<C18>(); break;
            case "C19": check.Run<C19>(); break;
            case "C20": check.Run<C20>(); break;
            case "C21": check.Run<C21>(); break;
            case "C22": check.Run<C22>(); break;
            case "C23": check.Run<C23>(); break;
            case "C24": check.Run<C24>(); break;
            default: throw new ArgumentException($"unknown config {config}");
        }
    }

    public static IEnumerable<object[]> ConfigBatchWidth() =>
        from c in Configs from batch in new[] { 1, 3 } from width in GemmTestScope.Widths select new object[] { c, batch, width };

    /// <summary>All but C12, C16 and C19, whose reference loops have nothing the others lack and would dominate the run time.</summary>
    public static IEnumerable<object[]> SmallConfigNames() => Configs.Where(c => c != "C12" && c != "C16" && c != "C19").Select(c => new object[] { c });

    /// <summary>Random input, weight, bias and output gradient for a config (floats, seeded per config).</summary>
    private sealed record Data(Conv2dShape Shape, int Batch, float[] X, float[] W, float[] B, float[] Dy)
    {
        public static Data For<T>(int batch) where T : struct, IConv2dConfig
        {
            var s = Conv2dShape.Of<T>();
            int seed = s.InSize * 31 + s.WeightSize + batch;
            return new Data(s, batch, Ref.GemmRandom(batch * s.InSize, seed), Ref.GemmRandom(s.WeightSize, seed + 1),
                Ref.GemmRandom(s.BiasSize, seed + 2), Ref.GemmRandom(batch * s.OutSize, seed + 3));
        }
    }

    [Theory]
    [MemberData(nameof(ConfigBatchWidth))]
    public void ForwardMatchesReference(string config, int batch, int width) =>
        GemmTestScope.WithWidth(width, () => Dispatch(config, new ForwardCheck(batch)));

    private sealed class ForwardCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            var d = Data.For<T>(batch);
            // Start from garbage: Forward must overwrite every output.
            float[] y = Enumerable.Repeat(float.NaN, batch * d.Shape.OutSize).ToArray();
            Conv2d.Forward<T>(d.X, d.W, d.B, y, batch, GemmTestScope.PoisonedWorkspace());
            double[] expected = Ref.Conv2dForward(d.Shape, Ref.GemmToDouble(d.X), Ref.GemmToDouble(d.W), Ref.GemmToDouble(d.B), batch);
            Ref.GemmAssertClose(expected, y, 1e-4, $"{typeof(T).Name} forward batch {batch} width {Gemm.VectorWidth}");
        }
    }

    /// <summary>A fused ReLU (conv → ReLU in a generated model) on every path: im2col, pointwise, implicit, blocked samples.</summary>
    [Theory]
    [MemberData(nameof(ConfigBatchWidth))]
    public void FusedReluMatchesSeparateRelu(string config, int batch, int width) =>
        GemmTestScope.WithWidth(width, () => Dispatch(config, new FusedReluCheck(batch)));

    private sealed class FusedReluCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig => FusedReluChecks.Convolution<T>(batch);
    }

    [Theory]
    [MemberData(nameof(ConfigBatchWidth))]
    public void BackwardMatchesReference(string config, int batch, int width) =>
        GemmTestScope.WithWidth(width, () => Dispatch(config, new BackwardCheck(batch, firstLayer: false)));

    /// <summary>First layer: no input gradient is requested; the parameter gradients must still be right.</summary>
    [Theory]
    [InlineData("C1", 3)]
    [InlineData("C3", 2)]
    [InlineData("C10", 5)]
    [InlineData("C13", 1)]
    [InlineData("C16", 2)]
    public void BackwardWithoutInputGradientMatchesReference(string config, int batch) =>
        Dispatch(config, new BackwardCheck(batch, firstLayer: true));

    private sealed class BackwardCheck(int batch, bool firstLayer) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            var d = Data.For<T>(batch);
            var s = d.Shape;
            float[] dx = firstLayer ? Array.Empty<float>() : Enumerable.Repeat(float.NaN, batch * s.InSize).ToArray();
            float[] dw = Enumerable.Repeat(float.NaN, s.WeightSize).ToArray();
            float[] db = Enumerable.Repeat(float.NaN, s.BiasSize).ToArray();
            Conv2d.Backward<T>(d.X, d.W, d.Dy, dx, dw, db, batch, GemmTestScope.PoisonedWorkspace());
            var (ex, ew, eb) = Ref.Conv2dBackward(s, Ref.GemmToDouble(d.X), Ref.GemmToDouble(d.W), Ref.GemmToDouble(d.Dy), batch);
            string what = $"{typeof(T).Name} backward batch {batch} width {Gemm.VectorWidth}";
            if (!firstLayer) Ref.GemmAssertClose(ex, dx, 1e-4, what + " dX");
            Ref.GemmAssertClose(ew, dw, 1e-4, what + " dW");
            Ref.GemmAssertClose(eb, db, 1e-4, what + " dB");
        }
    }

    /// <summary>Winograd forward and input gradient, im2col weight gradient (C17) at batches that reach Winograd, on every SIMD width.</summary>
    [Theory]
    [InlineData(4, 8)]
    [InlineData(5, 8)]
    [InlineData(4, 16)]
    [InlineData(6, 1)]
    public void WinogradAndIm2ColGradientsMatchReference(int batch, int width) => GemmTestScope.WithWidth(width, () =>
    {
        var g = Conv2d.Geometry.Of<C17>();
        if (Avx2.IsSupported && width != 1)
            Assert.True(Conv2d.UsesWinograd(g, batch) && !Conv2d.UsesWinogradWeightGradient(g, batch), "C17 should mix the paths");
        new ForwardCheck(batch).Run<C17>();
        new BackwardCheck(batch, firstLayer: false).Run<C17>();
    });

    /// <summary>The reference backward itself, against central differences of the reference forward.</summary>
    [Theory]
    [MemberData(nameof(SmallConfigNames))]
    public void ReferenceBackwardMatchesFiniteDifferences(string config) => Dispatch(config, new FiniteDifferenceCheck());

    private sealed class FiniteDifferenceCheck : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            const int batch = 2;
            var d = Data.For<T>(batch);
            var s = d.Shape;
            double[] x = Ref.GemmToDouble(d.X), w = Ref.GemmToDouble(d.W), b = Ref.GemmToDouble(d.B), dy = Ref.GemmToDouble(d.Dy);
            var (dx, dw, db) = Ref.Conv2dBackward(s, x, w, dy, batch);
            const int samples = 40;
            Ref.Conv2dCheckFiniteDifference(v => Ref.Conv2dForward(s, v, w, b, batch), x, dy, dx, samples, typeof(T).Name + " dX");
            Ref.Conv2dCheckFiniteDifference(v => Ref.Conv2dForward(s, x, v, b, batch), w, dy, dw, samples, typeof(T).Name + " dW");
            if (s.HasBias)
                Ref.Conv2dCheckFiniteDifference(v => Ref.Conv2dForward(s, x, w, v, batch), b, dy, db, samples, typeof(T).Name + " dB");
        }
    }

    /// <summary>
    /// The channels-last weight gradient (stride 1, whole 32-channel groups, AVX-512 panels, batch ≥ 2) against the
    /// reference: two slabs, 5×5 and 3×3, narrow rows, groups, last panels of 4, 8 and 10 rows, one and several blocks a
    /// chunk (batch 8 and 9), and the same bits on one and two threads.
    /// </summary>
    [Theory]
    [InlineData("C19", 8)]
    [InlineData("C19", 3)]
    [InlineData("C20", 9)]
    [InlineData("C21", 8)]
    [InlineData("C22", 6)]
    [InlineData("C17", 5)]
    public void ChannelsLastWeightGradientMatchesReference(string config, int batch) => GemmTestScope.WithWidth(16, () =>
        Dispatch(config, new ChannelsLastCheck(batch)));

    private sealed class ChannelsLastCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            var g = Conv2d.Geometry.Of<T>();
            if (Avx.IsSupported)
                Assert.True(Conv2d.UsesChannelsLastWeightGradient(g) && !Conv2d.UsesWinogradWeightGradient(g, batch),
                    typeof(T).Name + " should take the channels-last weight gradient");
            new BackwardCheck(batch, firstLayer: false).Run<T>();
            new ThreadInvarianceCheck(batch).Run<T>();
        }
    }

    /// <summary>
    /// Batch 1 and 5 split the GEMM, batch 4 splits samples (forward) and 1/3/5/6 exercise 1–4 gradient chunks:
    /// every output and gradient must have the same bits with one and two threads.
    /// </summary>
    [Theory]
    [InlineData("C12", 1, 8)]
    [InlineData("C12", 4, 8)]
    [InlineData("C12", 5, 8)]
    [InlineData("C12", 3, 1)]
    [InlineData("C7", 6, 8)]
    [InlineData("C3", 5, 16)]
    [InlineData("C2", 4, 8)]
    [InlineData("C16", 1, 8)]
    [InlineData("C16", 3, 16)]
    [InlineData("C16", 4, 1)]
    [InlineData("C17", 6, 8)]
    public void ResultsAreIdenticalForOneAndTwoThreads(string config, int batch, int width) =>
        GemmTestScope.WithWidth(width, () => Dispatch(config, new ThreadInvarianceCheck(batch)));

    private sealed class ThreadInvarianceCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            var d = Data.For<T>(batch);
            var one = Compute<T>(d, 1);
            var two = Compute<T>(d, 2);
            string name = typeof(T).Name;
            GemmTestScope.AssertBitwiseEqual(one.Y, two.Y, name + " forward");
            GemmTestScope.AssertBitwiseEqual(one.Dx, two.Dx, name + " dX");
            GemmTestScope.AssertBitwiseEqual(one.Dw, two.Dw, name + " dW");
            GemmTestScope.AssertBitwiseEqual(one.Db, two.Db, name + " dB");
            // The parallel results are also right, not just repeatable.
            var (ex, ew, _) = Ref.Conv2dBackward(d.Shape, Ref.GemmToDouble(d.X), Ref.GemmToDouble(d.W), Ref.GemmToDouble(d.Dy), batch);
            Ref.GemmAssertClose(ex, two.Dx, 1e-4, name + " parallel dX");
            Ref.GemmAssertClose(ew, two.Dw, 1e-4, name + " parallel dW");
        }

        private (float[] Y, float[] Dx, float[] Dw, float[] Db) Compute<T>(Data d, int threads) where T : struct, IConv2dConfig
        {
            var s = d.Shape;
            float[] y = new float[batch * s.OutSize], dx = new float[batch * s.InSize], dw = new float[s.WeightSize], db = new float[s.BiasSize];
            GemmTestScope.WithThreads(threads, () =>
            {
                var ws = new Workspace();
                Conv2d.Forward<T>(d.X, d.W, d.B, y, batch, ws);
                Conv2d.Backward<T>(d.X, d.W, d.Dy, dx, dw, db, batch, ws);
            });
            return (y, dx, dw, db);
        }
    }

    [Theory]
    [InlineData("C12", 1, 2)]
    [InlineData("C12", 4, 2)]
    [InlineData("C3", 3, 1)]
    [InlineData("C2", 5, 2)]
    [InlineData("C17", 4, 2)] // Winograd F(4×4, 3×3) forward and input gradient
    [InlineData("C17", 5, 1)]
    [InlineData("C17", 1, 2)] // Winograd forward, each step split over the threads
    [InlineData("C20", 9, 2)] // channels-last weight gradient
    public void RepeatedCallsDoNotAllocate(string config, int batch, int threads) =>
        GemmTestScope.WithThreads(threads, () => Dispatch(config, new AllocationCheck(batch)));

    private sealed class AllocationCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            var d = Data.For<T>(batch);
            var s = d.Shape;
            float[] y = new float[batch * s.OutSize], dx = new float[batch * s.InSize], dw = new float[s.WeightSize], db = new float[s.BiasSize];
            var ws = new Workspace();
            Assert.Equal(0, KernelThreadAllocations.Of(() => Conv2d.Forward<T>(d.X, d.W, d.B, y, batch, ws)));
            // Weights changed before every call, as in training: a Winograd layer rebuilds its kept weights in place.
            Assert.Equal(0, KernelThreadAllocations.Of(() =>
            {
                d.W[0] += 1e-3f;
                Conv2d.Forward<T>(d.X, d.W, d.B, y, batch, ws);
            }));
            Assert.Equal(0, KernelThreadAllocations.Of(() => Conv2d.Backward<T>(d.X, d.W, d.Dy, dx, dw, db, batch, ws)));
            Assert.Equal(0, KernelThreadAllocations.Of(() => Conv2d.Backward<T>(d.X, d.W, d.Dy, Span<float>.Empty, dw, db, batch, ws)));
        }
    }

    [Fact]
    public void RejectsWrongLengthsWithClearMessages()
    {
        var ws = new Workspace();
        var s = Conv2dShape.Of<C1>();
        float[] x = new float[2 * s.InSize], w = new float[s.WeightSize], b = new float[s.BiasSize], y = new float[2 * s.OutSize];
        var e = Assert.Throws<ArgumentException>(() => Conv2d.Forward<C1>(x.AsSpan(0, 100), w, b, y, 2, ws));
        Assert.Contains("conv input has 100 floats but batch 2 × 3×11×13 needs 858", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward<C1>(x, w.AsSpan(1), b, y, 2, ws));
        Assert.Contains("conv weight has 107 floats but 4×3×3×3 needs 108", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward<C1>(x, w, b.AsSpan(1), y, 2, ws));
        Assert.Contains("conv bias has 3 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward<C1>(x, w, b, y.AsSpan(1), 2, ws));
        Assert.Contains("conv output has", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward<C4>(new float[Conv2dShape.Of<C4>().InSize], new float[Conv2dShape.Of<C4>().WeightSize],
            new float[5], new float[Conv2dShape.Of<C4>().OutSize], 1, ws));
        Assert.Contains("must be empty", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Backward<C1>(x, w, y, x.AsSpan(1), w.ToArray(), b.ToArray(), 2, ws));
        Assert.Contains("conv input gradient has", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Backward<C1>(x, w, y.AsSpan(2), x.ToArray(), w.ToArray(), b.ToArray(), 2, ws));
        Assert.Contains("conv output gradient has", e.Message);
        e = Assert.Throws<ArgumentException>(() => Conv2d.Backward<C1>(x, w, y, x.ToArray(), new float[3], b.ToArray(), 2, ws));
        Assert.Contains("conv weightGradient has 3 floats", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv2d.Forward<C1>(x, w, b, y, -1, ws));
        e = Assert.Throws<ArgumentException>(() => Conv2d.Forward<BadGroups>(new float[48], new float[8], Array.Empty<float>(), new float[64], 1, ws));
        Assert.Contains("Groups 2 must divide InChannels 3", e.Message);
    }

    [Fact]
    public void EmptyBatchClearsParameterGradients()
    {
        var s = Conv2dShape.Of<C1>();
        float[] dw = Enumerable.Repeat(1f, s.WeightSize).ToArray(), db = Enumerable.Repeat(1f, s.BiasSize).ToArray();
        Conv2d.Backward<C1>(Array.Empty<float>(), new float[s.WeightSize], Array.Empty<float>(), Span<float>.Empty, dw, db, 0, new Workspace());
        Assert.All(dw, v => Assert.Equal(0f, v));
        Assert.All(db, v => Assert.Equal(0f, v));
    }
}
