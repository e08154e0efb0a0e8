using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Single-precision GEMM, BLIS-style: for each NC-column block of op(B) and KC-deep slice, B̃ is packed into
/// NR-column panels; for each MC-row block of op(A), Ã is packed into MR-row panels; a register-blocked
/// micro-kernel (12×32 on AVX-512, 6×16 on AVX2, 4×4 scalar) then sweeps the MR×NR tiles.
/// </summary>
/// <remarks>
/// <para>Workspace slots used by the dense linear-algebra kernels (slots 0–14 are reserved for them):</para>
/// <list type="bullet">
/// <item>0 — packed Ã panels, one region per lane (<see cref="SlotPackA"/>).</item>
/// <item>1 — packed B̃ panels, one region per lane (<see cref="SlotPackB"/>).</item>
/// <item>2 — convolution columns (packed for <see cref="MultiplyPrepacked"/>), one per lane (<see cref="SlotColumns"/>).</item>
/// <item>3 — per-chunk partial weight/bias gradients (<see cref="SlotPartials"/>).</item>
/// <item>4 — convolution column gradients before col2im, one per lane (<see cref="SlotColumnGradient"/>).</item>
/// <item>5 — a blocked convolution's output (forward) or gathered output gradients (backward), one per lane
/// (<see cref="SlotBlockMatrix"/>).</item>
/// <item>6 — staging rows of the convolutions' packed im2col, one per lane (<see cref="SlotStaging"/>).</item>
/// <item>7 — a Winograd convolution's transformed weights (<see cref="SlotWinogradWeights"/>); 16 — the input gradient's,
/// packed whole for the micro-kernel (<see cref="SlotWinogradPackedWeights"/>).</item>
/// <item>8, 9 — its transformed input tiles and tile products, one per lane (<see cref="SlotWinogradInput"/>,
/// <see cref="SlotWinogradProducts"/>).</item>
/// <item>10, 11, 12 — a Winograd weight gradient's transformed input, transformed output gradients and per-chunk sums,
/// one per lane (<see cref="SlotWeightGradientInput"/>, <see cref="SlotWeightGradientOutput"/>, <see cref="SlotWeightGradientSums"/>).</item>
/// <item>13, 14 — an implicit-GEMM convolution's tap offsets (ints) and its weight gradient's per-chunk dWᵀ sums, one per
/// lane (<see cref="SlotImplicitRows"/>, <see cref="SlotImplicitSums"/>); its phase planes use slot 2, its output block
/// slot 5 and its packed weights slot 0.</item>
/// <item>17 — a channels-last weight gradient's first chunk, tap-major (<see cref="SlotChannelsLastWeights"/>); its input
/// copy uses slot 2, its row table slot 13.</item>
/// </list>
/// <para>
/// Determinism: work is split over M or N only (never K), and every element of C goes through the same
/// micro-kernel arithmetic in the same k order, so results are bitwise identical for any thread count.
/// </para>
/// </remarks>
public static partial class Gemm
{
    internal const int SlotPackA = 0;
    internal const int SlotPackB = 1;
    internal const int SlotColumns = 2;
    internal const int SlotPartials = 3;
    internal const int SlotColumnGradient = 4;
    internal const int SlotBlockMatrix = 5;
    internal const int SlotStaging = 6;
    internal const int SlotWinogradWeights = 7;
    internal const int SlotWinogradInput = 8;
    internal const int SlotWinogradProducts = 9;
    internal const int SlotWeightGradientInput = 10;
    internal const int SlotWeightGradientOutput = 11;
    internal const int SlotWeightGradientSums = 12;
    internal const int SlotImplicitRows = 13;
    internal const int SlotImplicitSums = 14;
    internal const int SlotImplicitTile = 15;
    internal const int SlotWinogradPackedWeights = 16;
    internal const int SlotChannelsLastWeights = 17;

    /// <summary>Multiply-adds below which a GEMM stays on one thread (a fork/join costs tens of microseconds).</summary>
    internal const long ParallelThreshold = 1L << 20;

