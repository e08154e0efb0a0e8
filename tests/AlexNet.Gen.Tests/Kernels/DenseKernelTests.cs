using System;
using System.Collections.Generic;
using System.Linq;
using AlexNet.Gen.Kernels;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

[Collection(KernelStateCollection.Name)]
public class DenseKernelTests
{
    /// <summary>Odd sizes that leave vector tails and partial 4-row groups.</summary>
    private struct D1 : IDenseConfig
    {
        public static int InFeatures => 37; public static int OutFeatures => 13; public static bool HasBias => true;
    }

    /// <summary>Big enough for the GEMV and the GEMMs to run on both threads (640·400·5 ≥ 2^20).</summary>
    private struct D2 : IDenseConfig
    {
        public static int InFeatures => 643; public static int OutFeatures => 402; public static bool HasBias => true;
    }

    /// <summary>Shorter than any vector, no bias.</summary>
    private struct D3 : IDenseConfig
    {
        public static int InFeatures => 5; public static int OutFeatures => 3; public static bool HasBias => false;
    }

    /// <summary>A single input feature.</summary>
    private struct D4 : IDenseConfig
    {
        public static int InFeatures => 1; public static int OutFeatures => 6; public static bool HasBias => true;
    }

    /// <summary>Deeper than the row-streaming forward pass's K slice at batch 64 (2048 rows): two slices, the second partial.</summary>
    private struct D5 : IDenseConfig
    {
        public static int InFeatures => 2500; public static int OutFeatures => 11; public static bool HasBias => true;
    }

    private interface ICheck
    {
        void Run<T>() where T : struct, IDenseConfig;
    }

    private static readonly string[] Configs = { "D1", "D2", "D3", "D4" };

    private static void Dispatch(string config, ICheck check)
    {
        switch (config)
        {
            case "D1": check.Run<D1>(); break;
            case "D2": check.Run<D2>(); break;
            case "D3": check.Run<D3>(); break;
            case "D4": check.Run<D4>(); break;
            case "D5": check.Run<D5>(); break;
            default: throw new ArgumentException($"unknown config {config}");
        }
    }

    public static IEnumerable<object[]> ConfigBatchWidth() =>
        from c in Configs from batch in new[] { 1, 5, 37 } from width in GemmTestScope.Widths select new object[] { c, batch, width };

    private sealed record Data(int In, int Out, bool HasBias, int Batch, float[] X, float[] W, float[] B, float[] Dy)
    {
        public static Data For<T>(int batch) where T : struct, IDenseConfig
        {
            int seed = T.InFeatures * 101 + T.OutFeatures + batch;
            return new Data(T.InFeatures, T.OutFeatures, T.HasBias, batch, Ref.GemmRandom(batch * T.InFeatures, seed),
                Ref.GemmRandom(T.OutFeatures * T.InFeatures, seed + 1), Ref.GemmRandom(T.HasBias ? T.OutFeatures : 0, seed + 2),
                Ref.GemmRandom(batch * T.OutFeatures, seed + 3));
        }
    }

    [Theory]
    [MemberData(nameof(ConfigBatchWidth))]
    public void ForwardMatchesReference(string config, int batch, int width) =>
        GemmTestScope.WithWidth(width, () => Dispatch(config, new ForwardCheck(batch)));

