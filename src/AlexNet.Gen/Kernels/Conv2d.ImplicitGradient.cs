using System;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // The weight gradient of an implicit-GEMM layer (Conv2d.Implicit.cs) reads the same phase planes:
    //   dWᵀ[k, oc] = Σ over output columns j of planes[rows[k] + j] · dY[oc, j],
    // an [Depth × Cout/g] GEMM over the sample's OutHeight·PlaneWidth columns whose A rows are runs of the planes
    // (IIndirectAKernel) and whose B is the output gradient transposed into NR-channel panels, with zeros in the
    // columns past OutWidth so the garbage columns add nothing. Each chunk sums its samples into its own dWᵀ in sample
    // and column-slice order, then transposes it into dW, so the sums do not depend on the thread count.

    /// <summary>Output columns per micro-kernel call: the B̃ slice (Nr floats each) stays in L1 across the Depth rows.</summary>
    private const int ImplicitGradientSlice = 512;

    /// <summary>Per-lane sizes of the implicit weight gradient.</summary>
    internal readonly struct ImplicitGradientSizes
    {
        /// <summary>GEMM rows (Depth rounded up to whole Mr tiles) and columns (Cout/g rounded up to whole Nr panels).</summary>
        public readonly int DepthRows, OutColumns;
        /// <summary>Floats of one sample's group of output-gradient panels [OutColumns/Nr × Width × Nr].</summary>
        public readonly int OutputGradient;
        /// <summary>Floats of a lane's dWᵀ sums, all groups.</summary>
        public readonly int Sums;

        public ImplicitGradientSizes(in Geometry g, in ImplicitPlan plan)
        {
            DepthRows = (g.Depth + plan.Mr - 1) / plan.Mr * plan.Mr;
            OutColumns = (g.OutPerGroup + plan.Nr - 1) / plan.Nr * plan.Nr;
            OutputGradient = checked(OutColumns * plan.Width);
            Sums = checked(g.Groups * DepthRows * OutColumns);
        }
    }

    /// <summary>
    /// One sample's group: builds its planes and output-gradient panels, then dWᵀ (+)= planes-rows · panels into
    /// <paramref name="sums"/> [DepthRows × OutColumns] (overwritten when <paramref name="first"/>), on
    /// <paramref name="lanes"/> threads splitting the Depth rows. Only rows [0, Depth) are sums: a last tile of 1–4 real
    /// rows leaves the padding rows after it unwritten, and <see cref="WeightsFromImplicitSums"/> reads none of them.
    /// </summary>
    internal static unsafe void ImplicitWeightSample(in Geometry g, in ImplicitPlan plan, in ImplicitGradientSizes sizes, float* x,
        float* dy, float* planes, float* panels, int* rows, float* sums, bool first, int lanes)
    {
        BuildPlanes(g, plan, x, planes);
        PackOutputGradientPanels(g, plan, sizes, dy, panels);
        var body = new ImplicitGradientBody
        {
            G = g, Plan = plan, Sizes = sizes, Planes = planes, Panels = panels, Rows = rows, Sums = sums, First = first, Lanes = lanes,
        };
        if (lanes > 1) StaticParallel.For(lanes, lanes, body);
        else body.Run(0, 1);
    }

    private unsafe struct ImplicitGradientBody : IParallelBody
    {
        public Geometry G;
        public ImplicitPlan Plan;
        public ImplicitGradientSizes Sizes;
        public float* Planes, Panels, Sums;
        public int* Rows;
        public bool First;
        public int Lanes;

        public void Run(int start, int end)
        {
            int tiles = Sizes.DepthRows / Plan.Mr;
            for (int lane = start; lane < end; lane++)
            {
                var (t0, t1) = StaticParallel.Partition(tiles, Lanes, lane);
                switch (Plan.Nr)
                {
                    case 32: ImplicitGradientTiles<IndirectAKernel12x32>(this, t0 * Plan.Mr, t1 * Plan.Mr); break;
                    case 16: ImplicitGradientTiles<IndirectAKernel6x16>(this, t0 * Plan.Mr, t1 * Plan.Mr); break;
                    default: ImplicitGradientTiles<IndirectAKernel4x4>(this, t0 * Plan.Mr, t1 * Plan.Mr); break;
                }
            }
        }
    }

    /// <summary>dWᵀ rows [i0, i1) of one sample's group, column slice by column slice.</summary>
    private static unsafe void ImplicitGradientTiles<TK>(in ImplicitGradientBody s, int i0, int i1) where TK : struct, IIndirectAKernel
    {
        int width = s.Plan.Width, mr = TK.MR, nr = TK.NR, ldc = s.Sizes.OutColumns, depth = s.G.Depth;
        for (int pc = 0; pc < width; pc += ImplicitGradientSlice)
        {
            int kcb = Math.Min(ImplicitGradientSlice, width - pc);
            bool add = !s.First || pc > 0;
            for (int j = 0; j < s.Sizes.OutColumns; j += nr)
            {
                float* b = s.Panels + (nint)j * width + (nint)pc * nr;
                for (int i = i0; i < i1; i += mr)
                {
                    // The last 1–4 Depth rows without the padding rows' multiply-adds (same arithmetic per row).
                    if (typeof(TK) == typeof(IndirectAKernel12x32) && depth - i <= 4)
                        IndirectAShortKernel.Run4(depth - i, kcb, s.Planes + pc, s.Rows + i, b, s.Sums + (nint)i * ldc + j, ldc, add);
                    else
                        TK.Run(kcb, s.Planes + pc, s.Rows + i, b, s.Sums + (nint)i * ldc + j, ldc, add);
                }
            }
        }
    }

    /// <summary>
    /// panels[(j/Nr)·Width·Nr + column·Nr + j mod Nr] = dY[j, oh, ow] for column = oh·PlaneWidth + ow with ow &lt; OutWidth and
    /// j &lt; Cout/g; zero otherwise (the garbage columns and the padding channels).
    /// </summary>
    private static unsafe void PackOutputGradientPanels(in Geometry g, in ImplicitPlan plan, in ImplicitGradientSizes sizes,
        float* dy, float* panels)
    {
        int nr = plan.Nr, wp = plan.PlaneWidth, ow1 = g.OutWidth, p = g.Pixels, outG = g.OutPerGroup;
        for (int j = 0; j < sizes.OutColumns; j += nr)
        {
            float* panel = panels + (nint)j * plan.Width;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                float* dst = panel + (nint)oh * wp * nr;
                float* src = dy + (nint)oh * ow1;
                if (oh + PanelPrefetchRows < g.OutHeight)
                    PrefetchRuns(src + (nint)j * p + (nint)PanelPrefetchRows * ow1, p, Math.Min(nr, outG - j), ow1);
                // A whole panel of channels is a plain transpose; the last, partial one pads with zero channels.
                if (j + nr <= outG)
                    TransposeIntoPanel(src + (nint)j * p, p, dst, ow1, nr);
                else
                    for (int ow = 0; ow < ow1; ow++)
                        for (int jj = 0; jj < nr; jj++)
                            dst[(nint)ow * nr + jj] = j + jj < outG ? src[(nint)(j + jj) * p + ow] : 0f;
                new Span<float>(dst + (nint)ow1 * nr, (wp - ow1) * nr).Clear();
            }
        }
    }

    /// <summary>
    /// Output rows ahead whose panel channels <see cref="PackOutputGradientPanels"/> prefetches. Its transpose reads a row
    /// from each of 32 channels a whole plane apart (12 KB in a 55×55 layer), more streams than the hardware prefetcher
    /// follows: it had waited on memory for 12 % of torchvision conv1's backward pass (4 % prefetched; the pass 8–10 %
    /// faster, the paper's conv1 10–15 %).
    /// </summary>
    private const int PanelPrefetchRows = 2;

    /// <summary>Prefetches <paramref name="runs"/> runs of <paramref name="length"/> floats, <paramref name="stride"/> apart, into L1.</summary>
    private static unsafe void PrefetchRuns(float* first, int stride, int runs, int length)
    {
        if (!Sse.IsSupported || length <= 0) return;
        for (int r = 0; r < runs; r++)
        {
            float* run = first + (nint)r * stride;
            for (int b = 0; b < length; b += 16) Sse.Prefetch0(run + b);
            Sse.Prefetch0(run + length - 1); // an unaligned run's last line
        }
    }

    /// <summary>dW[group, oc, k] = sums[group][k, oc]: a chunk's dWᵀ sums into its weight gradient.</summary>
    internal static unsafe void WeightsFromImplicitSums(in Geometry g, in ImplicitGradientSizes sizes, float* sums, float* dW)
    {
        int depth = g.Depth, ldc = sizes.OutColumns;
        for (int group = 0; group < g.Groups; group++)
        {
            float* s = sums + (nint)group * sizes.DepthRows * ldc;
            float* d = dW + (nint)group * g.OutPerGroup * depth;
            for (int oc = 0; oc < g.OutPerGroup; oc++)
                for (int k = 0; k < depth; k++)
                    d[(nint)oc * depth + k] = s[(nint)k * ldc + oc];
        }
    }
}
