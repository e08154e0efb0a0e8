using System;
using System.Linq;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

/// <summary>A convolution config with a ReLU fused into its output (what the generator emits for conv → ReLU).</summary>
internal readonly struct WithFusedRelu<T> : IConv2dConfig where T : struct, IConv2dConfig
{
    public static int InChannels => T.InChannels; public static int InHeight => T.InHeight; public static int InWidth => T.InWidth;
    public static int OutChannels => T.OutChannels; public static int OutHeight => T.OutHeight; public static int OutWidth => T.OutWidth;
    public static int KernelHeight => T.KernelHeight; public static int KernelWidth => T.KernelWidth;
    public static int StrideHeight => T.StrideHeight; public static int StrideWidth => T.StrideWidth;
    public static int PadTop => T.PadTop; public static int PadLeft => T.PadLeft; public static int Groups => T.Groups;
    public static bool HasBias => T.HasBias;
    public static bool FusedRelu => true;
}

/// <summary>A dense config with a ReLU fused into its output.</summary>
internal readonly struct DenseWithFusedRelu<T> : IDenseConfig where T : struct, IDenseConfig
{
    public static int InFeatures => T.InFeatures; public static int OutFeatures => T.OutFeatures; public static bool HasBias => T.HasBias;
    public static bool FusedRelu => true;
}

/// <summary>
/// A layer with a fused ReLU against the same layer followed by the ReLU kernel (the same bits: the fusion must not
/// change a single result) and against max(0, ·) of the double reference; its gradients must not change at all.
/// </summary>
internal static class FusedReluChecks
{
    public static void Convolution<T>(int batch) where T : struct, IConv2dConfig
    {
        var s = Conv2dShape.Of<T>();
        int seed = s.InSize * 7 + s.WeightSize + batch;
        float[] x = Ref.GemmRandom(batch * s.InSize, seed), w = Ref.GemmRandom(s.WeightSize, seed + 1);
        float[] b = Ref.GemmRandom(s.BiasSize, seed + 2), dy = Ref.GemmRandom(batch * s.OutSize, seed + 3);
        string what = $"{typeof(T).Name} batch {batch} width {Gemm.VectorWidth}";

        float[] separate = new float[batch * s.OutSize], expected = new float[separate.Length];
        Conv2d.Forward<T>(x, w, b, separate, batch, GemmTestScope.PoisonedWorkspace());
        Activations.Relu(separate, expected);
        float[] fused = Enumerable.Repeat(float.NaN, separate.Length).ToArray();
        Conv2d.Forward<WithFusedRelu<T>>(x, w, b, fused, batch, GemmTestScope.PoisonedWorkspace());
        AssertSameBits(expected, fused, what + " fused forward");
        AssertClipped(separate, what);
        double[] reference = Ref.Conv2dForward(s, Ref.GemmToDouble(x), Ref.GemmToDouble(w), Ref.GemmToDouble(b), batch);
        Ref.GemmAssertClose(reference.Select(v => Math.Max(v, 0)).ToArray(), fused, 1e-4, what + " fused forward");

        // The fused ReLU belongs to the forward pass only: the layer's gradients are the same bits.
        var plain = Gradients<T>(x, w, dy, batch, s);
        var withRelu = Gradients<WithFusedRelu<T>>(x, w, dy, batch, s);
        AssertSameBits(plain.Dx, withRelu.Dx, what + " dX");
        AssertSameBits(plain.Dw, withRelu.Dw, what + " dW");
        AssertSameBits(plain.Db, withRelu.Db, what + " dB");
    }

    private static (float[] Dx, float[] Dw, float[] Db) Gradients<T>(float[] x, float[] w, float[] dy, int batch, Conv2dShape s)
        where T : struct, IConv2dConfig
    {
        float[] dx = new float[batch * s.InSize], dw = new float[s.WeightSize], db = new float[s.BiasSize];
        Conv2d.Backward<T>(x, w, dy, dx, dw, db, batch, GemmTestScope.PoisonedWorkspace());
        return (dx, dw, db);
    }

    public static void Dense<T>(int batch) where T : struct, IDenseConfig
    {
        int inF = T.InFeatures, outF = T.OutFeatures, seed = inF * 13 + outF + batch;
        float[] x = Ref.GemmRandom(batch * inF, seed), w = Ref.GemmRandom(outF * inF, seed + 1);
        float[] b = Ref.GemmRandom(T.HasBias ? outF : 0, seed + 2);
        string what = $"{typeof(T).Name} batch {batch} width {Gemm.VectorWidth}";

        float[] separate = new float[batch * outF], expected = new float[separate.Length];
        AlexNet.Gen.Kernels.Dense.Forward<T>(x, w, b, separate, batch, GemmTestScope.PoisonedWorkspace());
        Activations.Relu(separate, expected);
        float[] fused = Enumerable.Repeat(float.NaN, separate.Length).ToArray();
        AlexNet.Gen.Kernels.Dense.Forward<DenseWithFusedRelu<T>>(x, w, b, fused, batch, GemmTestScope.PoisonedWorkspace());
        AssertSameBits(expected, fused, what + " fused forward");
        AssertClipped(separate, what);
        double[] reference = Ref.DenseForward(inF, outF, T.HasBias, Ref.GemmToDouble(x), Ref.GemmToDouble(w), Ref.GemmToDouble(b), batch);
        Ref.GemmAssertClose(reference.Select(v => Math.Max(v, 0)).ToArray(), fused, 1e-4, what + " fused forward");
    }

    public static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (the same bits)");
    }

    /// <summary>The data must exercise the ReLU: some outputs negative (clipped), some positive (but for a few tiny layers).</summary>
    private static void AssertClipped(float[] preActivation, string what)
    {
        if (preActivation.Length >= 8)
            Assert.True(preActivation.Any(v => v < 0) && preActivation.Any(v => v > 0), $"{what}: outputs of both signs expected");
    }
}
