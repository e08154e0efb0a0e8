using System;
using System.Runtime.CompilerServices;

namespace AlexNet.Gen.Kernels;

public static partial class Gemm
{
    /// <summary>Where the micro-kernel's B̃ panels for one (KC slice, NC block) come from.</summary>
    private unsafe interface IPanelSource<TSelf> where TSelf : struct, IPanelSource<TSelf>
    {
        /// <summary>NR-column panels of op(B)[pc..pc+kcb, jc..jc+ncb], each kcb·NR floats, one after the other.</summary>
        float* Panels<TK>(int pc, int jc, int kcb, int ncb) where TK : struct, IMicroKernel;

        /// <summary>The same source from column <paramref name="j0"/> (a multiple of NR) on, for one lane whose
        /// B̃ scratch starts <paramref name="scratchOffset"/> floats into the shared one.</summary>
        TSelf From<TK>(int j0, int scratchOffset) where TK : struct, IMicroKernel;
    }

    /// <summary>The usual source: packs op(B) from a row-major matrix into scratch, slice by slice.</summary>
    private readonly unsafe struct PackingSource(bool transB, float* b, int ldb, float* scratch) : IPanelSource<PackingSource>
    {
        public float* Panels<TK>(int pc, int jc, int kcb, int ncb) where TK : struct, IMicroKernel
        {
            PackB<TK>(transB, b, ldb, pc, jc, kcb, ncb, scratch);
            return scratch;
        }

        public PackingSource From<TK>(int j0, int scratchOffset) where TK : struct, IMicroKernel
            => new(transB, transB ? b + (nint)j0 * ldb : b + j0, ldb, scratch + scratchOffset);
    }

    /// <summary>
    /// op(B) already packed whole (element offsets: <see cref="PackedBOffset(int, int, int, int)"/>): KC slices in k order, each holding its NR-column
    /// panels for all n columns (<see cref="PackedBWidth"/> of them, a multiple of NR) one after the other.
    /// </summary>
    private readonly unsafe struct PrepackedSource(float* packed, int paddedN, int firstPanel) : IPanelSource<PrepackedSource>
    {
        public float* Panels<TK>(int pc, int jc, int kcb, int ncb) where TK : struct, IMicroKernel
            => packed + (nint)pc * paddedN + (nint)(firstPanel + jc / TK.NR) * kcb * TK.NR;

        public PrepackedSource From<TK>(int j0, int scratchOffset) where TK : struct, IMicroKernel
            => new(packed, paddedN, firstPanel + j0 / TK.NR);
    }

    /// <summary>Columns of a packed B̃ panel (the micro-kernel's NR) at the current SIMD width.</summary>
    internal static int PanelWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => VectorWidth switch
        {
            16 => Kernel12x32.NR,
            8 => Kernel6x16.NR,
            _ => Kernel4x4.NR,
        };
    }

    /// <summary>Rows of a K slice (the micro-kernel's KC, or the test override) at the current SIMD width.</summary>
    internal static int SliceDepth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => VectorWidth switch
        {
            16 => BlockK<Kernel12x32>(),
            8 => BlockK<Kernel6x16>(),
            _ => BlockK<Kernel4x4>(),
        };
    }

    /// <summary>n rounded up to whole panels: the row length of every K slice of a packed op(B).</summary>
    internal static int PackedBWidth(int n) => RoundUp(n, PanelWidth);

    /// <summary>Floats of a whole packed op(B) [k × n].</summary>
    internal static int PackedBSize(int k, int n) => checked(k * PackedBWidth(n));

    /// <summary>
    /// Where op(B)[row, column] of a packed op(B) with <paramref name="k"/> rows and <paramref name="paddedN"/> =
    /// <see cref="PackedBWidth"/>(n) columns sits. The next <see cref="PanelWidth"/> − column % PanelWidth columns of
    /// that row follow it; the same columns of the next row of the K slice are <see cref="PanelWidth"/> floats on.
    /// </summary>
    internal static nint PackedBOffset(int row, int column, int k, int paddedN) => PackedBOffset(row, column, k, paddedN, SliceDepth, PanelWidth);

    /// <summary><see cref="PackedBOffset(int, int, int, int)"/> with the slice depth and panel width the caller looked up once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per 8 tiles of a Winograd input transform
    internal static nint PackedBOffset(int row, int column, int k, int paddedN, int kc, int nr)
    {
        int pc = row / kc * kc, sliceRows = Math.Min(kc, k - pc);
        return (nint)pc * paddedN + (nint)(column / nr) * sliceRows * nr + (nint)(row - pc) * nr + column % nr;
    }

    /// <summary>
    /// C[M×N] (+)= A[M×K] · op(B) with A row-major and op(B) packed whole by the caller (layout of
    /// <see cref="PackedBOffset(int, int, int, int)"/>, for the current SIMD width): the convolutions write their im2col columns straight
    /// into this layout instead of a column matrix that the GEMM would copy again. Same arithmetic, same bits as
    /// <see cref="MultiplyCore"/> on the unpacked matrix. <paramref name="packA"/> holds lanes·<see cref="PackASize"/>.
    /// </summary>
    internal static unsafe void MultiplyPrepacked(int m, int n, int k, float* a, int lda, float* packedB, float* c, int ldc,
        bool accumulate, float* packA, int lanes)
    {
        if (m <= 0 || n <= 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<float>(c + (nint)i * ldc, n).Clear();
            return;
        }
        var source = new PrepackedSource(packedB, PackedBWidth(n), 0);
        switch (VectorWidth)
        {
            case 16: Run<Kernel12x32, PrepackedSource>(false, m, n, k, a, lda, source, 0, c, ldc, accumulate, packA, lanes); break;
            case 8: Run<Kernel6x16, PrepackedSource>(false, m, n, k, a, lda, source, 0, c, ldc, accumulate, packA, lanes); break;
            default: Run<Kernel4x4, PrepackedSource>(false, m, n, k, a, lda, source, 0, c, ldc, accumulate, packA, lanes); break;
        }
    }
}
