using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // im2col straight into the GEMM's packed B̃ layout (Gemm.MultiplyPrepacked). A column matrix written whole and
    // then packed by the GEMM costs a second pass over megabytes that live in L3: copying 16 floats from each of 256
    // rows 3 KB apart took 13 % of a 5×5 convolution's forward time. Here NR im2col rows at a time are staged in a
    // buffer that stays in L2 and copied (forward) or transposed (weight gradient) into the packed panels, whose
    // writes are then contiguous runs.

    /// <summary>Row stride of the staging rows: whole panels, so a panel copy never reads past its row.</summary>
    internal static int StagingStride(int width) => Gemm.PackedBWidth(width);

    /// <summary>Floats of one lane's staging buffer for <paramref name="samples"/> samples side by side: NR rows plus the
    /// masked im2col's overhang.</summary>
    internal static int StagingSize(in Geometry g, int samples) => Gemm.PanelWidth * StagingStride(samples * g.Pixels) + ColumnSlack;

    /// <summary>Floats of one column phase of an input row: ⌈InWidth / StrideWidth⌉.</summary>
    internal static int PhaseWidth(in Geometry g) => (g.InWidth + g.StrideWidth - 1) / g.StrideWidth;

    /// <summary>
    /// dst[p·phaseWidth + j] = src[j·stride + p] for every j·stride + p &lt; width (phaseWidth ≥ ⌈width / stride⌉; nothing
    /// else is written). Strides 2 and 4 go eight phase entries at a time through in-register shuffles, others gather.
    /// </summary>
    internal static unsafe void SplitColumnPhases(float* src, int width, int stride, float* dst, int phaseWidth)
    {
        if (!Avx2.IsSupported || (stride != 2 && stride != 4))
        {
            for (int p = 0; p < stride && p < width; p++)
                GatherRow(src + p, stride, dst + (nint)p * phaseWidth, (width - p + stride - 1) / stride);
            return;
        }
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        int j = 0;
        for (; (j + 8) * stride <= width; j += 8)
        {
            float* s = src + (nint)j * stride;
            if (stride == 2)
            {
                Vector256<float> a = Avx.LoadVector256(s), b = Avx.LoadVector256(s + 8);
                // The shuffles pick even (odd) floats per 128-bit lane; the 64-bit permute puts the lanes in order.
                Avx.Store(dst + j, Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle());
                Avx.Store(dst + phaseWidth + j, Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle());
                continue;
            }
            // Stride 4: a 4×4 transpose within each 128-bit lane (groups j, j + 2, ... in the low lanes, j + 1, j + 3,
            // ... in the high ones), then a lane interleave.
            Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + 8);
            Vector256<float> r2 = Avx.LoadVector256(s + 16), r3 = Avx.LoadVector256(s + 24);
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Avx.Store(dst + j, Avx2.PermuteVar8x32(Avx.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(), order));
            Avx.Store(dst + phaseWidth + j, Avx2.PermuteVar8x32(Avx.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle(), order));
            Avx.Store(dst + 2 * phaseWidth + j, Avx2.PermuteVar8x32(Avx.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(), order));
            Avx.Store(dst + 3 * phaseWidth + j, Avx2.PermuteVar8x32(Avx.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle(), order));
        }
        // The tail phase by phase: no division per float (most of a small map's rows are tail).
        for (int p = 0; p < stride; p++)
        {
            float* d = dst + (nint)p * phaseWidth;
            for (int jj = j, i = j * stride + p; i < width; jj++, i += stride) d[jj] = src[i];
        }
    }

    /// <summary>
    /// The packed op(B) = columns [Depth × width] (width = samples·P) of <see cref="Im2Col"/> for
    /// <see cref="Gemm.MultiplyPrepacked"/>: output = weights · columns. With <paramref name="lanes"/> &gt; 1 the groups
    /// of NR rows are split over that many threads, each with its own staging rows (<paramref name="stagingSize"/>
    /// floats apart): a lone sample's columns are otherwise written by one thread while the other waits for the GEMM
    /// (9 % of the torchvision network's batch-1 latency). The columns are the same either way.
    /// </summary>
    internal static unsafe void Im2ColPacked(in Geometry g, float* x, float* packed, float* staging, int samples, int sampleStride = 0,
        int lanes = 1, int stagingSize = 0)
    {
        int groups = RowGroups(g.Depth);
        lanes = Math.Min(lanes, groups);
        var body = new Im2ColPackedBody
        {
            G = g, X = x, Packed = packed, Staging = staging, StagingSize = stagingSize, Samples = samples, SampleStride = sampleStride,
            Groups = groups, Lanes = lanes,
        };
        if (lanes > 1) StaticParallel.For(lanes, lanes, body);
        else body.Run(0, 1);
    }

    /// <summary>Groups of up to NR rows within the K slices of a packed op(B) of <paramref name="depth"/> rows.</summary>
    private static int RowGroups(int depth)
    {
        int nr = Gemm.PanelWidth, kc = Gemm.SliceDepth, groups = 0;
        for (int pc = 0; pc < depth; pc += kc) groups += (Math.Min(kc, depth - pc) + nr - 1) / nr;
        return groups;
    }

    private unsafe struct Im2ColPackedBody : IParallelBody
    {
        public Geometry G;
        public float* X, Packed, Staging;
        public int StagingSize, Samples, SampleStride, Groups, Lanes;

        public readonly void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                var (q0, q1) = StaticParallel.Partition(Groups, Lanes, lane);
                RowGroupsOf(q0, q1, Staging + (nint)lane * StagingSize);
            }
        }

        /// <summary>Row groups [q0, q1) (in K-slice order) through the given staging rows.</summary>
        private readonly void RowGroupsOf(int q0, int q1, float* staging)
        {
            Geometry g = G;
            int width = Samples * g.Pixels, depth = g.Depth;
            int nr = Gemm.PanelWidth, kc = Gemm.SliceDepth;
            int paddedN = Gemm.PackedBWidth(width), stride = StagingStride(width), panels = paddedN / nr;
            int q = 0;
            for (int pc = 0; pc < depth && q < q1; pc += kc)
            {
                int kcb = Math.Min(kc, depth - pc);
                for (int r0 = pc; r0 < pc + kcb && q < q1; r0 += nr, q++)
                {
                    if (q < q0) continue;
                    int rows = Math.Min(nr, pc + kcb - r0);
                    Im2Col(g, X, staging, stride, Samples, SampleStride, r0, rows);
                    // Columns past the width are the last panel's zero padding.
                    if (paddedN > width)
                        for (int r = 0; r < rows; r++) new Span<float>(staging + (nint)r * stride + width, paddedN - width).Clear();
                    for (int t = 0; t < panels; t++)
                    {
                        float* dst = Packed + Gemm.PackedBOffset(r0, t * nr, depth, paddedN);
                        float* src = staging + (nint)t * nr;
                        for (int r = 0; r < rows; r++) CopyPanelRow(src + (nint)r * stride, dst + (nint)r * nr, nr);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The packed op(B) = columnsᵀ [width × Depth] of <see cref="Im2Col"/> for <see cref="Gemm.MultiplyPrepacked"/>:
    /// weight gradient = output gradient · columnsᵀ. Each NR-wide panel is NR im2col rows, transposed.
    /// </summary>
    internal static unsafe void Im2ColPackedTransposed(in Geometry g, float* x, float* packed, float* staging, int samples,
        int sampleStride = 0)
    {
        int width = samples * g.Pixels, depth = g.Depth;
        int nr = Gemm.PanelWidth, kc = Gemm.SliceDepth;
        int paddedN = Gemm.PackedBWidth(depth), stride = StagingStride(width);
        for (int r0 = 0; r0 < depth; r0 += nr)
        {
            int rows = Math.Min(nr, depth - r0);
            Im2Col(g, x, staging, stride, samples, sampleStride, r0, rows);
            // Rows past the depth are the last panel's zero padding.
            for (int r = rows; r < nr; r++) new Span<float>(staging + (nint)r * stride, width).Clear();
            for (int pc = 0; pc < width; pc += kc)
            {
                int kcb = Math.Min(kc, width - pc);
                TransposeIntoPanel(staging + pc, stride, packed + Gemm.PackedBOffset(pc, r0, width, paddedN), kcb, nr);
            }
        }
    }

    /// <summary>dst[0..nr) = src[0..nr) for one panel row (nr = 4, 16 or 32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyPanelRow(float* src, float* dst, int nr)
    {
        if (nr % 8 == 0 && Vector256.IsHardwareAccelerated)
        {
            for (int j = 0; j < nr; j += 8) Vector256.Store(Vector256.Load(src + j), dst + j);
            return;
        }
        for (int j = 0; j < nr; j++) dst[j] = src[j];
    }

    /// <summary>dst[q·nr + r] = src[r·srcStride + q] for q &lt; kcb, r &lt; nr: 8×8 register transposes where they fit.</summary>
    private static unsafe void TransposeIntoPanel(float* src, int srcStride, float* dst, int kcb, int nr)
    {
        int q = 0;
        if (Avx.IsSupported && nr % 8 == 0)
            for (; q + 8 <= kcb; q += 8)
                for (int r = 0; r < nr; r += 8)
                    Gemm.Transpose8x8(src + (nint)r * srcStride + q, srcStride, dst + (nint)q * nr + r, nr);
        for (; q < kcb; q++)
            for (int r = 0; r < nr; r++) dst[(nint)q * nr + r] = src[(nint)r * srcStride + q];
    }
}
