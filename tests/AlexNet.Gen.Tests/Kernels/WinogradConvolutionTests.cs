using System;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Ref = AlexNet.Gen.Tests.Reference.Reference;

namespace AlexNet.Gen.Tests.Kernels;

/// <summary>
/// The Winograd F(4×4, 3×3), F(2×2, 3×3) and F(2×2, 5×5) paths of 3×3 and 5×5 stride-1 convolutions (forward and input gradient) against the double
/// reference: odd sizes (partial edge tiles), paddings 0–2 and TensorFlow SAME, groups, bias on and off, several
/// Winograd blocks per lane, one and two threads. The channel threshold is lowered to 16 so small shapes take the path.
/// </summary>
[Collection(KernelStateCollection.Name)]
public sealed class WinogradConvolutionTests : IDisposable
{
    private readonly int _savedMinChannels = Conv2d.WinogradMinChannels, _savedMinChannels5 = Conv2d.Winograd5MinChannels;
    private readonly int _savedWeightGradientMinChannels = Conv2d.WinogradWeightGradientMinChannels;

    public WinogradConvolutionTests()
    {
        Conv2d.WinogradMinChannels = 16;
        Conv2d.WinogradWeightGradientMinChannels = 16;
        Conv2d.Winograd5MinChannels = 16;
    }

    public void Dispose()
    {
        Conv2d.WinogradMinChannels = _savedMinChannels;
        Conv2d.WinogradWeightGradientMinChannels = _savedWeightGradientMinChannels;
        Conv2d.Winograd5MinChannels = _savedMinChannels5;
    }

    /// <summary>16 → 24 channels, pad 1, odd non-square image.</summary>
    private struct W1 : IConv2dConfig
    {
        public static int InChannels => 16; public static int InHeight => 11; public static int InWidth => 13;
        public static int OutChannels => 24; public static int OutHeight => 11; public static int OutWidth => 13;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>32 → 16, no padding (valid), no bias.</summary>
    private struct W2 : IConv2dConfig
    {
        public static int InChannels => 32; public static int InHeight => 9; public static int InWidth => 8;
        public static int OutChannels => 16; public static int OutHeight => 7; public static int OutWidth => 6;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>Two groups of 16 → 20, padding 2 (output larger than the input).</summary>
    private struct W3 : IConv2dConfig
    {
        public static int InChannels => 32; public static int InHeight => 6; public static int InWidth => 7;
        public static int OutChannels => 40; public static int OutHeight => 8; public static int OutWidth => 9;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 2; public static bool HasBias => true;
    }