    /// <summary>Test switch: 0 = pick from the hardware, 16 = Vector512, 8 = Vector256, 1 = scalar.</summary>
    internal static int ForceVectorWidth;

    /// <summary>Test switches: override MC/KC/NC (0 = the kernel's default) to exercise every blocking edge on small inputs.</summary>
    internal static int ForceBlockM, ForceBlockK, ForceBlockN;

    /// <summary>The SIMD width every kernel in this family uses for the current call.</summary>
    internal static int VectorWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int forced = ForceVectorWidth;
            if (forced != 0) return forced >= 16 ? 16 : forced >= 8 ? 8 : 1;
            if (Vector512.IsHardwareAccelerated) return 16;
            if (Vector256.IsHardwareAccelerated) return 8;
            return 1;
        }
    }

    /// <summary>C[M×N] (+)= op(A)[M×K] · op(B)[K×N], row-major with leading dimensions; accumulate = false overwrites C.</summary>
    public static unsafe void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float* a, int lda, float* b, int ldb,
        float* c, int ldc, bool accumulate, Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ValidateShape(transposeA, transposeB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (c == null) throw new ArgumentNullException(nameof(c), "GEMM C pointer is null.");
        if (k > 0 && (a == null || b == null))
            throw new ArgumentNullException(a == null ? nameof(a) : nameof(b), "GEMM operand pointer is null.");
        int lanes = ChooseLanes(m, n, k);
        float[] packA = workspace.GetArray(SlotPackA, lanes * PackASize(m, k));
        float[] packB = workspace.GetArray(SlotPackB, lanes * PackBSize(n, k));
        fixed (float* pa = packA)
        fixed (float* pb = packB)
            MultiplyCore(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, pa, pb, lanes);
    }

    /// <summary>Span overload of <see cref="Multiply(bool, bool, int, int, int, float*, int, float*, int, float*, int, bool, Workspace)"/>; validates lengths.</summary>
    public static unsafe void Multiply(bool transposeA, bool transposeB, int m, int n, int k, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate, Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ValidateShape(transposeA, transposeB, m, n, k, lda, ldb, ldc);
        CheckLength("A", a.Length, transposeA ? k : m, transposeA ? m : k, lda, nameof(a));
        CheckLength("B", b.Length, transposeB ? n : k, transposeB ? k : n, ldb, nameof(b));
        CheckLength("C", c.Length, m, n, ldc, nameof(c));
        if (m == 0 || n == 0) return;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Multiply(transposeA, transposeB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, workspace);
    }

    private static void ValidateShape(bool transposeA, bool transposeB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "GEMM m must not be negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "GEMM n must not be negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "GEMM k must not be negative.");
        CheckLeading("lda", lda, transposeA ? m : k, transposeA ? "m (A is transposed)" : "k");
        CheckLeading("ldb", ldb, transposeB ? k : n, transposeB ? "k (B is transposed)" : "n");
        CheckLeading("ldc", ldc, n, "n");
    }

    private static void CheckLeading(string name, int value, int columns, string what)
    {
        if (value < Math.Max(1, columns))
            throw new ArgumentException($"GEMM {name} = {value} is smaller than the row length {what} = {columns}.", name);
    }

    private static void CheckLength(string matrix, int length, int rows, int columns, int leading, string parameter)
    {
        long need = rows == 0 || columns == 0 ? 0 : (long)(rows - 1) * leading + columns;
        if (length < need)
            throw new ArgumentException($"GEMM {matrix} has {length} floats but {rows}×{columns} with leading dimension {leading} needs {need}.", parameter);
    }

    /// <summary>Threads a GEMM of this size should use: one below <see cref="ParallelThreshold"/>, else all.</summary>
    internal static int ChooseLanes(int m, int n, int k)
    {
        int threads = StaticParallel.ThreadCount;
        if (threads <= 1 || (long)m * n * k < ParallelThreshold) return 1;
        return threads;
    }

    /// <summary>Floats of packed Ã one lane needs for this problem at the current SIMD width.</summary>
    internal static int PackASize(int m, int k) => VectorWidth switch
    {
        16 => PackASize<Kernel12x32>(m, k),
        8 => PackASize<Kernel6x16>(m, k),
        _ => PackASize<Kernel4x4>(m, k),
    };

    /// <summary>Floats of packed B̃ one lane needs for this problem at the current SIMD width.</summary>
    internal static int PackBSize(int n, int k) => VectorWidth switch
    {
        16 => PackBSize<Kernel12x32>(n, k),
        8 => PackBSize<Kernel6x16>(n, k),
        _ => PackBSize<Kernel4x4>(n, k),
    };

    private static int PackASize<TK>(int m, int k) where TK : struct, IMicroKernel
        => m <= 0 || k <= 0 ? 0 : checked(Math.Min(RoundUp(m, TK.MR), BlockM<TK>()) * Math.Min(k, BlockK<TK>()));

    private static int PackBSize<TK>(int n, int k) where TK : struct, IMicroKernel
        => n <= 0 || k <= 0 ? 0 : checked(Math.Min(RoundUp(n, TK.NR), BlockN<TK>()) * Math.Min(k, BlockK<TK>()));

    private static int BlockM<TK>() where TK : struct, IMicroKernel => ForceBlockM > 0 ? RoundUp(ForceBlockM, TK.MR) : TK.MC;
    private static int BlockK<TK>() where TK : struct, IMicroKernel => ForceBlockK > 0 ? ForceBlockK : TK.KC;
    private static int BlockN<TK>() where TK : struct, IMicroKernel => ForceBlockN > 0 ? RoundUp(ForceBlockN, TK.NR) : TK.NC;

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// The GEMM on caller-provided scratch: <paramref name="packA"/> and <paramref name="packB"/> hold
    /// <paramref name="lanes"/> regions of <see cref="PackASize"/> / <see cref="PackBSize"/> floats.
    /// lanes = 1 runs on the calling thread (used inside other parallel kernels).
    /// </summary>
    internal static unsafe void MultiplyCore(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb,
        float* c, int ldc, bool accumulate, float* packA, float* packB, int lanes)
    {
        if (m <= 0 || n <= 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<float>(c + (nint)i * ldc, n).Clear();
            return;
        }
        switch (VectorWidth)
        {
            case 16: Run<Kernel12x32>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, packA, packB, lanes); break;
            case 8: Run<Kernel6x16>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, packA, packB, lanes); break;
            default: Run<Kernel4x4>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, packA, packB, lanes); break;
        }
    }

    private static unsafe void Run<TK>(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb,
        float* c, int ldc, bool accumulate, float* packA, float* packB, int lanes) where TK : struct, IMicroKernel
        => Run<TK, PackingSource>(transA, m, n, k, a, lda, new PackingSource(transB, b, ldb, packB), PackBSize<TK>(n, k),
            c, ldc, accumulate, packA, lanes);

    /// <summary>
    /// Splits the GEMM over lanes (1 = on the calling thread). <paramref name="bScratch"/> is the per-lane size of the
    /// B̃ scratch the source packs into (0 for a source that needs none).
    /// </summary>
    private static unsafe void Run<TK, TB>(bool transA, int m, int n, int k, float* a, int lda, TB source, int bScratch,
        float* c, int ldc, bool accumulate, float* packA, int lanes) where TK : struct, IMicroKernel where TB : struct, IPanelSource<TB>
    {
        if (lanes <= 1)
        {
            MultiplySerial<TK, PackingASource, TB>(m, n, k, new PackingASource(transA, a, lda, packA), source, c, ldc, accumulate);
            return;
        }
        // Split whichever dimension balances better in whole micro-panels (ties go to N: each lane then streams
        // only its share of B, and A, usually the smaller operand, is packed by both).
        int nPanels = (n + TK.NR - 1) / TK.NR;
        int mPanels = (m + TK.MR - 1) / TK.MR;
        bool splitN = Balance(nPanels, lanes) >= Balance(mPanels, lanes);
        int panels = splitN ? nPanels : mPanels;
        int used = Math.Min(lanes, panels);
        var body = new ParallelBody<TK, TB>
        {
            TransA = transA, M = m, N = n, K = k, A = a, Lda = lda, Source = source, BScratch = bScratch, C = c, Ldc = ldc,
            Accumulate = accumulate, PackA = packA, PackASize = PackASize<TK>(m, k), SplitN = splitN, Panels = panels, Lanes = used,
        };
        if (used <= 1) body.Run(0, 1);
        else StaticParallel.For(used, used, body);
    }

    private static double Balance(int panels, int lanes)
    {
        int largest = (panels + lanes - 1) / lanes;
        return (double)panels / ((long)largest * lanes);
    }

    private unsafe struct ParallelBody<TK, TB> : IParallelBody where TK : struct, IMicroKernel where TB : struct, IPanelSource<TB>
    {
        public bool TransA, Accumulate, SplitN;
        public int M, N, K, Lda, Ldc, PackASize, BScratch, Panels, Lanes;
        public float* A, C, PackA;
        public TB Source;

        public void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                var (p0, p1) = StaticParallel.Partition(Panels, Lanes, lane);
                float* packA = PackA + (nint)lane * PackASize;
                int scratch = lane * BScratch;
                if (SplitN)
                {
                    int j0 = p0 * TK.NR, j1 = Math.Min(p1 * TK.NR, N);
                    if (j1 <= j0) continue;
                    MultiplySerial<TK, PackingASource, TB>(M, j1 - j0, K, new PackingASource(TransA, A, Lda, packA), Source.From<TK>(j0, scratch),
                        C + j0, Ldc, Accumulate);
                }
                else
                {
                    int i0 = p0 * TK.MR, i1 = Math.Min(p1 * TK.MR, M);
                    if (i1 <= i0) continue;
                    float* a = TransA ? A + i0 : A + (nint)i0 * Lda;
                    MultiplySerial<TK, PackingASource, TB>(i1 - i0, N, K, new PackingASource(TransA, a, Lda, packA), Source.From<TK>(0, scratch),
                        C + (nint)i0 * Ldc, Ldc, Accumulate);
                }
            }
        }
    }

    /// <summary>The five BLIS loops around the micro-kernel, on one thread; <paramref name="a"/> gives each block's Ã panels.</summary>
    private static unsafe void MultiplySerial<TK, TA, TB>(int m, int n, int k, TA a, TB source, float* c, int ldc, bool accumulate)
        where TK : struct, IMicroKernel where TA : struct, IAPanelSource where TB : struct, IPanelSource<TB>
    {
        int mc = BlockM<TK>(), kc = BlockK<TK>(), nc = BlockN<TK>();
        for (int jc = 0; jc < n; jc += nc)
        {
            int ncb = Math.Min(nc, n - jc);
            for (int pc = 0; pc < k; pc += kc)
            {
                int kcb = Math.Min(kc, k - pc);
                float* packB = source.Panels<TK>(pc, jc, kcb, ncb);
                // The first K slice overwrites C unless the caller accumulates; later slices always add.
                bool add = accumulate || pc > 0;
                for (int ic = 0; ic < m; ic += mc)
                {
                    int mcb = Math.Min(mc, m - ic);
                    Macro<TK>(mcb, ncb, kcb, a.Panels<TK>(ic, pc, mcb, kcb), packB, c + (nint)ic * ldc + jc, ldc, add,
                        prefetchA: typeof(TA) == typeof(PackedASource));
                }
            }
        }
    }

    /// <summary>Where the micro-kernel's Ã panels for one (MC block, KC slice) come from.</summary>
    private unsafe interface IAPanelSource
    {
        /// <summary>MR-row panels of A[ic..ic+mcb, pc..pc+kcb], each kcb·MR floats, one after the other.</summary>
        float* Panels<TK>(int ic, int pc, int mcb, int kcb) where TK : struct, IMicroKernel;
    }

    /// <summary>The usual source: packs op(A) (row-major, or Aᵀ stored) into scratch, block by block.</summary>
    private readonly unsafe struct PackingASource(bool transA, float* a, int lda, float* scratch) : IAPanelSource
    {
        public float* Panels<TK>(int ic, int pc, int mcb, int kcb) where TK : struct, IMicroKernel
        {
            PackA<TK>(transA, a, lda, ic, pc, mcb, kcb, scratch);
            return scratch;
        }
    }

    /// <summary>
    /// The two loops around the micro-kernel. With <paramref name="prefetchA"/> (A packed whole and read in place, usually
    /// cold: a Winograd layer's transformed weights, megabytes read once a call at batch 1), the AVX-512 kernel's calls on
    /// the first column panel load the next Ã panel as they go, a line per k step. The hardware prefetchers start again at
    /// every 4 KB page and a 12-row panel of 192–384 columns spans two to five.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void Macro<TK>(int mcb, int ncb, int kcb, float* packA, float* packB, float* c, int ldc, bool add,
        bool prefetchA = false)
        where TK : struct, IMicroKernel
    {
        int mr = TK.MR, nr = TK.NR;
        float* edge = stackalloc float[TK.MR * TK.NR];
        for (int jr = 0; jr < ncb; jr += nr)
        {
            int cols = Math.Min(nr, ncb - jr);
            float* bp = packB + (nint)jr * kcb;
            for (int ir = 0; ir < mcb; ir += mr)
            {
                int rows = Math.Min(mr, mcb - ir);
                float* ap = packA + (nint)ir * kcb;
                float* cp = c + (nint)ir * ldc + jr;
                if (rows == mr && cols == nr)
                {
                    // Past the block's last panel lies the next block's (or slice's) first: the packing is contiguous.
                    if (typeof(TK) == typeof(Kernel12x32) && prefetchA && jr == 0) Kernel12x32.RunPrefetching(kcb, ap, bp, cp, ldc, add, (nint)mr * kcb);
                    else TK.Run(kcb, ap, bp, cp, ldc, add);
                }
                else if (typeof(TK) == typeof(Kernel12x32) && cols < nr && EdgeColumnsKernel.Handles(cols))
                {
                    // The last 1–24 columns without a full tile's multiply-adds (same arithmetic per element).
                    EdgeColumnsKernel.Run(rows, cols, kcb, ap, bp, cp, ldc, add);
                }
                else if (typeof(TK) == typeof(Kernel12x32) && rows <= 8 && cols == nr)
                {
                    // The last rows of Ã without the padding's multiply-adds (same arithmetic per row).
                    ShortPanelKernel.Run<PackedBRows>(rows, kcb, ap, bp, null, cp, ldc, add);
                }
                else
                {
                    // Partial tile: full-tile arithmetic into scratch, then the valid part, so edge elements
                    // are computed exactly like interior ones.
                    if (typeof(TK) == typeof(Kernel12x32) && rows <= 8) ShortPanelKernel.Run<PackedBRows>(rows, kcb, ap, bp, null, edge, nr, false);
                    else TK.Run(kcb, ap, bp, edge, nr, false);
                    StoreEdge(edge, nr, rows, cols, cp, ldc, add);
                }
            }
        }
    }

    /// <summary>C[0..rows, 0..cols] = (or +=) the valid part of an edge tile computed into scratch (rows <paramref name="edgeStride"/>
    /// apart), so edge elements get exactly the arithmetic of interior ones.</summary>
    internal static unsafe void StoreEdge(float* edge, int edgeStride, int rows, int cols, float* c, int ldc, bool add)
    {
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + (nint)r * ldc;
            float* er = edge + (nint)r * edgeStride;
            if (add)
                for (int j = 0; j < cols; j++) cr[j] += er[j];
            else
                for (int j = 0; j < cols; j++) cr[j] = er[j];
        }
    }
}
