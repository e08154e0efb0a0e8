using System;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // A Winograd forward pass had transformed its weights (16 or 36 planes of Cout/g × Cin/g) on every call, and its GEMMs
    // had packed each plane into micro-panels once per block and lane: at batch 1 that cost more than Winograd saved, so
    // batch 1 stayed on im2col. Now each layer keeps its transformed weights, packed whole for the micro-kernel, in its
    // model's workspace, with a copy of the weights they were made from. A call compares the weights with that copy
    // (exact: a change made through any span or array is seen) and rebuilds only when they differ, so inference pays
    // the transform once and training pays it once per step (the comparison stops at the first changed weight).

    /// <summary>One layer's packed transformed weights (for each tile size a batch has asked for) and what they were made from.</summary>
    private sealed class PackedWinogradCache
    {
        /// <summary>The weights of the last call, which every valid entry was made from (null: none yet).</summary>
        public float[]? Source;

        /// <summary>The SIMD width and K slice depth every entry is packed for.</summary>
        public int Width, SliceDepth;

        /// <summary>[group][ξ] U_ξ packed whole (<see cref="PackedWeightPlane"/> floats each), for output tiles
        /// of 2 ([0]) and 4 ([1]): a model serving batch 1 (F(2×2, 3×3) on 13×13) and larger batches (F(4×4, 3×3)) keeps both.
        /// Arrays are kept when their entry is dropped (<see cref="Valid"/>), so training steps allocate nothing.</summary>
        public readonly float[][] Packed = [[], []];

        /// <summary>Whether <see cref="Packed"/>[i] was made from <see cref="Source"/>.</summary>
        public readonly bool[] Valid = new bool[2];

        /// <summary>Times an entry was built (for tests).</summary>
        public int Builds;
    }

    /// <summary>A small integer per layer configuration type: the key of its cache in a workspace.</summary>
    private static class LayerKey<T> where T : struct, IConv2dConfig
    {
        public static readonly int Value = Workspace.NewCacheKey();
    }

    /// <summary>For tests: how many times <paramref name="workspace"/> built layer <typeparamref name="T"/>'s packed transformed weights.</summary>
    internal static int PackedWinogradBuilds<T>(Workspace workspace) where T : struct, IConv2dConfig =>
        (workspace.Cache(LayerKey<T>.Value) as PackedWinogradCache)?.Builds ?? 0;

    /// <summary>
    /// The transformed weights of the layer keyed <paramref name="layer"/> for <paramref name="plan"/>, packed whole: U_ξ of
    /// group gr at [(gr·Elements + ξ)·<see cref="PackedWeightPlane"/>]. When the weights or the GEMM's packing
    /// differ from the last call's every entry is dropped; an entry missing for the plan's tile size is built.
    /// </summary>
    private static unsafe float[] PackedWinogradWeights(int layer, in Geometry g, in WinogradPlan plan, ReadOnlySpan<float> weight,
        Workspace workspace)
    {
        ref object? slot = ref workspace.Cache(layer);
        var cache = slot as PackedWinogradCache;
        if (cache is null) slot = cache = new PackedWinogradCache();
        int width = Gemm.VectorWidth, depth = Gemm.SliceDepth, entry = plan.Tile == 4 ? 1 : 0;
        if (cache.Source is null || cache.Width != width || cache.SliceDepth != depth || !SameWeights(weight, cache.Source))
        {
            // Nothing is valid until the copy is whole (a failure part way leaves no Source).
            cache.Valid[0] = cache.Valid[1] = false;
            float[] source = cache.Source?.Length == weight.Length ? cache.Source : GC.AllocateUninitializedArray<float>(weight.Length, pinned: true);
            cache.Source = null;
            weight.CopyTo(source);
            (cache.Source, cache.Width, cache.SliceDepth) = (source, width, depth);
        }
        int size = PackedTransformedWeightsSize(g, plan);
        if (cache.Valid[entry] && cache.Packed[entry].Length == size) return cache.Packed[entry];

        cache.Valid[entry] = false;
        float[] packed = cache.Packed[entry].Length == size ? cache.Packed[entry] : GC.AllocateUninitializedArray<float>(size, pinned: true);
        bool direct = PacksWeightPanelsDirectly(g);
        float[] planes = workspace.GetArray(Gemm.SlotWinogradWeights, direct ? 1 : plan.Weights);
        fixed (float* pW = weight)
        fixed (float* pU = planes)
        fixed (float* pPacked = packed)
        {
            if (direct) TransformAndPackWeights(g, plan, pW, pPacked, flipped: false);
            else
            {
                TransformWeights(g, plan.Tile, pW, pU, flipped: false);
                PackTransformedWeights(g, plan, pU, pPacked);
            }
        }
        cache.Packed[entry] = packed;
        cache.Valid[entry] = true;
        cache.Builds++;
        return packed;
    }

    /// <summary>Whether <paramref name="weight"/> equals <paramref name="source"/> bit for bit (NaNs included), compared on all
    /// threads: a memory-bound read of both (a single thread had taken 15 % of a 384 → 256-channel layer's batch-1 time).</summary>
    private static unsafe bool SameWeights(ReadOnlySpan<float> weight, float[] source)
    {
        if (weight.Length != source.Length) return false;
        int parts = Math.Min(StaticParallel.ThreadCount, Math.Max(1, weight.Length / 65536));
        int* differs = stackalloc int[parts];
        fixed (float* pW = weight)
        fixed (float* pS = source)
        {
            var body = new CompareBody { A = pW, B = pS, Length = weight.Length, Parts = parts, Differs = differs };
            StaticParallel.For(parts, parts, body);
        }
        for (int i = 0; i < parts; i++)
            if (differs[i] != 0) return false;
        return true;
    }

    private unsafe struct CompareBody : IParallelBody
    {
        public float* A, B;
        public int Length, Parts;
        public int* Differs;

        public readonly void Run(int start, int end)
        {
            for (int part = start; part < end; part++)
            {
                var (i0, i1) = StaticParallel.Partition(Length, Parts, part);
                // As integers: the same bits are the same weights (a float comparison would call NaN unequal to itself).
                Differs[part] = new ReadOnlySpan<int>((int*)A + i0, i1 - i0).SequenceEqual(new ReadOnlySpan<int>((int*)B + i0, i1 - i0)) ? 0 : 1;
            }
        }
    }

    /// <summary>Largest packed transformed weights (floats) the input gradient packs whole instead of per GEMM (Conv2d.Backward.cs).</summary>
    internal static int WholePackedWeightsLimit = 512 * 1024;

    /// <summary>
    /// Floats from one packed-whole U_ξ to the next: <see cref="Gemm.PackedASize"/>(Cout/g, Cin/g) and a cache line, so planes
    /// whose size is a multiple of 4 KB (72 × 128 floats is 36 KB) do not all start in the same L1 set: the one-pass packing
    /// (Conv2d.WinogradWeightPanels.cs) writes into all 16 or 36 of them at once.
    /// </summary>
    internal static int PackedWeightPlane(in Geometry g) => checked(Gemm.PackedASize(g.OutPerGroup, g.InPerGroup) + 16);

    /// <summary>Floats of <paramref name="g"/>'s transformed weights packed whole (<see cref="PackTransformedWeights"/>).</summary>
    internal static int PackedTransformedWeightsSize(in Geometry g, in WinogradPlan plan) =>
        checked(g.Groups * plan.Elements * PackedWeightPlane(g));

    /// <summary>The transformed planes (<see cref="TransformWeights"/>' layout) packed whole for the micro-kernel, on all
    /// threads: U_ξ of group gr at [(gr·Elements + ξ)·<see cref="PackedWeightPlane"/>].</summary>
    internal static unsafe void PackTransformedWeights(in Geometry g, in WinogradPlan plan, float* planes, float* packed)
    {
        var body = new PackWeightsBody
        {
            Planes = planes, Packed = packed, Rows = g.OutPerGroup, Columns = g.InPerGroup, Plane = TransformedWeightPlane(g),
            PackedSize = PackedWeightPlane(g),
        };
        StaticParallel.For(g.Groups * plan.Elements, body);
    }

    /// <summary>Packs transformed planes [first, end) (their [group][ξ] index) for the micro-kernel.</summary>
    private unsafe struct PackWeightsBody : IParallelBody
    {
        public float* Planes, Packed;
        public int Rows, Columns, Plane, PackedSize;

        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++)
                Gemm.PackAWhole(Rows, Columns, Planes + (nint)i * Plane, Columns, Packed + (nint)i * PackedSize);
        }
    }
}