    /// <summary>Asymmetric padding: top 0 (bottom 1 implied), left 1 and right 1; 7 rows of output from 8.</summary>
    private struct W4 : IConv2dConfig
    {
        public static int InChannels => 24; public static int InHeight => 8; public static int InWidth => 9;
        public static int OutChannels => 16; public static int OutHeight => 7; public static int OutWidth => 9;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>19 → 21: channel counts off the 8-channel blocks of the weight gradient's transposed operand (dM, the
    /// operand with more channels), whose last block holds 5 channels and whose padded panel columns 24–31 are zero.</summary>
    private struct W5 : IConv2dConfig
    {
        public static int InChannels => 19; public static int InHeight => 9; public static int InWidth => 10;
        public static int OutChannels => 21; public static int OutHeight => 9; public static int OutWidth => 10;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>22 → 17: the transposed operand is V (more input channels), last block of 6 channels.</summary>
    private struct W6 : IConv2dConfig
    {
        public static int InChannels => 22; public static int InHeight => 8; public static int InWidth => 11;
        public static int OutChannels => 17; public static int OutHeight => 8; public static int OutWidth => 11;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>16 → 16 on a 27×26 map: rows too wide for the narrow padded copies (F(4×4, 3×3): 7 tiles of 4 plus the
    /// patch's overhang, 36 padded floats per row), the last tile row and column partial.</summary>
    private struct W7 : IConv2dConfig
    {
        public static int InChannels => 16; public static int InHeight => 27; public static int InWidth => 26;
        public static int OutChannels => 16; public static int OutHeight => 27; public static int OutWidth => 26;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>16 → 24 on a 5×3 map: one 4×4 tile (two 2×2 tiles) per row of tiles, so 8 tiles span 8 (4) tile rows and
    /// gather from the input.</summary>
    private struct W8 : IConv2dConfig
    {
        public static int InChannels => 16; public static int InHeight => 5; public static int InWidth => 3;
        public static int OutChannels => 24; public static int OutHeight => 5; public static int OutWidth => 3;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>16 → 16 on a 6×2 map: 2×2 tiles (fewer multiplies than 4×4 here), one per row of tiles: gathers.</summary>
    private struct W9 : IConv2dConfig
    {
        public static int InChannels => 16; public static int InHeight => 6; public static int InWidth => 2;
        public static int OutChannels => 16; public static int OutHeight => 6; public static int OutWidth => 2;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>5×5 (F(2×2, 5×5)): 16 → 24, pad 2 (same size), odd non-square image.</summary>
    private struct V1 : IConv2dConfig
    {
        public static int InChannels => 16; public static int InHeight => 11; public static int InWidth => 13;
        public static int OutChannels => 24; public static int OutHeight => 11; public static int OutWidth => 13;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>5×5, two groups of 16, no padding, no bias.</summary>
    private struct V2 : IConv2dConfig
    {
        public static int InChannels => 32; public static int InHeight => 12; public static int InWidth => 10;
        public static int OutChannels => 32; public static int OutHeight => 8; public static int OutWidth => 6;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 2; public static bool HasBias => false;
    }

    /// <summary>5×5, asymmetric padding: top 1 (bottom 1 implied), left 2 (right 2), 20 → 16.</summary>
    private struct V3 : IConv2dConfig
    {
        public static int InChannels => 20; public static int InHeight => 11; public static int InWidth => 9;
        public static int OutChannels => 16; public static int OutHeight => 9; public static int OutWidth => 9;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>5×5, 17 → 19 (odd: the paired input transform's last channel goes alone) on a 14×15 map whose tile groups
    /// never gather, so the packed order runs the pairs in the forward pass (17 channels) and the input gradient (19).</summary>
    private struct V4 : IConv2dConfig
    {
        public static int InChannels => 17; public static int InHeight => 14; public static int InWidth => 15;
        public static int OutChannels => 19; public static int OutHeight => 14; public static int OutWidth => 15;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>5×5 on a 27×25 map (torchvision conv2's height), 16 → 24, pad 2: F(4×4, 5×5)'s padded rows (7 tiles
    /// wide, 4 phases of 9 floats) go through the wide-row copy, and F(2×2, 5×5)'s 14 tiles a row run 8-tile groups
    /// that wrap rows.</summary>
    private struct V5 : IConv2dConfig
    {
        public static int InChannels => 16; public static int InHeight => 27; public static int InWidth => 25;
        public static int OutChannels => 24; public static int OutHeight => 27; public static int OutWidth => 25;
        public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 2; public static int PadLeft => 2; public static int Groups => 1; public static bool HasBias => true;
    }

    /// <summary>3×3, 17 → 19 on a 17×18 map: as <see cref="V4"/> for F(4×4, 3×3)'s 6×6 patches.</summary>
    private struct W10 : IConv2dConfig
    {
        public static int InChannels => 17; public static int InHeight => 17; public static int InWidth => 18;
        public static int OutChannels => 19; public static int OutHeight => 17; public static int OutWidth => 18;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 1; public static int PadLeft => 1; public static int Groups => 1; public static bool HasBias => false;
    }

    /// <summary>32 → 16, no padding, an even output height (8 × 7 from 10 × 9): the padded copy's last row of a channel holds
    /// input, and its row store's overhang reaches the next channel's first row (input too), which the other thread fills
    /// when a batch-1 block splits the input transform by channel.</summary>
    private struct W11 : IConv2dConfig
    {
        public static int InChannels => 32; public static int InHeight => 10; public static int InWidth => 9;
        public static int OutChannels => 16; public static int OutHeight => 8; public static int OutWidth => 7;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PadTop => 0; public static int PadLeft => 0; public static int Groups => 1; public static bool HasBias => true;
    }

    private interface ICheck
    {
        void Run<T>() where T : struct, IConv2dConfig;
    }

    private static void Dispatch(string config, ICheck check)
    {
        switch (config)
        {
            case "W1": check.Run<W1>(); break;
            case "W2": check.Run<W2>(); break;
            case "W3": check.Run<W3>(); break;
            case "W4": check.Run<W4>(); break;
            case "W5": check.Run<W5>(); break;
            case "W6": check.Run<W6>(); break;
            case "W7": check.Run<W7>(); break;
            case "W8": check.Run<W8>(); break;
            case "W9": check.Run<W9>(); break;
            case "V1": check.Run<V1>(); break;
            case "V2": check.Run<V2>(); break;
            case "V3": check.Run<V3>(); break;
            case "V4": check.Run<V4>(); break;
            case "V5": check.Run<V5>(); break;
            case "W10": check.Run<W10>(); break;
            case "W11": check.Run<W11>(); break;
            default: throw new ArgumentException($"unknown config {config}");
        }
    }

    /// <summary>Each config, batch and panel width, on 4×4 output tiles (F(4×4, 3×3), F(4×4, 5×5): true) and on 2×2. Batches 1
    /// and 3 do not split into whole samples per thread: their forward pass splits each step of a block over the threads.</summary>
    public static TheoryData<string, int, int, bool> Cases()
    {
        var data = new TheoryData<string, int, int, bool>();
        foreach (string config in new[] { "W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11", "V1", "V2", "V3", "V4", "V5" })
            foreach (int batch in new[] { 1, 3, 4, 9 })
                foreach (int width in new[] { 8, 16 })
                    foreach (bool tile4 in config != "W9" ? new[] { true, false } : new[] { false })
                        data.Add(config, batch, width, tile4);
        // 40 samples of W4 (20 tiles each): 20 per lane, over the Winograd block of 16 samples, so a lane runs two blocks.
        data.Add("W4", 40, 8, false);
        data.Add("W4", 40, 8, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndInputGradientMatchReference(string config, int batch, int width, bool tile4) =>
        GemmTestScope.WithWidth(width, () => WithTile4(tile4, () => Dispatch(config, new ReferenceCheck(batch, tile4 ? 4 : 2))));

    /// <summary>A fused ReLU in the Winograd output transforms (F(4×4), F(2×2), 5×5); the input gradient must ignore it.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedReluMatchesSeparateRelu(string config, int batch, int width, bool tile4) =>
        GemmTestScope.WithWidth(width, () => WithTile4(tile4, () => Dispatch(config, new FusedReluCheck(batch))));

    private sealed class FusedReluCheck(int batch) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            if (Avx2.IsSupported) Assert.True(Conv2d.UsesWinogradForward(Conv2d.Geometry.Of<WithFusedRelu<T>>()));
            FusedReluChecks.Convolution<T>(batch);
        }
    }

    /// <summary>Runs <paramref name="action"/> with every 3×3 layer on F(4×4, 3×3) or on F(2×2, 3×3) (null: chosen per layer and batch).</summary>
    private static void WithTile4(bool? enabled, Action action)
    {
        bool? saved = Conv2d.Winograd4x4;
        try
        {
            Conv2d.Winograd4x4 = enabled;
            action();
        }
        finally
        {
            Conv2d.Winograd4x4 = saved;
        }
    }

    /// <summary>The double reference check; <paramref name="tile"/>: the forward tile size the layer must take (0: any).</summary>
    private sealed class ReferenceCheck(int batch, int tile = 0) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            var g = Conv2d.Geometry.Of<T>();
            // Below WinogradMinBatch only the forward pass (its weights kept across calls) takes Winograd.
            bool backward = batch >= Conv2d.WinogradMinBatch;
            if (Avx2.IsSupported)
                Assert.True(Conv2d.UsesWinogradForward(g) && (!backward || Conv2d.UsesWinograd(g, batch) && Conv2d.UsesWinogradWeightGradient(g, batch)),
                    $"{typeof(T).Name} should take the Winograd path");
            if (tile != 0)
            {
                Assert.Equal(tile, Conv2d.ForwardPlan(g, batch).Tile);
                if (backward) Assert.Equal(tile, Conv2d.InputGradientPlan(g, batch).Tile);
            }
            var s = Conv2dShape.Of<T>();
            int seed = s.InSize + batch;
            float[] x = Ref.GemmRandom(batch * s.InSize, seed), w = Ref.GemmRandom(s.WeightSize, seed + 1);
            float[] b = Ref.GemmRandom(s.BiasSize, seed + 2), dy = Ref.GemmRandom(batch * s.OutSize, seed + 3);
            float[] y = Enumerable.Repeat(float.NaN, batch * s.OutSize).ToArray();
            float[] dx = Enumerable.Repeat(float.NaN, batch * s.InSize).ToArray();
            float[] dw = new float[s.WeightSize], db = new float[s.BiasSize];
            var ws = GemmTestScope.PoisonedWorkspace();
            Conv2d.Forward<T>(x, w, b, y, batch, ws);
            Conv2d.Backward<T>(x, w, dy, dx, dw, db, batch, ws);
            string what = $"{typeof(T).Name} batch {batch} width {Gemm.VectorWidth}";
            double[] expected = Ref.Conv2dForward(s, Ref.GemmToDouble(x), Ref.GemmToDouble(w), Ref.GemmToDouble(b), batch);
            Ref.GemmAssertClose(expected, y, 1e-4, what + " forward");
            var (ex, ew, eb) = Ref.Conv2dBackward(s, Ref.GemmToDouble(x), Ref.GemmToDouble(w), Ref.GemmToDouble(dy), batch);
            Ref.GemmAssertClose(ex, dx, 1e-4, what + " dX");
            Ref.GemmAssertClose(ew, dw, 1e-4, what + " dW");
            Ref.GemmAssertClose(eb, db, 1e-4, what + " dB");
        }
    }

    /// <summary>
    /// The weight gradient's transposed operand with a GEMM slice depth of 12 (a test override), so that K slices end
    /// inside 8-tile groups and the transposed blocks are stored row by row: both orientations (W1, W6) and 5×5 (V3).
    /// </summary>
    [Theory]
    [InlineData("W1")]
    [InlineData("W6")]
    [InlineData("V3")]
    public void WeightGradientWithSlicesEndingInsideTileGroupsMatchesReference(string config)
    {
        int saved = Gemm.ForceBlockK;
        try
        {
            Gemm.ForceBlockK = 12;
            Dispatch(config, new ReferenceCheck(5));
        }
        finally
        {
            Gemm.ForceBlockK = saved;
        }
    }

    /// <summary>A first layer (no input gradient) still takes its weight gradient through the Winograd transforms.</summary>
    [Theory]
    [InlineData("W1")]
    [InlineData("V3")]
    public void WeightGradientWithoutInputGradientMatchesReference(string config) => Dispatch(config, new FirstLayerCheck());

    private sealed class FirstLayerCheck : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            const int batch = 6;
            var s = Conv2dShape.Of<T>();
            float[] x = Ref.GemmRandom(batch * s.InSize, 21), w = Ref.GemmRandom(s.WeightSize, 22);
            float[] dy = Ref.GemmRandom(batch * s.OutSize, 23);
            float[] dw = Enumerable.Repeat(float.NaN, s.WeightSize).ToArray(), db = new float[s.BiasSize];
            Conv2d.Backward<T>(x, w, dy, Span<float>.Empty, dw, db, batch, GemmTestScope.PoisonedWorkspace());
            var (_, ew, eb) = Ref.Conv2dBackward(s, Ref.GemmToDouble(x), Ref.GemmToDouble(w), Ref.GemmToDouble(dy), batch);
            Ref.GemmAssertClose(ew, dw, 1e-4, typeof(T).Name + " dW without dX");
            Ref.GemmAssertClose(eb, db, 1e-4, typeof(T).Name + " dB without dX");
        }
    }

    /// <summary>
    /// On 2 threads each lane's scratch lies one <see cref="Conv2d.LaneStride"/> (its size + 1 MB) from the next, and a
    /// region the pass does not use gets no gap: a backward pass on Winograd (input and weight gradients) leaves the
    /// im2col columns and column gradients empty, as on 1 thread. The input gradient's flipped weights, packed in one
    /// pass, are built by each lane for itself.
    /// </summary>
    [Fact]
    public void LanesScratchIsOneLaneStrideApartAndUnusedRegionsStayEmpty()
    {
        Assert.Equal(0, Conv2d.LaneStride(0, 2));
        Assert.Equal(1000, Conv2d.LaneStride(1000, 1));
        Assert.Equal(1000 + (1 << 18), Conv2d.LaneStride(1000, 2));
        const int batch = 8;
        var s = Conv2dShape.Of<W1>();
        float[] x = Ref.GemmRandom(batch * s.InSize, 31), w = Ref.GemmRandom(s.WeightSize, 32), dy = Ref.GemmRandom(batch * s.OutSize, 33);
        float[] dx = new float[batch * s.InSize], dw = new float[s.WeightSize], db = new float[s.BiasSize];
        foreach (int threads in new[] { 1, 2 })
        {
            var workspace = new Workspace();
            GemmTestScope.WithThreads(threads, () => Conv2d.Backward<W1>(x, w, dy, dx, dw, db, batch, workspace));
            var g = Conv2d.Geometry.Of<W1>();
            if (!Conv2d.UsesWinograd(g, batch) || !Conv2d.UsesWinogradWeightGradient(g, batch))
            {
                // No AVX2 (the scalar run): im2col and col2im, and no Winograd products.
                Assert.True(workspace.Capacity(Gemm.SlotWinogradProducts) <= 1, $"{threads} threads: Winograd products allocated");
                continue;
            }
            Assert.True(workspace.Capacity(Gemm.SlotColumns) <= 1, $"{threads} threads: im2col columns allocated");
            Assert.True(workspace.Capacity(Gemm.SlotColumnGradient) <= 1, $"{threads} threads: column gradients allocated");
            var plan = Conv2d.InputGradientPlan(g, batch);
            Assert.Equal(threads * Conv2d.LaneStride(plan.Products, threads), workspace.Capacity(Gemm.SlotWinogradProducts));
            // Packed in one pass, the flipped weights are each lane's own on two threads (one copy on one thread).
            var gt = Conv2d.InputGradientGeometry(g);
            int packed = Conv2d.PackedTransformedWeightsSize(gt, plan);
            if (Conv2d.PacksWeightPanelsDirectly(gt))
                Assert.Equal(threads == 1 ? packed : threads * Conv2d.LaneStride(packed, threads), workspace.Capacity(Gemm.SlotWinogradPackedWeights));
        }
    }

    /// <summary>Samples split over lanes (batch 4, 6) and a single lane splitting its GEMMs give the same bits.</summary>
    [Theory]
    [InlineData("W1", 4)]
    [InlineData("W3", 6)]
    [InlineData("W4", 5)]
    [InlineData("V1", 4)]
    [InlineData("V2", 5)]
    [InlineData("W5", 7)]
    [InlineData("W6", 3)]
    [InlineData("W7", 5)]
    [InlineData("W7", 1)]
    [InlineData("W10", 3)]
    [InlineData("V4", 1)]
    [InlineData("V2", 3)]
    public void ResultsAreIdenticalForOneAndTwoThreads(string config, int batch)
    {
        var threads = new SameBitsCheck(batch, (two, compute) => GemmTestScope.WithThreads(two ? 2 : 1, compute));
        WithTile4(true, () => Dispatch(config, threads));
        WithTile4(false, () => Dispatch(config, threads));
    }

    /// <summary>
    /// With the tile size chosen automatically, one, two and three threads give the same bits. W1 (11×13) costs least on
    /// F(2×2, 3×3) for one sample per lane and on F(4×4, 3×3) for two, so a choice from each lane's samples would put batch 2
    /// on F(4×4) on one thread and on F(2×2) on two (it did: torchvision's 13×13 layers gave other outputs at batch 2 and 3
    /// on two threads than on one). The tile comes from the batch, and a batch whose lanes' shares would choose another
    /// tile is not split by sample; batch 6 also runs the input gradient on Winograd.
    /// </summary>
    [Theory]
    [InlineData("W1", 2)]
    [InlineData("W1", 6)]
    [InlineData("W7", 3)]
    public void AutomaticTileIsTheSameOnAnyThreadCount(string config, int batch) => GemmTestScope.WithWidth(16, () =>
    {
        var w1 = Conv2d.Geometry.Of<W1>();
        Assert.Equal(2, Conv2d.ForwardTile(w1, 1));
        Assert.Equal(4, Conv2d.ForwardTile(w1, 2));
        // Batch 2 on two threads: one block of both samples (a sample per lane would fill half a panel on F(4×4)).
        GemmTestScope.WithThreads(2, () =>
        {
            var plan = Conv2d.ForwardPlan(w1, 2);
            Assert.Equal((4, 2), (plan.Tile, plan.Block));
        });
        foreach (int threads in new[] { 2, 3 })
        {
            var check = new SameBitsCheck(batch, (other, compute) => GemmTestScope.WithThreads(other ? threads : 1, compute));
            WithTile4(null, () => Dispatch(config, check));
        }
    });

    /// <summary>
    /// The forward pass keeps a layer's packed transformed weights across calls: the same weights build them once; a weight
    /// changed in place (first element, last element) and another SIMD width rebuild them; each tile size (batch 1: F(2×2),
    /// batch 9: F(4×4)) keeps its own until a weight changes. Every output matches the double reference and, bit for bit,
    /// a fresh workspace's.
    /// </summary>
    [Fact]
    public void ForwardKeepsTransformedWeightsUntilTheyChange()
    {
        var s = Conv2dShape.Of<W1>();
        float[] x = Ref.GemmRandom(9 * s.InSize, 21), w = Ref.GemmRandom(s.WeightSize, 22), b = Ref.GemmRandom(s.BiasSize, 23);
        var ws = new Workspace();
        int builds = 0;
        float[] Run(int batch, Workspace workspace)
        {
            var y = new float[batch * s.OutSize];
            Conv2d.Forward<W1>(x.AsSpan(0, batch * s.InSize), w, b, y, batch, workspace);
            return y;
        }
        float[] Check(int batch, bool rebuilds, string what)
        {
            float[] y = Run(batch, ws);
            double[] expected = Ref.Conv2dForward(s, Ref.GemmToDouble(x.AsSpan(0, batch * s.InSize)), Ref.GemmToDouble(w), Ref.GemmToDouble(b), batch);
            Ref.GemmAssertClose(expected, y, 1e-4, what);
            GemmTestScope.AssertBitwiseEqual(Run(batch, new Workspace()), y, what + " against a fresh workspace");
            // Without AVX2 (the scalar test run) the layer stays on im2col and keeps nothing.
            if (Avx2.IsSupported && rebuilds) builds++;
            Assert.Equal(builds, Conv2d.PackedWinogradBuilds<W1>(ws));
            return y;
        }
        GemmTestScope.WithWidth(16, () =>
        {
            Assert.Equal(2, Conv2d.ForwardPlan(Conv2d.Geometry.Of<W1>(), 1).Tile);
            float[] first = Check(1, rebuilds: true, "first call");
            GemmTestScope.AssertBitwiseEqual(first, Check(1, rebuilds: false, "same weights"), "same weights");
            w[0] += 0.25f;
            float[] changed = Check(1, rebuilds: true, "first weight changed in place");
            Assert.Contains(Enumerable.Range(0, first.Length), i => first[i] != changed[i]);
            w[^1] -= 0.5f;
            Check(1, rebuilds: true, "last weight changed in place");
            Check(1, rebuilds: false, "unchanged again");
            Assert.Equal(4, Conv2d.ForwardPlan(Conv2d.Geometry.Of<W1>(), 9).Tile);
            Check(9, rebuilds: true, "batch 9 on F(4×4, 3×3)");
            Check(9, rebuilds: false, "batch 9 again");
            Check(1, rebuilds: false, "batch 1 keeps its F(2×2, 3×3) weights");
            w[7] *= -1f;
            Check(9, rebuilds: true, "batch 9 after a change");
            Check(1, rebuilds: true, "batch 1 after the same change");
            Check(9, rebuilds: false, "batch 9 once more");
        });
        GemmTestScope.WithWidth(8, () => Check(9, rebuilds: true, "Vector256 panels"));
    }

    /// <summary>
    /// F(4×4, 3×3) or F(2×2, 3×3) by the GEMM columns a sample costs, padding to whole panels included (counted here by
    /// hand): one 13×13 sample has 16 tiles of 4×4 (half a 32-column panel: 36·32 = 1,152) against 49 of 2×2 (two panels:
    /// 16·64 = 1,024); with 16-column panels 36·16 = 576 wins. Blocks of 16 samples: 36·256 against 16·416 per 8 samples
    /// (F(2×2)'s 392-tile blocks) on 13×13; 7×7, one sample: 4 tiles → 32 columns (1,152) against 16 → 32 (512).
    /// </summary>
    [Theory]
    [InlineData(16, 13, 1, 2)]
    [InlineData(8, 13, 1, 4)]
    [InlineData(16, 13, 16, 4)]
    [InlineData(16, 7, 1, 2)]
    [InlineData(16, 7, 16, 4)]
    public void ForwardTileCountsThePanelPadding(int width, int size, int perLane, int expected) =>
        GemmTestScope.WithWidth(width, () =>
            Assert.Equal(expected, Conv2d.ForwardTile(new Conv2d.Geometry(192, size, size, 384, size, size, 3, 3, 1, 1, 1, 1, 1, true), perLane)));

    /// <summary>The 6×6 input transform two channels per Vector512 and one per Vector256 give the same bits (forced either
    /// way, so in software Vector512 where the hardware has none).</summary>
    [Theory]
    [InlineData("W10", 5)]
    [InlineData("W7", 4)]
    [InlineData("V4", 5)]
    [InlineData("V1", 4)]
    public void PairedInputTransformGivesTheSameBits(string config, int batch)
    {
        bool? saved = Conv2d.PairedInputTransforms;
        try
        {
            var pairs = new SameBitsCheck(batch, (on, compute) => { Conv2d.PairedInputTransforms = on; compute(); }, expectWinograd: true);
            WithTile4(true, () => Dispatch(config, pairs));
        }
        finally
        {
            Conv2d.PairedInputTransforms = saved;
        }
    }

    /// <summary>8 tiles in two runs of four (maps 4 tiles wide: W11's 7-wide output, W2's 8-wide input gradient, on 2×2
    /// tiles) read by two 128-bit loads or by two masked loads give the same bits.</summary>
    [Theory]
    [InlineData("W11", 4)]
    [InlineData("W11", 6)]
    [InlineData("W2", 5)]
    public void HalfRowLoadsGiveTheSameBits(string config, int batch)
    {
        bool saved = Conv2d.HalfLoads;
        try
        {
            var loads = new SameBitsCheck(batch, (on, compute) => { Conv2d.HalfLoads = on; compute(); }, expectWinograd: true);
            WithTile4(false, () => Dispatch(config, loads));
        }
        finally
        {
            Conv2d.HalfLoads = saved;
        }
    }

    /// <summary>The input gradient's flipped transformed weights packed whole once or packed by each GEMM as it goes (over
    /// <see cref="Conv2d.WholePackedWeightsLimit"/>) give the same bits.</summary>
    [Theory]
    [InlineData("W1", 5)]
    [InlineData("W3", 6)]
    [InlineData("V1", 4)]
    [InlineData("W10", 5)]
    public void InputGradientWeightsPackedWholeOrPerGemmGiveTheSameBits(string config, int batch)
    {
        int saved = Conv2d.WholePackedWeightsLimit;
        try
        {
            var packing = new SameBitsCheck(batch, (whole, compute) =>
            {
                Conv2d.WholePackedWeightsLimit = whole ? int.MaxValue : 0;
                compute();
            }, expectWinograd: true);
            WithTile4(true, () => Dispatch(config, packing));
            WithTile4(false, () => Dispatch(config, packing));
        }
        finally
        {
            Conv2d.WholePackedWeightsLimit = saved;
        }
    }

    /// <summary>
    /// Forward, dX, dW and dB computed under two variants (<paramref name="variant"/> runs the computation with its flag
    /// false, then true: one thread and two, pairs off and on) are bitwise equal. With <paramref name="expectWinograd"/>,
    /// the config must take the Winograd path (where AVX2 allows it) and give a nonzero output.
    /// </summary>
    private sealed class SameBitsCheck(int batch, Action<bool, Action> variant, bool expectWinograd = false) : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            if (expectWinograd && Avx2.IsSupported)
                Assert.True(Conv2d.UsesWinograd(Conv2d.Geometry.Of<T>(), batch), $"{typeof(T).Name} should take the Winograd path");
            var s = Conv2dShape.Of<T>();
            float[] x = Ref.GemmRandom(batch * s.InSize, 7), w = Ref.GemmRandom(s.WeightSize, 8);
            float[] b = Ref.GemmRandom(s.BiasSize, 9), dy = Ref.GemmRandom(batch * s.OutSize, 10);
            (float[] Y, float[] Dx, float[] Dw, float[] Db) Compute(bool flag)
            {
                float[] y = new float[batch * s.OutSize], dx = new float[batch * s.InSize];
                float[] dw = new float[s.WeightSize], db = new float[s.BiasSize];
                variant(flag, () =>
                {
                    var ws = new Workspace();
                    Conv2d.Forward<T>(x, w, b, y, batch, ws);
                    Conv2d.Backward<T>(x, w, dy, dx, dw, db, batch, ws);
                });
                return (y, dx, dw, db);
            }
            var one = Compute(false);
            var two = Compute(true);
            if (expectWinograd) Assert.Contains(one.Y, v => v != 0);
            GemmTestScope.AssertBitwiseEqual(one.Y, two.Y, typeof(T).Name + " forward");
            GemmTestScope.AssertBitwiseEqual(one.Dx, two.Dx, typeof(T).Name + " dX");
            GemmTestScope.AssertBitwiseEqual(one.Dw, two.Dw, typeof(T).Name + " dW");
            GemmTestScope.AssertBitwiseEqual(one.Db, two.Db, typeof(T).Name + " dB");
        }
    }

    /// <summary>
    /// F(4×4, 3×3)'s weight transform U = G·w·Gᵀ (float, 8 channels per vector, the rest one at a time) against the same
    /// product in double here, for the layer and its input-gradient convolution: 10 and 11 channels leave vector tails.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FourByFourWeightTransformMatchesDouble(bool flipped) => AssertWeightTransformMatchesDouble(3, 4, 10, 11, flipped,
        new[] { 1.0 / 4, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1 });

    /// <summary>
    /// The 5×5 weight transform U = G·w·Gᵀ (double, 4 channels per vector, the rest one by one) against the same product
    /// here, for the layer and for its input-gradient convolution (weights flipped and transposed): 6 and 7 channels leave
    /// vector tails of 2 and 3.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FiveByFiveWeightTransformMatchesDouble(bool flipped) => AssertWeightTransformMatchesDouble(5, 2, 6, 7, flipped, new[]
    {
        1.0 / 4, 0, 0, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3, 1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3, 0, 0, 0, 0, 1,
    });

    /// <summary>
    /// Filling the padded copy of channels [c0, c1) writes those channels' planes and nothing else, so threads that split
    /// a block's channels never write each other's: every other float keeps a NaN sentinel, for narrow rows of F(2×2) and
    /// F(4×4) (the whole-vector stores that overhang a row) and wide rows, with and without padding, over several samples.
    /// Before each plane had its slack, a channel's last row overhung the next channel's first (W11 failed).
    /// </summary>
    [Theory]
    [InlineData("W11", 2)]
    [InlineData("W11", 4)]
    [InlineData("W2", 2)]
    [InlineData("W1", 4)]
    [InlineData("W7", 2)]
    [InlineData("W7", 4)]
    [InlineData("V1", 2)]
    public void PaddedCopiesOfAChannelRangeStayInTheirPlanes(string config, int tile) =>
        WithTile4(tile == 4, () => Dispatch(config, new PaddedPlanesCheck()));

    private sealed unsafe class PaddedPlanesCheck : ICheck
    {
        public void Run<T>() where T : struct, IConv2dConfig
        {
            const int samples = 3;
            var g = Conv2d.Geometry.Of<T>();
            var plan = new Conv2d.WinogradPlan(g, samples, g.KernelHeight == 3 ? Conv2d.ForwardTile(g, samples) : 2);
            var x = new float[samples * g.InputSize];
            var random = new Random(5);
            for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble() + 0.5f; // never zero
            int plane = Conv2d.PaddedPlane(plan), channels = g.InPerGroup;
            var padded = new float[Conv2d.PaddedPatchesSize(g, plan, samples)];
            foreach (var (c0, c1) in new[] { (0, channels / 2), (channels / 2, channels), (1, 2) })
            {
                Array.Fill(padded, float.NaN);
                fixed (float* px = x, pp = padded) Conv2d.FillPaddedPatches(g, plan, px, samples, pp, c0, c1);
                for (int s = 0; s < samples; s++)
                    for (int c = 0; c < channels; c++)
                    {
                        if (c >= c0 && c < c1) continue;
                        int start = (s * channels + c) * plane;
                        for (int i = start; i < start + plane; i++)
                            Assert.True(float.IsNaN(padded[i]), $"{typeof(T).Name}: filling channels [{c0}, {c1}) wrote float {i - start} of sample {s}'s channel {c}");
                    }
            }
        }
    }

    /// <summary>
    /// The one-pass transform into packed panels (Conv2d.WinogradWeightPanels.cs) against the two passes it replaces,
    /// TransformWeights then PackTransformedWeights, bit for bit: F(2×2) and F(4×4), the layer and its input-gradient
    /// convolution, groups, last panels of 4 and 8 rows, an odd column count (a column without a partner) and K slices of 5
    /// and 7 columns (a column pair split by a slice); on 1 and 2 threads. The two-pass result is itself checked against
    /// double by the tests above.
    /// </summary>
    [Theory]
    [InlineData(24, 28, 1, 2)]
    [InlineData(24, 28, 1, 4)]
    [InlineData(13, 20, 1, 2)]
    [InlineData(20, 13, 1, 4)]
    [InlineData(32, 64, 2, 2)]
    [InlineData(64, 128, 1, 2)]
    [InlineData(64, 128, 1, 4)]
    public unsafe void WeightPanelsInOnePassMatchTwoPasses(int inChannels, int outChannels, int groups, int tile)
    {
        var layer = new Conv2d.Geometry(inChannels, 9, 9, outChannels, 9, 9, 3, 3, 1, 1, 1, 1, groups, true);
        if (!Conv2d.PacksWeightPanelsDirectly(layer))
        {
            // Only the AVX-512 GEMM's panels are built in one pass; elsewhere the two passes run (tested above).
            Assert.False(Gemm.VectorWidth == 16 && Avx2.IsSupported);
            return;
        }
        float[] w = Ref.GemmRandom(layer.WeightSize, 17);
        int savedK = Gemm.ForceBlockK, savedThreads = StaticParallel.ThreadCount;
        try
        {
            foreach (int sliceDepth in new[] { 0, 5, 7 })
                foreach (int threads in new[] { 1, 2 })
                    foreach (bool flipped in new[] { false, true })
                    {
                        Gemm.ForceBlockK = sliceDepth;
                        StaticParallel.ThreadCount = threads;
                        var g = flipped ? Conv2d.InputGradientGeometry(layer) : layer;
                        var plan = new Conv2d.WinogradPlan(g, 1, tile);
                        int size = Conv2d.PackedTransformedWeightsSize(g, plan);
                        float[] expected = new float[size], actual = new float[size], planes = new float[plan.Weights];
                        // The gap after each plane (PackedWeightPlane) is written by neither.
                        Array.Fill(expected, float.NaN);
                        Array.Fill(actual, float.NaN);
                        fixed (float* pw = w)
                        fixed (float* pu = planes)
                        fixed (float* pe = expected)
                        fixed (float* pa = actual)
                        {
                            Conv2d.TransformWeights(g, tile, pw, pu, flipped);
                            Conv2d.PackTransformedWeights(g, plan, pu, pe);
                            Conv2d.TransformAndPackWeights(g, plan, pw, pa, flipped);
                        }
                        for (int i = 0; i < size; i++)
                            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                                $"slices {sliceDepth} threads {threads} flipped {flipped}: packed[{i}] = {actual[i]}, two passes {expected[i]}");
                    }
        }
        finally
        {
            Gemm.ForceBlockK = savedK;
            StaticParallel.ThreadCount = savedThreads;
        }
    }

    /// <summary>
    /// TransformWeights of an r×r layer with <paramref name="inChannels"/> → <paramref name="outChannels"/> (or its
    /// input-gradient convolution) on tiles of <paramref name="tile"/> against Σ G[r', i]·w[i, j]·G[q, j] in double, G being
    /// <paramref name="gm"/> (6 × r): within 1e-6 relative.
    /// </summary>
    private static unsafe void AssertWeightTransformMatchesDouble(int r, int tile, int inChannels, int outChannels, bool flipped, double[] gm)
    {
        int taps = r * r;
        var layer = new Conv2d.Geometry(inChannels, 9, 9, outChannels, 9, 9, r, r, 1, 1, r / 2, r / 2, 1, true);
        var g = flipped ? Conv2d.InputGradientGeometry(layer) : layer;
        float[] w = Ref.GemmRandom(outChannels * inChannels * taps, 11 + r);
        int plane = Conv2d.TransformedWeightPlane(g);
        float[] u = new float[36 * plane];
        fixed (float* pw = w)
        fixed (float* pu = u)
            Conv2d.TransformWeights(g, tile, pw, pu, flipped);
        int rows = g.OutPerGroup, columns = g.InPerGroup;
        for (int k = 0; k < rows; k++)
            for (int c = 0; c < columns; c++)
                for (int p = 0; p < 6; p++)
                    for (int q = 0; q < 6; q++)
                    {
                        double expected = 0;
                        for (int i = 0; i < r; i++)
                            for (int j = 0; j < r; j++)
                            {
                                // Tap (i, j) of the transformed layer's (k, c): w[k, c, i, j], or w[c, k, r − 1 − i, r − 1 − j] flipped.
                                double tap = flipped ? w[(c * inChannels + k) * taps + (r - 1 - i) * r + (r - 1 - j)]
                                    : w[(k * inChannels + c) * taps + i * r + j];
                                expected += gm[p * r + i] * tap * gm[q * r + j];
                            }
                        float actual = u[(p * 6 + q) * plane + k * columns + c];
                        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)),
                            $"r {r} flipped {flipped}: U[{p * 6 + q}][{k}, {c}] = {actual}, expected {expected}");
                    }
    }
}
