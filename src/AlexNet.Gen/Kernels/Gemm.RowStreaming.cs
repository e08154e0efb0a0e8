using System;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Gemm
{
    // A dense layer's forward pass at batch > 1 as Yᵀ = W·Xᵀ with W read in place. Y = X·Wᵀ on the packed GEMM copies
    // W (nn.Linear's [out × in], the B operand) into transposed panels first: a second pass over the whole weight, a
    // quarter of fc6's forward time at batch 64 (151 MB). Here W is the A operand, read through a table of its rows by
    // the micro-kernel that broadcasts a row group's elements in k order (IndirectAKernel12x32 or 6x16, as the implicit
    // convolution's weight gradient), so each 12- or 6-row group streams from memory once per K slice, against the
    // batch's few packed Xᵀ panels in L2. Yᵀ is then transposed into Y. Work is split over whole row groups; each
    // element sums its K slices in order with the same kernel, so results do not depend on the thread count.
    // The K slices are as deep as L2 holds of the packed Xᵀ (RowSliceDepth), not the GEMM's 256 rows: W's rows
    // are K floats apart, so each group reads six runs of one slice's length, and 1 KB runs (256 floats) left the
    // hardware prefetchers so little to follow that fc6's forward pass at batch 64 waited on memory for a third of
    // its time (83–93 ms on one thread; 54–65 ms with 2048-float slices, 44–47 → 32–34 ms on two).

    /// <summary>Test switch: false keeps the dense forward pass on the packed GEMM.</summary>
    internal static bool RowStreamingEnabled = true;

    /// <summary>Whether <see cref="MultiplyRowStreaming"/> runs [m × k]·[n × k]ᵀ: the AVX-512 and AVX2 paths (the scalar
    /// path keeps the packed GEMM) and row offsets of A that fit an int.</summary>
    internal static bool UsesRowStreaming(int m, int n, int k) =>
        RowStreamingEnabled && VectorWidth >= 8 && Avx.IsSupported && n >= 2 && (long)(m + RowGroup) * k < int.MaxValue;

    /// <summary>Rows of W one row-streaming kernel call broadcasts (its MR) at the current SIMD width.</summary>
    private static int RowGroup => VectorWidth == 16 ? IndirectAKernel12x32.MR : IndirectAKernel6x16.MR;

    /// <summary>Floats of the packed Xᵀ a K slice of <see cref="MultiplyRowStreaming"/> may hold: 512 KB, a Zen 3 core's L2 (half of a Zen 5's; a quarter or twice as much measured slower or the same there).</summary>
    private const int RowSliceFloats = 128 * 1024;

    /// <summary>K slice depth of <see cref="MultiplyRowStreaming"/> for <paramref name="n"/> rows of X: at least the
    /// GEMM's, at most K, a multiple of 8.</summary>
    internal static int RowSliceDepth(int n, int k) =>
        Math.Min(k, Math.Max(SliceDepth, RowSliceFloats / PackedBWidth(n) / 8 * 8));

    /// <summary>Floats of the packed Xᵀ and of Yᵀ (rows rounded up to the row groups, columns to the panels).</summary>
    internal static (int Packed, int Transposed) RowStreamingSizes(int m, int n, int k) =>
        (PackedBSize(k, n), checked(RoundUp(m, RowGroup) * PackedBWidth(n)));

    /// <summary>
    /// C[n × m] = (A[m × k]·B[n × k]ᵀ)ᵀ = B·Aᵀ, all row-major (ldc = m): the dense forward pass Y = X·Wᵀ with A = W and
    /// B = X. <paramref name="packed"/> and <paramref name="transposed"/> hold <see cref="RowStreamingSizes"/> floats.
    /// </summary>
    internal static unsafe void MultiplyRowStreaming(int m, int n, int k, float* a, float* b, float* c, float* packed,
        float* transposed, int lanes)
    {
        if (VectorWidth == 16) MultiplyRowStreaming<IndirectAKernel12x32, Kernel12x32>(m, n, k, a, b, c, packed, transposed, lanes);
        else MultiplyRowStreaming<IndirectAKernel6x16, Kernel6x16>(m, n, k, a, b, c, packed, transposed, lanes);
    }

    /// <summary>The row-streaming product with the kernel <typeparamref name="TK"/> on B̃ panels packed as <typeparamref name="TP"/>'s.</summary>
    private static unsafe void MultiplyRowStreaming<TK, TP>(int m, int n, int k, float* a, float* b, float* c, float* packed,
        float* transposed, int lanes) where TK : struct, IIndirectAKernel where TP : struct, IMicroKernel
    {
        int paddedN = PackedBWidth(n), kc = RowSliceDepth(n, k);
        // op(B) = Xᵀ [k × n] into KC slices of NR-column panels (PackedBOffset's layout).
        for (int pc = 0; pc < k; pc += kc)
            PackB<TP>(true, b, k, pc, 0, Math.Min(kc, k - pc), n, packed + (nint)pc * paddedN);
        int groups = (m + TK.MR - 1) / TK.MR;
        var body = new RowStreamingBody<TK>
        {
            M = m, K = k, Kc = kc, PaddedN = paddedN, A = a, Packed = packed, Transposed = transposed, Groups = groups,
            Lanes = Math.Max(1, Math.Min(lanes, groups)),
        };
        if (body.Lanes > 1) StaticParallel.For(body.Lanes, body.Lanes, body);
        else body.Run(0, 1);
        // Yᵀ [m × paddedN] → Y [n × m], eight by eight where both sides allow.
        int i0 = 0;
        for (; i0 + 8 <= m; i0 += 8)
        {
            int j0 = 0;
            for (; j0 + 8 <= n; j0 += 8) Transpose8x8(transposed + (nint)i0 * paddedN + j0, paddedN, c + (nint)j0 * m + i0, m);
            for (int j = j0; j < n; j++)
                for (int i = i0; i < i0 + 8; i++) c[(nint)j * m + i] = transposed[(nint)i * paddedN + j];
        }
        for (int j = 0; j < n; j++)
            for (int i = i0; i < m; i++) c[(nint)j * m + i] = transposed[(nint)i * paddedN + j];
    }

    private unsafe struct RowStreamingBody<TK> : IParallelBody where TK : struct, IIndirectAKernel
    {
        public int M, K, Kc, PaddedN, Groups, Lanes;
        public float* A, Packed, Transposed;

        public void Run(int start, int end)
        {
            int mr = TK.MR, nr = TK.NR;
            int* rows = stackalloc int[TK.MR];
            int kc = Kc;
            for (int lane = start; lane < end; lane++)
            {
                var (g0, g1) = StaticParallel.Partition(Groups, Lanes, lane);
                for (int pc = 0; pc < K; pc += kc)
                {
                    int kcb = Math.Min(kc, K - pc);
                    float* slice = Packed + (nint)pc * PaddedN;
                    for (int g = g0; g < g1; g++)
                    {
                        int i = g * mr;
                        // Rows past M read row 0; their results land in Yᵀ's padding rows and are dropped.
                        for (int r = 0; r < mr; r++) rows[r] = i + r < M ? (i + r) * K : 0;
                        float* c = Transposed + (nint)i * PaddedN;
                        // The group's rows (MR·kcb floats) stay in L1/L2 across the panels.
                        for (int j = 0; j < PaddedN; j += nr)
                            TK.Run(kcb, A + pc, rows, slice + (nint)j * kcb, c + j, PaddedN, pc > 0);
                    }
                }
            }
        }
    }
}