    private sealed class ForwardCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IDenseConfig
        {
            var d = Data.For<T>(batch);
            float[] y = Enumerable.Repeat(float.NaN, batch * d.Out).ToArray();
            Dense.Forward<T>(d.X, d.W, d.B, y, batch, GemmTestScope.PoisonedWorkspace());
            double[] expected = Ref.DenseForward(d.In, d.Out, d.HasBias, Ref.GemmToDouble(d.X), Ref.GemmToDouble(d.W), Ref.GemmToDouble(d.B), batch);
            Ref.GemmAssertClose(expected, y, 1e-4, $"{typeof(T).Name} forward batch {batch} width {Gemm.VectorWidth}");
        }
    }

    /// <summary>A fused ReLU (dense → ReLU in a generated model): the GEMV (batch 1), the GEMM and row streaming (D5 at 64: two K slices).</summary>
    [Theory]
    [MemberData(nameof(ConfigBatchWidth))]
    [InlineData("D5", 64, 8)]
    [InlineData("D5", 1, 8)]
    public void FusedReluMatchesSeparateRelu(string config, int batch, int width) =>
        GemmTestScope.WithWidth(width, () => Dispatch(config, new FusedReluCheck(batch)));

    private sealed class FusedReluCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IDenseConfig => FusedReluChecks.Dense<T>(batch);
    }

    /// <summary>The row-streaming forward pass (AVX2 and AVX-512 widths: 6- and 12-row groups) over several K slices, on one and two threads.</summary>
    [Theory]
    [InlineData(8, 1)]
    [InlineData(8, 2)]
    [InlineData(16, 1)]
    [InlineData(16, 2)]
    public void ForwardOverSeveralSlicesMatchesReference(int width, int threads)
    {
        GemmTestScope.WithWidth(width, () =>
        {
            Assert.True(Gemm.RowSliceDepth(64, D5.InFeatures) < D5.InFeatures, "D5 should span several K slices at batch 64");
            // Row streaming needs AVX (its transposes); without it (DOTNET_EnableHWIntrinsic=0) the packed GEMM runs.
            Assert.Equal(System.Runtime.Intrinsics.X86.Avx.IsSupported, Gemm.UsesRowStreaming(D5.OutFeatures, 64, D5.InFeatures));
            GemmTestScope.WithThreads(threads, () => Dispatch("D5", new ForwardCheck(64)));
        });
    }

    [Theory]
    [MemberData(nameof(ConfigBatchWidth))]
    public void BackwardMatchesReference(string config, int batch, int width) =>
        GemmTestScope.WithWidth(width, () =>
        {
            Dispatch(config, new BackwardCheck(batch, firstLayer: false));
            Dispatch(config, new BackwardCheck(batch, firstLayer: true));
        });

    private sealed class BackwardCheck(int batch, bool firstLayer) : ICheck
    {
        public void Run<T>() where T : struct, IDenseConfig
        {
            var d = Data.For<T>(batch);
            float[] dx = firstLayer ? Array.Empty<float>() : Enumerable.Repeat(float.NaN, batch * d.In).ToArray();
            float[] dw = Enumerable.Repeat(float.NaN, d.Out * d.In).ToArray();
            float[] db = Enumerable.Repeat(float.NaN, d.B.Length).ToArray();
            Dense.Backward<T>(d.X, d.W, d.Dy, dx, dw, db, batch, GemmTestScope.PoisonedWorkspace());
            var (ex, ew, eb) = Ref.DenseBackward(d.In, d.Out, d.HasBias, Ref.GemmToDouble(d.X), Ref.GemmToDouble(d.W), Ref.GemmToDouble(d.Dy), batch);
            string what = $"{typeof(T).Name} backward batch {batch} width {Gemm.VectorWidth}";
            if (!firstLayer) Ref.GemmAssertClose(ex, dx, 1e-4, what + " dX");
            Ref.GemmAssertClose(ew, dw, 1e-4, what + " dW");
            Ref.GemmAssertClose(eb, db, 1e-4, what + " dB");
        }
    }

    [Theory]
    [InlineData("D1", 3)]
    [InlineData("D3", 2)]
    [InlineData("D4", 4)]
    public void ReferenceBackwardMatchesFiniteDifferences(string config, int batch) => Dispatch(config, new FiniteDifferenceCheck(batch));

    private sealed class FiniteDifferenceCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IDenseConfig
        {
            var d = Data.For<T>(batch);
            double[] x = Ref.GemmToDouble(d.X), w = Ref.GemmToDouble(d.W), b = Ref.GemmToDouble(d.B), dy = Ref.GemmToDouble(d.Dy);
            var (dx, dw, db) = Ref.DenseBackward(d.In, d.Out, d.HasBias, x, w, dy, batch);
            string name = typeof(T).Name;
            Ref.Conv2dCheckFiniteDifference(v => Ref.DenseForward(d.In, d.Out, d.HasBias, v, w, b, batch), x, dy, dx, 60, name + " dX");
            Ref.Conv2dCheckFiniteDifference(v => Ref.DenseForward(d.In, d.Out, d.HasBias, x, v, b, batch), w, dy, dw, 60, name + " dW");
            if (d.HasBias)
                Ref.Conv2dCheckFiniteDifference(v => Ref.DenseForward(d.In, d.Out, d.HasBias, x, w, v, batch), b, dy, db, 60, name + " dB");
        }
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(5, 8)]
    [InlineData(37, 8)]
    [InlineData(1, 1)]
    [InlineData(5, 16)]
    [InlineData(1, 16)]
    public void ResultsAreIdenticalForOneAndTwoThreads(int batch, int width) =>
        GemmTestScope.WithWidth(width, () => Dispatch("D2", new ThreadInvarianceCheck(batch)));

    private sealed class ThreadInvarianceCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IDenseConfig
        {
            long work = (long)T.InFeatures * T.OutFeatures;
            Assert.True(batch == 1 ? work >= Dense.GemvParallelThreshold : batch * work >= Gemm.ParallelThreshold, "problem too small to run in parallel");
            var d = Data.For<T>(batch);
            var one = Compute<T>(d, 1);
            var two = Compute<T>(d, 2);
            GemmTestScope.AssertBitwiseEqual(one.Y, two.Y, "forward");
            GemmTestScope.AssertBitwiseEqual(one.Dx, two.Dx, "dX");
            GemmTestScope.AssertBitwiseEqual(one.Dw, two.Dw, "dW");
            GemmTestScope.AssertBitwiseEqual(one.Db, two.Db, "dB");
            double[] ey = Ref.DenseForward(d.In, d.Out, d.HasBias, Ref.GemmToDouble(d.X), Ref.GemmToDouble(d.W), Ref.GemmToDouble(d.B), batch);
            Ref.GemmAssertClose(ey, two.Y, 1e-4, "parallel forward");
            var (ex, _, _) = Ref.DenseBackward(d.In, d.Out, d.HasBias, Ref.GemmToDouble(d.X), Ref.GemmToDouble(d.W), Ref.GemmToDouble(d.Dy), batch);
            Ref.GemmAssertClose(ex, two.Dx, 1e-4, "parallel dX");
        }

        private (float[] Y, float[] Dx, float[] Dw, float[] Db) Compute<T>(Data d, int threads) where T : struct, IDenseConfig
        {
            float[] y = new float[batch * d.Out], dx = new float[batch * d.In], dw = new float[d.Out * d.In], db = new float[d.B.Length];
            GemmTestScope.WithThreads(threads, () =>
            {
                var ws = new Workspace();
                Dense.Forward<T>(d.X, d.W, d.B, y, batch, ws);
                Dense.Backward<T>(d.X, d.W, d.Dy, dx, dw, db, batch, ws);
            });
            return (y, dx, dw, db);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(5, 2)]
    public void RepeatedCallsDoNotAllocate(int batch, int threads) =>
        GemmTestScope.WithThreads(threads, () => Dispatch("D2", new AllocationCheck(batch)));

    private sealed class AllocationCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IDenseConfig
        {
            var d = Data.For<T>(batch);
            float[] y = new float[batch * d.Out], dx = new float[batch * d.In], dw = new float[d.Out * d.In], db = new float[d.B.Length];
            var ws = new Workspace();
            Assert.Equal(0, KernelThreadAllocations.Of(() => Dense.Forward<T>(d.X, d.W, d.B, y, batch, ws)));
            Assert.Equal(0, KernelThreadAllocations.Of(() => Dense.Backward<T>(d.X, d.W, d.Dy, dx, dw, db, batch, ws)));
        }
    }

    [Fact]
    public void RejectsWrongLengthsWithClearMessages()
    {
        var ws = new Workspace();
        float[] x = new float[2 * 37], w = new float[13 * 37], b = new float[13], y = new float[2 * 13];
        var e = Assert.Throws<ArgumentException>(() => Dense.Forward<D1>(x.AsSpan(1), w, b, y, 2, ws));
        Assert.Contains("dense input has 73 floats but batch 2 × 37 needs 74", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dense.Forward<D1>(x, w.AsSpan(1), b, y, 2, ws));
        Assert.Contains("dense weight has 480 floats but 13×37 needs 481", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dense.Forward<D1>(x, w, b.AsSpan(1), y, 2, ws));
        Assert.Contains("dense bias has 12 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dense.Forward<D1>(x, w, b, y.AsSpan(1), 2, ws));
        Assert.Contains("dense output has 25 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dense.Forward<D3>(new float[5], new float[15], new float[3], new float[3], 1, ws));
        Assert.Contains("must be empty", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dense.Backward<D1>(x, w, y, x.AsSpan(3), new float[w.Length], new float[13], 2, ws));
        Assert.Contains("dense input gradient has 71 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dense.Backward<D1>(x, w, y.AsSpan(1), x.ToArray(), new float[w.Length], new float[13], 2, ws));
        Assert.Contains("dense output gradient has 25 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dense.Backward<D1>(x, w, y, x.ToArray(), new float[w.Length], new float[14], 2, ws));
        Assert.Contains("dense biasGradient has 14 floats", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dense.Forward<D1>(x, w, b, y, -2, ws));
    }

    [Fact]
    public void EmptyBatchClearsParameterGradients()
    {
        float[] dw = Enumerable.Repeat(1f, 13 * 37).ToArray(), db = Enumerable.Repeat(1f, 13).ToArray();
        Dense.Backward<D1>(Array.Empty<float>(), new float[13 * 37], Array.Empty<float>(), Span<float>.Empty, dw, db, 0, new Workspace());
        Assert.All(dw, v => Assert.Equal(0f, v));
        Assert.All(db, v => Assert.Equal(0f, v));
    }
}
