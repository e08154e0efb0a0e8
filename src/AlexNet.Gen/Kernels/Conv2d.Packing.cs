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

    /// <summary>Floats of one lane's staging buffer: NR rows plus the masked im2col's overhang.</summary>
    internal static int StagingSize(int width) => Gemm.PanelWidth * StagingStride(width) + ColumnSlack;

    /// <summary>
    /// The packed op(B) = columns [Depth × width] (width = samples·P) of <see cref="Im2Col"/> for
    /// <see cref="Gemm.MultiplyPrepacked"/>: output = weights · columns.
    /// </summary>
    internal static unsafe void Im2ColPacked(in Geometry g, float* x, float* packed, float* staging, int samples, int sampleStride = 0)
    {
        int width = samples * g.Pixels, depth = g.Depth;
        int nr = Gemm.PanelWidth, kc = Gemm.SliceDepth;
        int paddedN = Gemm.PackedBWidth(width), stride = StagingStride(width), panels = paddedN / nr;
        for (int pc = 0; pc < depth; pc += kc)
        {
            int kcb = Math.Min(kc, depth - pc);
            for (int r0 = pc; r0 < pc + kcb; r0 += nr)
            {
                int rows = Math.Min(nr, pc + kcb - r0);
                Im2Col(g, x, staging, stride, samples, sampleStride, r0, rows);
                // Columns past the width are the last panel's zero padding.
                if (paddedN > width)
                    for (int r = 0; r < rows; r++) new Span<float>(staging + (nint)r * stride + width, paddedN - width).Clear();
                for (int t = 0; t < panels; t++)
                {
                    float* dst = packed + Gemm.PackedBOffset(r0, t * nr, depth, paddedN);
                    float* src = staging + (nint)t * nr;
                    for (int r = 0; r < rows; r++) CopyPanelRow(src + (nint)r * stride, dst + (nint)r * nr, nr);
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
