using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlexNet.Gen.Parity.Kernels;

/// <summary>Dense.Forward / Backward against libtorch's linear and autograd.</summary>
public class DenseParityTests
{
    [Fact]
    public void Batch1_LargeLayer_ParallelGemv() => Check<Large>(1, 801);

    [Fact]
    public void Batch5_LargeLayer_Gemm() => Check<Large>(5, 802);

    [Fact]
    public void Batch7_SmallLayer_NoBias() => Check<SmallNoBias>(7, 803);

    [Fact]
    public void Batch1_SmallLayer_NoBias() => Check<SmallNoBias>(1, 804);

    private static void Check<T>(int batch, ulong seed) where T : struct, IDenseConfig
    {
        int inF = T.InFeatures, outF = T.OutFeatures;
        float scale = (float)Math.Sqrt(3.0 / inF);
        float[] x = TestData.Uniform(seed, batch * inF);
        float[] w = TestData.Uniform(seed + 1, outF * inF, -scale, scale);
        float[] b = T.HasBias ? TestData.Uniform(seed + 2, outF) : Array.Empty<float>();
        float[] dy = TestData.Uniform(seed + 3, batch * outF);

        var workspace = new Workspace();
        float[] y = TestData.NaNs(batch * outF);
        Dense.Forward<T>(x, w, b, y, batch, workspace);
        float[] dx = TestData.NaNs(batch * inF);
        float[] dw = TestData.NaNs(outF * inF);
        float[] db = T.HasBias ? TestData.NaNs(outF) : Array.Empty<float>();
        Dense.Backward<T>(x, w, dy, dx, dw, db, batch, workspace);

        using var scope = torch.NewDisposeScope();
        var xt = TorchRef.Double(x, new long[] { batch, inF }, requiresGrad: true);
        var wt = TorchRef.Double(w, new long[] { outF, inF }, requiresGrad: true);
        var bt = T.HasBias ? TorchRef.Double(b, new long[] { outF }, requiresGrad: true) : null;
        var yt = F.linear(xt, wt, bt);
        string name = $"{typeof(T).Name} batch {batch}";
        ParityAssert.AssertForward(y, TorchRef.Values(yt), name + " forward");
        TorchRef.Backward(yt, dy);
        ParityAssert.AssertGradient(dx, TorchRef.Gradient(xt), name + " input gradient");
        ParityAssert.AssertGradient(dw, TorchRef.Gradient(wt), name + " weight gradient");
        if (bt is not null)
            ParityAssert.AssertGradient(db, TorchRef.Gradient(bt), name + " bias gradient");
    }

    /// <summary>1152·256 weights: above the threshold where a batch-1 GEMV is split over threads.</summary>
    private struct Large : IDenseConfig
    {
        public static int InFeatures => 1152;
        public static int OutFeatures => 256;
        public static bool HasBias => true;
    }

    private struct SmallNoBias : IDenseConfig
    {
        public static int InFeatures => 100;
        public static int OutFeatures => 10;
        public static bool HasBias => false;
    }
}
