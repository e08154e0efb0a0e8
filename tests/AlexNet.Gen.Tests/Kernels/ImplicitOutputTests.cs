using System;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Xunit;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

/// <summary>
/// A lone sample's implicit-GEMM tiles written straight to the output by the AVX-512 kernel (bias and ReLU applied to the
/// accumulators, masked stores to one or two output rows per 32-column tile) against the output block and its scatter:
/// the same bits for every pixel, a tile crossing a row or the image's end, full 12-row panels, a 9–11-row last panel
/// (computed into scratch whole) and a short one (≤ 8 rows), a second row cut at OutWidth inside the tile, with and
/// without bias and a fused ReLU.
/// </summary>
public class ImplicitOutputTests
{
    /// <summary>AlexNet conv1's shape scaled down: 11×11 stride 4, planes exactly 32 wide; 30 channels: panels of 12, 12, 6.</summary>
    private struct Conv30 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 127; public static int InWidth => 125;
        public static int OutChannels => 30; public static int OutHeight => 30; public static int OutWidth => 30;
        public static int KernelHeight => 11; public static int KernelWidth => 11; public static int StrideHeight => 4; public static int StrideWidth => 4;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>21 channels (panels of 12 and 9), no bias, 41-column planes (39 columns + 2 garbage), 17 rows.</summary>
    private struct Conv21 : IConv2dConfig
    {
        public static int InChannels => 2; public static int InHeight => 75; public static int InWidth => 163;
        public static int OutChannels => 21; public static int OutHeight => 17; public static int OutWidth => 39;
        public static int KernelHeight => 11; public static int KernelWidth => 11; public static int StrideHeight => 4; public static int StrideWidth => 4;
        public static int PadTop => 1; public static int PadLeft => 3; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>11×11 stride 3: planes 33 wide for 30 output columns, so tile 1 starts at plane column 32 and its last
    /// column would be output column 30 of the next row (dropped); 13 channels (panels of 12 and 1).</summary>
    private struct Stride3 : IConv2dConfig
    {
        public static int InChannels => 3; public static int InHeight => 23; public static int InWidth => 98;
        public static int OutChannels => 13; public static int OutHeight => 5; public static int OutWidth => 30;
        public static int KernelHeight => 11; public static int KernelWidth => 11; public static int StrideHeight => 3; public static int StrideWidth => 3;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => true;
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(1, 3)]
    [InlineData(3, 2)] // three samples on two threads: each one's tiles split over both
    public void TilesWrittenToTheOutputMatchTheBlockPath(int batch, int threads) => GemmTestScope.WithWidth(16, () =>
        GemmTestScope.WithThreads(threads, () =>
        {
            Check<Conv30>(batch);
            Check<Conv21>(batch);
            Check<WithFusedRelu<Conv30>>(batch);
            Check<WithFusedRelu<Conv21>>(batch);
            Check<Stride3>(batch);
        }));

    private static void Check<T>(int batch) where T : struct, IConv2dConfig
    {
        var g = Conv2d.Geometry.Of<T>();
        Assert.True(Conv2d.UsesImplicitGemm(g));
        var s = Conv2dShape.Of<T>();
        int seed = s.InSize + s.WeightSize * 3 + batch;
        float[] x = Ref.GemmRandom(batch * s.InSize, seed), w = Ref.GemmRandom(s.WeightSize, seed + 1), b = Ref.GemmRandom(s.BiasSize, seed + 2);
        string what = $"{typeof(T).Name} batch {batch} on {StaticParallel.ThreadCount} threads";
        float[] Run(bool direct)
        {
            // NaN everywhere first: a pixel no tile writes would stay NaN.
            float[] y = Enumerable.Repeat(float.NaN, batch * s.OutSize).ToArray();
            bool saved = Conv2d.TilesToOutputEnabled;
            Conv2d.TilesToOutputEnabled = direct;
            try { Conv2d.Forward<T>(x, w, b, y, batch, GemmTestScope.PoisonedWorkspace()); }
            finally { Conv2d.TilesToOutputEnabled = saved; }
            return y;
        }
        float[] block = Run(direct: false), direct = Run(direct: true);
        GemmTestScope.AssertBitwiseEqual(block, direct, what);
        double[] expected = Ref.Conv2dForward(s, Ref.GemmToDouble(x), Ref.GemmToDouble(w), Ref.GemmToDouble(b), batch);
        if (T.FusedRelu) expected = expected.Select(v => Math.Max(v, 0)).ToArray();
        Ref.GemmAssertClose(expected, direct, 1e-4, what);
        // Where AVX-512 is there, the direct path is the one that ran.
        Assert.Equal(Avx512F.IsSupported, Conv2d.WritesTilesToOutput(g, batch));
    }
}
