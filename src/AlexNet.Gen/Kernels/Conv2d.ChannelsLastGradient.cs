using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // The weight gradient of a stride-1 layer, dW[co, ci, kh, kw] = Σ_pixels dY[co, pixel]·x[ci, pixel shifted by (kh, kw)],
    // had gone through im2col: every input value written KH·KW times into rows, then transposed into the GEMM's 32-column
    // panels (14 % of the compact net's conv2 backward pass). Here the block's input is copied once, channels last in
    // 32-channel slabs and zero-padded ([slab][sample][row][column][32 channels]), and the GEMM reads its B rows straight
    // from that copy: for tap (kh, kw) and slab j, row k of B is the 32 floats at pixel k's position shifted by the tap.
    // (Rows 128 bytes apart: with all channels side by side, a 64-channel layer's rows had been 256 bytes apart and used
    // half of L1's sets.) Its C is dW tap-major ([co][kh][kw][ci]): the chunks sum in that order and dW is reordered once
    // at the end (reordering every block had cost a tenth of a 64 → 128-channel 7×7 layer's pass, whose GEMM runs only
    // 196 multiply-adds an element).

    /// <summary>Switch for tests and probes: the channels-last weight gradient where <see cref="UsesChannelsLastWeightGradient"/> allows it.</summary>
    internal static bool ChannelsLastWeightGradientEnabled = true;

    /// <summary>
    /// Whether the weight gradient reads a channels-last copy of the input (Conv2d.ChannelsLastGradient.cs): stride 1, a
    /// kernel wider than a point, whole 32-channel groups, on the AVX-512 kernel (whose 32-column B rows are 32 channels).
    /// </summary>
    internal static bool UsesChannelsLastWeightGradient(in Geometry g) =>
        ChannelsLastWeightGradientEnabled && Gemm.VectorWidth == 16 && Avx.IsSupported && g.StrideHeight == 1 && g.StrideWidth == 1
        && !g.IsPointwise && g.InPerGroup % ChannelsLastPanel == 0;

    /// <summary>Channels per B panel: the AVX-512 micro-kernel's 32 columns.</summary>
    private const int ChannelsLastPanel = 32;

    /// <summary>Sizes of the channels-last weight gradient for blocks of up to <see cref="Samples"/> samples.</summary>
    internal readonly struct ChannelsLastPlan
    {
        /// <summary>Rows and columns of the padded copy: OutHeight + KH − 1 by OutWidth + KW − 1 (row r is input row r − PadTop).</summary>
        public readonly int Height, Width;
        public readonly int Samples, Taps;

        public ChannelsLastPlan(in Geometry g, int samples)
        {
            Height = g.OutHeight + g.KernelHeight - 1;
            Width = g.OutWidth + g.KernelWidth - 1;
            Samples = samples;
            Taps = g.KernelHeight * g.KernelWidth;
            Slab = checked(samples * Height * Width * ChannelsLastPanel);
            Input = checked(Slab * (g.InPerGroup / ChannelsLastPanel) + 16);
            Rows = checked(samples * g.Pixels);
            Slice = SliceOf(Rows);
            PackedA = Gemm.PackedASize(g.OutPerGroup, Slice);
        }

        /// <summary>Floats of one 32-channel slab of the copy.</summary>
        public readonly int Slab;

        /// <summary>Floats of one lane's channels-last input copy (and 16 to start it at a cache line).</summary>
        public readonly int Input;

        /// <summary>Entries of the row table (one per pixel of a block).</summary>
        public readonly int Rows;

        /// <summary>Pixels per K slice, and the floats of one lane's packed dY slice.</summary>
        public readonly int Slice, PackedA;

        /// <summary>Balanced K slices of at most 512 pixels (a 32-channel B panel of 64 KB at most, read once per 12 output channels).</summary>
        public static int SliceOf(int width)
        {
            int slices = Math.Max(1, (width + 511) / 512);
            return (width + slices - 1) / slices;
        }
    }

    /// <summary>rows[s·P + oh·OW + ow] = ((s·Height + oh)·Width + ow)·32: where pixel (s, oh, ow)'s tap (0, 0) starts in a slab.</summary>
    internal static unsafe void ChannelsLastRows(in Geometry g, in ChannelsLastPlan plan, int* rows)
    {
        int k = 0;
        for (int s = 0; s < plan.Samples; s++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                    rows[k++] = ((s * plan.Height + oh) * plan.Width + ow) * ChannelsLastPanel;
    }

    /// <summary>
    /// copy[ci / 32][s][r][c][ci % 32] = x_s[ci, r − PadTop, c − PadLeft] (zero outside the image) for one group's
    /// <paramref name="count"/> samples (<paramref name="sampleStride"/> floats apart): 8×8 register transposes over
    /// channels and columns.
    /// </summary>
    private static unsafe void FillChannelsLast(in Geometry g, in ChannelsLastPlan plan, float* x, int sampleStride, int count, float* copy)
    {
        const int panel = ChannelsLastPanel;
        int width = plan.Width, rowFloats = width * panel;
        // The image's columns and rows inside the copy.
        int c0 = g.PadLeft, c1 = Math.Min(width, g.PadLeft + g.InWidth);
        int r0 = g.PadTop, r1 = Math.Min(plan.Height, g.PadTop + g.InHeight);
        int columns = c1 - c0;
        for (int slab = 0; slab < g.InPerGroup / panel; slab++)
            for (int s = 0; s < count; s++)
            {
                float* xs = x + (nint)s * sampleStride + (nint)slab * panel * g.InPixels;
                float* cs = copy + (nint)slab * plan.Slab + (nint)s * plan.Height * rowFloats;
                for (int r = 0; r < plan.Height; r++)
                {
                    float* row = cs + (nint)r * rowFloats;
                    if (r < r0 || r >= r1 || columns <= 0)
                    {
                        new Span<float>(row, rowFloats).Clear();
                        continue;
                    }
                    new Span<float>(row, c0 * panel).Clear();
                    new Span<float>(row + (nint)c1 * panel, (width - c1) * panel).Clear();
                    float* src = xs + (nint)(r - g.PadTop) * g.InWidth;
                    float* dst = row + (nint)c0 * panel;
                    if (columns >= 8)
                    {
                        for (int c = 0; ; c += 8)
                        {
                            // The last block overlaps the one before it when the columns are not a multiple of 8 (same values).
                            if (c + 8 > columns) c = columns - 8;
                            for (int ci = 0; ci < panel; ci += 8)
                                Gemm.Transpose8x8(src + (nint)ci * g.InPixels + c, g.InPixels, dst + (nint)c * panel + ci, panel);
                            if (c + 8 >= columns) break;
                        }
                    }
                    else
                    {
                        for (int c = 0; c < columns; c++)
                            for (int ci = 0; ci < panel; ci++) dst[(nint)c * panel + ci] = src[(nint)ci * g.InPixels + c];
                    }
                }
            }
    }

    /// <summary>
    /// dW_g (+)= dY_g·columnsᵀ, tap-major ([Cout/g][KH][KW][Cin/g]), for one block of <paramref name="count"/> samples of one
    /// group, from the channels-last copy: <paramref name="dy"/> is the block's [Cout/g × count·P] output gradient (rows
    /// <paramref name="ldy"/> apart), <paramref name="x"/> its first sample's group input. The first block of a chunk overwrites.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void ChannelsLastWeightBlock(in Geometry g, in ChannelsLastPlan plan, float* x, float* dy, int ldy, int count,
        int* rows, float* copy, float* packA, float* dW, bool accumulate)
    {
        // At a cache line, so every 32-channel B row is two whole lines.
        copy = (float*)(((nint)copy + 63) & ~(nint)63);
        FillChannelsLast(g, plan, x, g.InputSize, count, copy);
        int outG = g.OutPerGroup, cin = g.InPerGroup, n = g.Depth, width = count * g.Pixels;
        float* edge = stackalloc float[12 * 32];
        int slice = ChannelsLastPlan.SliceOf(width);
        for (int pc = 0; pc < width; pc += slice)
        {
            int kcb = Math.Min(slice, width - pc);
            Gemm.PackRowPanels12(dy, ldy, outG, pc, kcb, packA);
            bool add = accumulate || pc > 0;
            for (int tap = 0; tap < plan.Taps; tap++)
            {
                int kh = tap / g.KernelWidth, kw = tap % g.KernelWidth;
                float* tapCopy = copy + (nint)(kh * plan.Width + kw) * ChannelsLastPanel;
                for (int cb = 0; cb < cin; cb += ChannelsLastPanel)
                {
                    float* b = tapCopy + (nint)(cb / ChannelsLastPanel) * plan.Slab;
                    float* c = dW + tap * cin + cb;
                    for (int i = 0; i < outG; i += 12)
                    {
                        int m = Math.Min(12, outG - i);
                        float* a = packA + (nint)i * kcb, ci = c + (nint)i * n;
                        if (m == 12) IndirectKernel12x32.Run(kcb, a, b, rows + pc, ci, n, add);
                        else if (m <= 8) ShortPanelKernel.Run<TableBRows>(m, kcb, a, b, rows + pc, ci, n, add);
                        else
                        {
                            // 9–11 rows: the 12-row kernel into a tile, its first m rows into dW (rows past outG are not dW's).
                            IndirectKernel12x32.Run(kcb, a, b, rows + pc, edge, 32, false);
                            Gemm.StoreEdge(edge, 32, m, 32, ci, n, add);
                        }
                    }
                }
            }
        }
    }

    /// <summary>dW[co][ci][kh][kw] = tapMajor[co][kh][kw][ci] for every output channel of every group, split over the threads by channel.</summary>
    private static unsafe void TapMajorToWeights(in Geometry g, float* tapMajor, float* dW)
    {
        var body = new TapMajorBody { TapMajor = tapMajor, Weights = dW, Channels = g.OutChannels, Taps = g.KernelHeight * g.KernelWidth, In = g.InPerGroup };
        body.Parts = PointwiseParallel.ThreadsFor(g.WeightSize);
        if (body.Parts > 1) StaticParallel.For(body.Parts, body.Parts, body);
        else body.Run(0, 1);
    }

    private unsafe struct TapMajorBody : IParallelBody
    {
        public float* TapMajor, Weights;
        public int Channels, Taps, In, Parts;

        public readonly void Run(int start, int end)
        {
            int depth = Taps * In;
            for (int part = start; part < end; part++)
            {
                var (c0, c1) = StaticParallel.Partition(Channels, Parts, part);
                for (int co = c0; co < c1; co++)
                {
                    // [taps × In] → [In × taps]: 8×8 register transposes over 8 taps at a time (In is a multiple of 32), the
                    // taps left over element by element (a scalar loop over all had been 2.5 % of a 64 → 128-channel 7×7
                    // layer's backward pass at batch 16).
                    float* src = TapMajor + (nint)co * depth, dst = Weights + (nint)co * depth;
                    int tap = 0;
                    for (; tap + 8 <= Taps; tap += 8)
                        for (int ci = 0; ci < In; ci += 8)
                            Gemm.Transpose8x8(src + (nint)tap * In + ci, In, dst + (nint)ci * Taps + tap, Taps);
                    for (; tap < Taps; tap++)
                        for (int ci = 0; ci < In; ci++) dst[ci * Taps + tap] = src[tap * In + ci];
                }
            }
        }
    }
}
