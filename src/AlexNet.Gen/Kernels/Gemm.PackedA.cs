using System;

namespace AlexNet.Gen.Kernels;

public static partial class Gemm
{
    // A packed whole, once, for operands that outlive one call (Winograd-transformed weights kept across inference
    // calls): the GEMM then only reads it. Layout: KC slices in k order, each holding the MR-row panels of all m rows
    // (RoundUp(m, MR) rows, the last panel zero-padded) one after the other, so the panels of any MC block of slice pc
    // start at pc·RoundUp(m, MR) + ic·kcb, where the per-call packing would have put them at 0.

    /// <summary>Floats of a whole packed A [m × k] at the current SIMD width.</summary>
    internal static int PackedASize(int m, int k) => m <= 0 || k <= 0 ? 0 : checked(RoundUp(m, MicroRows) * k);

    /// <summary>Rows of a micro-kernel panel (its MR) at the current SIMD width.</summary>
    private static int MicroRows => VectorWidth switch
    {
        16 => Kernel12x32.MR,
        8 => Kernel6x16.MR,
        _ => Kernel4x4.MR,
    };

    /// <summary>Packs row-major A [m × k] (leading dimension <paramref name="lda"/>) whole into <paramref name="packed"/>
    /// (<see cref="PackedASize"/> floats), in the layout <see cref="MultiplyPacked"/> reads.</summary>
    internal static unsafe void PackAWhole(int m, int k, float* a, int lda, float* packed)
    {
        switch (VectorWidth)
        {
            case 16: PackAWhole<Kernel12x32>(m, k, a, lda, packed); break;
            case 8: PackAWhole<Kernel6x16>(m, k, a, lda, packed); break;
            default: PackAWhole<Kernel4x4>(m, k, a, lda, packed); break;
        }
    }

    /// <summary>AVX-512 only: A[0..m, p0..p0+kcb] (row-major, <paramref name="lda"/>) as 12-row panels of kcb·12 floats, panel i
    /// at <paramref name="dst"/> + 12·i·kcb, the last one zero-padded (what the GEMM's own packing writes for one block).</summary>
    internal static unsafe void PackRowPanels12(float* a, int lda, int m, int p0, int kcb, float* dst) =>
        PackA<Kernel12x32>(false, a, lda, 0, p0, m, kcb, dst);

    private static unsafe void PackAWhole<TK>(int m, int k, float* a, int lda, float* packed) where TK : struct, IMicroKernel
    {
        int mc = BlockM<TK>(), kc = BlockK<TK>(), paddedM = RoundUp(m, TK.MR);
        for (int pc = 0; pc < k; pc += kc)
        {
            int kcb = Math.Min(kc, k - pc);
            for (int ic = 0; ic < m; ic += mc)
                PackA<TK>(false, a, lda, ic, pc, Math.Min(mc, m - ic), kcb, packed + (nint)pc * paddedM + (nint)ic * kcb);
        }
    }

    /// <summary>
    /// C[m×n] (+)= A · op(B) on the calling thread with both operands packed whole: A by <see cref="PackAWhole"/>, op(B)
    /// as for <see cref="MultiplyPrepacked"/>. The micro-kernel sees the same panels as in <see cref="MultiplyPrepacked"/>,
    /// so the result has the same bits.
    /// </summary>
    internal static unsafe void MultiplyPacked(int m, int n, int k, float* packedA, float* packedB, float* c, int ldc, bool accumulate)
    {
        if (m <= 0 || n <= 0 || k <= 0)
        {
            MultiplyPrepacked(m, n, k, packedA, k, packedB, c, ldc, accumulate, null, 1);
            return;
        }
        var source = new PrepackedSource(packedB, PackedBWidth(n), 0);
        var a = new PackedASource(packedA, RoundUp(m, MicroRows));
        switch (VectorWidth)
        {
            case 16: MultiplySerial<Kernel12x32, PackedASource, PrepackedSource>(m, n, k, a, source, c, ldc, accumulate); break;
            case 8: MultiplySerial<Kernel6x16, PackedASource, PrepackedSource>(m, n, k, a, source, c, ldc, accumulate); break;
            default: MultiplySerial<Kernel4x4, PackedASource, PrepackedSource>(m, n, k, a, source, c, ldc, accumulate); break;
        }
    }

    /// <summary>A packed whole: the panels of block ic in slice pc, read in place.</summary>
    private readonly unsafe struct PackedASource(float* packed, int paddedM) : IAPanelSource
    {
        public float* Panels<TK>(int ic, int pc, int mcb, int kcb) where TK : struct, IMicroKernel =>
            packed + (nint)pc * paddedM + (nint)ic * kcb;
    }
}
