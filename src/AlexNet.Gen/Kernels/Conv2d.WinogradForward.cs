using System;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    /// <summary>
    /// The forward pass on Winograd (see <see cref="UsesWinogradForward"/>) with the layer's packed transformed weights
    /// (<see cref="PackedWinogradWeights"/>, cached under <paramref name="layer"/>). Batches that split evenly run whole
    /// samples per lane, as the im2col path, unless a lane's share would take another tile size than the batch
    /// (<see cref="ForwardPlan(in Geometry, int, out bool)"/>); others (batch 1) one block at a time, each of its three steps (input
    /// transform, GEMMs, output transform) split over the threads by channel or by ξ.
    /// </summary>
    private static unsafe void WinogradForward(int layer, in Geometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, int batch, Workspace workspace)
    {
        var plan = ForwardPlan(g, batch, out bool perSample);
        int threads = StaticParallel.ThreadCount, lanes = perSample ? threads : 1;
        float[] weights = PackedWinogradWeights(layer, g, plan, weight, workspace);
        // A block split over the threads gives each its own tile rows for the output transform, after the products' own.
        int rowsSize = TileRowsSize(plan.Block * plan.TilesPerSample, plan.Tile);
        int transformedStride = LaneStride(plan.Transformed, lanes), productsStride = LaneStride(plan.Products, lanes);
        float[] transformed = workspace.GetArray(Gemm.SlotWinogradInput, lanes * transformedStride);
        float[] products = workspace.GetArray(Gemm.SlotWinogradProducts, lanes * productsStride + (perSample ? 0 : (threads - 1) * rowsSize));
        fixed (float* pIn = input)
        fixed (float* pB = bias)
        fixed (float* pOut = output)
        fixed (float* pU = weights)
        fixed (float* pV = transformed)
        fixed (float* pM = products)
        {
            var body = new WinogradBody
            {
                G = g, Plan = plan, Input = pIn, Weights = pU, Bias = g.HasBias ? pB : null, Output = pOut, Batch = batch,
                Lanes = lanes, Transformed = pV, Products = pM, TransformedStride = transformedStride, ProductsStride = productsStride,
            };
            if (perSample)
            {
                if (lanes > 1) StaticParallel.For(lanes, lanes, body);
                else body.Run(0, 1);
                return;
            }
            var step = new WinogradStepBody { G = g, Plan = plan, Parts = threads, V = pV, M = pM, RowsSize = rowsSize };
            int groupWeights = plan.Elements * PackedWeightPlane(g);
            for (int n = 0; n < batch; n += plan.Block)
            {
                step.Tiles = Math.Min(plan.Block, batch - n) * plan.TilesPerSample;
                for (int group = 0; group < g.Groups; group++)
                {
                    step.X = pIn + (nint)n * g.InputSize + (nint)group * g.InPerGroup * g.InPixels;
                    step.U = pU + (nint)group * groupWeights;
                    step.Bias = g.HasBias ? pB + group * g.OutPerGroup : null;
                    step.Y = pOut + (nint)n * g.OutputSize + (nint)group * g.OutPerGroup * g.Pixels;
                    for (step.Step = 0; step.Step < 3; step.Step++) StaticParallel.For(threads, threads, step);
                }
            }
        }
    }

    /// <summary>The plan of the Winograd forward pass at <paramref name="batch"/>: blocks of a lane's samples (all of them
    /// when the batch does not split). The tile size is chosen from the batch, never from the lanes: F(2×2) and F(4×4) round
    /// differently, and training must give the same bits on any number of threads (a choice per lane's samples had put
    /// torchvision's 13×13 layers at batch 2 on F(4×4) on one thread and F(2×2) on two).</summary>
    internal static WinogradPlan ForwardPlan(in Geometry g, int batch) => ForwardPlan(g, batch, out _);

    /// <summary>
    /// The same, and <paramref name="perSample"/>: whether each lane gets whole samples, when the batch splits evenly
    /// (<see cref="SplitsSamples"/>) and a lane's share would choose the batch's tile size too. Otherwise the blocks of the
    /// whole batch are split step by step: on two threads torchvision's 13×13 layers at batch 2 would run F(4×4) on one
    /// sample per lane, half a panel of tiles each (conv3 1.04 → 1.40 ms against F(2×2) per lane, whose other bits are
    /// not allowed); as one block of both samples they take 0.79 ms.
    /// </summary>
    private static WinogradPlan ForwardPlan(in Geometry g, int batch, out bool perSample)
    {
        int tile = ForwardTile(g, batch), share = (batch + StaticParallel.ThreadCount - 1) / StaticParallel.ThreadCount;
        perSample = SplitsSamples(batch) && ForwardTile(g, share) == tile;
        return new WinogradPlan(g, perSample ? share : batch, tile);
    }

    /// <summary>Whole samples per lane: each lane transforms, multiplies and transforms back its own blocks.</summary>
    private unsafe struct WinogradBody : IParallelBody
    {
        public Geometry G;
        public WinogradPlan Plan;
        public float* Input, Weights, Bias, Output, Transformed, Products;
        public int Batch, Lanes, TransformedStride, ProductsStride;

        public void Run(int start, int end)
        {
            Geometry g = G;
            int groupWeights = Plan.Elements * PackedWeightPlane(g);
            for (int lane = start; lane < end; lane++)
            {
                var (n0, n1) = StaticParallel.Partition(Batch, Lanes, lane);
                float* v = Transformed + (nint)lane * TransformedStride;
                float* m = Products + (nint)lane * ProductsStride;
                for (int n = n0; n < n1; n += Plan.Block)
                    for (int group = 0; group < g.Groups; group++)
                        WinogradBlock(g, Plan, Input + (nint)n * g.InputSize + (nint)group * g.InPerGroup * g.InPixels, Math.Min(Plan.Block, n1 - n),
                            Weights + (nint)group * groupWeights, Bias == null ? null : Bias + group * g.OutPerGroup,
                            Output + (nint)n * g.OutputSize + (nint)group * g.OutPerGroup * g.Pixels, v, m);
            }
        }
    }

    /// <summary>
    /// One step of one block and group split over <see cref="Parts"/> threads: 0 the input transform by input channel,
    /// 1 the GEMMs by ξ, 2 the output transform by output channel (each part with tile rows of its own). Each value is
    /// computed as on one thread.
    /// </summary>
    private unsafe struct WinogradStepBody : IParallelBody
    {
        public Geometry G;
        public WinogradPlan Plan;
        public float* X, U, Bias, Y, V, M;
        public int Step, Parts, Tiles, RowsSize;

        public readonly void Run(int start, int end)
        {
            for (int part = start; part < end; part++)
            {
                switch (Step)
                {
                    case 0:
                        var (c0, c1) = StaticParallel.Partition(G.InPerGroup, Parts, part);
                        if (c1 > c0) TransformBlockInput(G, Plan, X, Tiles, V, c0, c1);
                        break;
                    case 1:
                        var (xi0, xi1) = StaticParallel.Partition(Plan.Elements, Parts, part);
                        BlockProducts(G, Plan, Tiles, U, V, M, xi0, xi1);
                        break;
                    default:
                        var (k0, k1) = StaticParallel.Partition(G.OutPerGroup, Parts, part);
                        if (k1 > k0) TransformBlockOutput(G, Plan, M, Tiles, Bias, Y, k0, k1, TileRows(G, Plan, M, Tiles) + (nint)part * RowsSize);
                        break;
                }
            }
        }
    }
}
