using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // The GEMMs read a 3×3 layer's transformed weights packed whole: for each ξ, 12-row panels of U_ξ, k-major, 12 floats per
    // column. TransformWeights had written the 16 (36) planes U_ξ[k, c] row by row, and PackTransformedWeights then
    // transposed them into panels: two passes over planes as large as the weights times 16/9 (36/9), and the transform's 8
    // columns a vector stored into 16 planes. The compact net's conv3 backward pass (64 → 128 channels, 7×7, batch 16),
    // which rebuilds its flipped weights every call, spent 62–100 µs a call on that (23–37 µs now), and every Winograd
    // layer's forward pass pays it once per training step (torchvision conv5: 425 → 245 µs). Here the transform runs with
    // a panel's 12 rows in the vector lanes (rows 0–7 of two columns and rows 8–11 of both in three vectors), so each ξ's
    // 24 floats go straight to their place in the panel. The arithmetic per lane is TransformWeightRow's and
    // TransformWeightRow43's, so the bits are the same.

    /// <summary>Whether <see cref="TransformAndPackWeights"/> applies: 3×3 kernels, the AVX-512 GEMM's 12-row panels, AVX2 gathers.</summary>
    internal static bool PacksWeightPanelsDirectly(in Geometry g) =>
        g.KernelHeight == 3 && g.KernelWidth == 3 && Gemm.VectorWidth == 16 && Avx2.IsSupported && FusedWeightPacking;

    /// <summary>Test switch: false builds packed weights by <see cref="TransformWeights"/> and <see cref="PackTransformedWeights"/>.</summary>
    internal static bool FusedWeightPacking = true;

    /// <summary>
    /// What <see cref="TransformWeights"/> followed by <see cref="PackTransformedWeights"/> writes, in one pass (where
    /// <see cref="PacksWeightPanelsDirectly"/>): U_ξ of group gr packed whole at [(gr·Elements + ξ)·<see cref="PackedWeightPlane"/>],
    /// the weights flipped and transposed for the input gradient's convolution when <paramref name="flipped"/>. Panels
    /// are split over the threads.
    /// </summary>
    internal static unsafe void TransformAndPackWeights(in Geometry g, in WinogradPlan plan, float* w, float* packed, bool flipped)
    {
        int panels = (g.OutPerGroup + 11) / 12;
        var body = new WeightPanelsBody
        {
            G = g, W = w, Packed = packed, Flipped = flipped, Tile = plan.Tile, Elements = plan.Elements, Panels = panels,
            PackedSize = PackedWeightPlane(g), SliceDepth = Gemm.SliceDepth,
        };
        int units = g.Groups * panels;
        // Both threads from 64 K transformed floats, as TransformWeights.
        if (StaticParallel.ThreadCount > 1 && units > 1 && (long)g.Groups * g.OutPerGroup * g.InPerGroup * plan.Elements >= 65536)
            StaticParallel.For(units, body);
        else body.Run(0, units);
    }

    private unsafe struct WeightPanelsBody : IParallelBody
    {
        public Geometry G;
        public float* W, Packed;
        public bool Flipped;
        public int Tile, Elements, Panels, PackedSize, SliceDepth;

        public readonly void Run(int start, int end)
        {
            for (int unit = start; unit < end; unit++)
            {
                int group = unit / Panels, panel = unit % Panels;
                if (Tile == 4) Panel<F43>(group, panel);
                else Panel<F23>(group, panel);
            }
        }

        /// <summary>Panel <paramref name="panel"/> (rows 12·panel …) of every U_ξ of <paramref name="group"/>, two columns at a time.</summary>
        [SkipLocalsInit]
        private readonly void Panel<TF>(int group, int panel) where TF : struct, IWeightTransform
        {
            Geometry g = G;
            int taps = 9, rows = g.OutPerGroup, columns = g.InPerGroup, r0 = 12 * panel, paddedM = (rows + 11) / 12 * 12;
            // Tap e of the transformed layer's (k, c) at wg[k·rowStride + c·step + e] (WeightRow's addressing).
            int rowStride = Flipped ? taps : columns * taps, step = Flipped ? rows * taps : taps;
            float* first = W + (nint)group * rows * columns * taps + (nint)r0 * rowStride;
            float* planes = Packed + (nint)group * Elements * PackedSize;
            // Lanes: rows r0..r0+7 of one column; rows r0+8..r0+11 of column c (lanes 0–3) and of c + 1 (lanes 4–7).
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            Vector256<int> lowRows = lanes * rowStride;
            Vector256<int> highRows = (Vector256.Create(8, 9, 10, 11, 8, 9, 10, 11) * rowStride) + (Vector256.Create(0, 0, 0, 0, 1, 1, 1, 1) * step);
            Vector256<int> valid = Vector256.LessThan(lanes + Vector256.Create(r0), Vector256.Create(rows));
            Vector256<int> highValid = Vector256.LessThan(Vector256.Create(8, 9, 10, 11, 8, 9, 10, 11) + Vector256.Create(r0), Vector256.Create(rows));
            bool partial = r0 + 12 > rows;
            Vector256<float>* w = stackalloc Vector256<float>[27];
            Vector256<float>* u = stackalloc Vector256<float>[3 * 36];
            Vector256<float>* t = stackalloc Vector256<float>[18];
            for (int c = 0; c < columns; c += 2)
            {
                bool pair = c + 1 < columns;
                Vector256<float> lowMask = valid.AsSingle(), highMask = (pair ? highValid : highValid & Vector256.Create(-1, -1, -1, -1, 0, 0, 0, 0)).AsSingle();
                float* at = first + (nint)c * step;
                if (pair && !partial)
                {
                    // Every lane's 9 taps are contiguous: taps 0–7 of 8 lanes by a register transpose, tap 8 gathered
                    // (27 gathers had taken twice as long). Tap (i, j) of the transformed layer is the original's
                    // (2 − i, 2 − j) when flipped (TapOffset): the transposes then store taps 0–7 to w[8] … w[1], tap 8 goes
                    // to w[0] (copying them over in a second loop, a branch per tap, had made the transform 7–20 % slower).
                    // Two calls with constant arguments, so each inlined copy stores to fixed slots.
                    if (Flipped) GatherTaps(at, step, rowStride, lowRows, highRows, w, flipped: true);
                    else GatherTaps(at, step, rowStride, lowRows, highRows, w, flipped: false);
                }
                else
                {
                    for (int e = 0; e < taps; e++)
                    {
                        int source = Flipped ? taps - 1 - e : e;
                        w[e] = Avx2.GatherMaskVector256(Vector256<float>.Zero, at + source, lowRows, lowMask, 4);
                        w[9 + e] = pair ? Avx2.GatherMaskVector256(Vector256<float>.Zero, at + step + source, lowRows, lowMask, 4) : Vector256<float>.Zero;
                        w[18 + e] = Avx2.GatherMaskVector256(Vector256<float>.Zero, at + source, highRows, highMask, 4);
                    }
                }
                for (int v = 0; v < 3; v++) TF.Transform(w + 9 * v, u + 36 * v, t);
                if (partial)
                {
                    // Zero rows transform to −0 in places (−1/6 · 0); the padding rows are +0, as the two passes leave them.
                    for (int xi = 0; xi < Elements; xi++)
                    {
                        u[xi] &= valid.AsSingle();
                        u[36 + xi] &= valid.AsSingle();
                        u[72 + xi] &= highValid.AsSingle();
                    }
                }
                float* d0 = planes + PanelOffset(paddedM, columns, r0, c), d1 = pair ? planes + PanelOffset(paddedM, columns, r0, c + 1) : null;
                for (int xi = 0; xi < Elements; xi++)
                {
                    nint plane = (nint)xi * PackedSize;
                    Vector256<float> high = u[72 + xi];
                    Vector256.Store(u[xi], d0 + plane);
                    Vector128.Store(high.GetLower(), d0 + plane + 8);
                    if (pair)
                    {
                        Vector256.Store(u[36 + xi], d1 + plane);
                        Vector128.Store(high.GetUpper(), d1 + plane + 8);
                    }
                }
            }
        }

        /// <summary>
        /// The 27 tap vectors of a full column pair from their rows at <paramref name="at"/> (9 of rows 0–7 of column c, 9 of
        /// column c + 1, 9 of rows 8–11 of both): tap e of each nine to w[e], or to w[8 − e] when <paramref name="flipped"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void GatherTaps(float* at, int step, int rowStride, Vector256<int> lowRows, Vector256<int> highRows,
            Vector256<float>* w, bool flipped)
        {
            int first = flipped ? 8 : 0, direction = flipped ? -1 : 1, last = 8 - first;
            float* at1 = at + step;
            Transpose8(at, at + rowStride, at + 2 * rowStride, at + 3 * rowStride, at + 4 * rowStride, at + 5 * rowStride,
                at + 6 * rowStride, at + 7 * rowStride, w + first, direction);
            Transpose8(at1, at1 + rowStride, at1 + 2 * rowStride, at1 + 3 * rowStride, at1 + 4 * rowStride, at1 + 5 * rowStride,
                at1 + 6 * rowStride, at1 + 7 * rowStride, w + 9 + first, direction);
            float* h0 = at + 8 * rowStride, h1 = at1 + 8 * rowStride;
            Transpose8(h0, h0 + rowStride, h0 + 2 * rowStride, h0 + 3 * rowStride, h1, h1 + rowStride, h1 + 2 * rowStride,
                h1 + 3 * rowStride, w + 18 + first, direction);
            w[last] = Avx2.GatherVector256(at + 8, lowRows, 4);
            w[9 + last] = Avx2.GatherVector256(at1 + 8, lowRows, 4);
            w[18 + last] = Avx2.GatherVector256(at + 8, highRows, 4);
        }

        /// <summary>dst[q · direction] = lane i: row i's float q (8×8 register transpose of rows p0 … p7).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Transpose8(float* p0, float* p1, float* p2, float* p3, float* p4, float* p5, float* p6, float* p7,
            Vector256<float>* dst, int direction = 1)
        {
            Vector256<float> r0 = Avx.LoadVector256(p0), r1 = Avx.LoadVector256(p1), r2 = Avx.LoadVector256(p2), r3 = Avx.LoadVector256(p3);
            Vector256<float> r4 = Avx.LoadVector256(p4), r5 = Avx.LoadVector256(p5), r6 = Avx.LoadVector256(p6), r7 = Avx.LoadVector256(p7);
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            dst[0] = Avx.Permute2x128(u0, u4, 0x20);
            dst[direction] = Avx.Permute2x128(u1, u5, 0x20);
            dst[2 * direction] = Avx.Permute2x128(u2, u6, 0x20);
            dst[3 * direction] = Avx.Permute2x128(u3, u7, 0x20);
            dst[4 * direction] = Avx.Permute2x128(u0, u4, 0x31);
            dst[5 * direction] = Avx.Permute2x128(u1, u5, 0x31);
            dst[6 * direction] = Avx.Permute2x128(u2, u6, 0x31);
            dst[7 * direction] = Avx.Permute2x128(u3, u7, 0x31);
        }

        /// <summary>Where column c of the panel starting at row r0 lies in a packed-whole plane (Gemm.PackAWhole's layout:
        /// K slices of SliceDepth columns, each holding every 12-row panel, k-major).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly nint PanelOffset(int paddedM, int columns, int r0, int c)
        {
            int pc = c / SliceDepth * SliceDepth, kcb = Math.Min(SliceDepth, columns - pc);
            return (nint)pc * paddedM + (nint)r0 * kcb + (nint)(c - pc) * 12;
        }
    }

    /// <summary>U = G·w·Gᵀ of 8 lanes' 3×3 kernels (taps w[3i + j]) into u[ξ], ξ = 0 … 15 or 35; t: 18 vectors of scratch.</summary>
    private interface IWeightTransform
    {
        static abstract unsafe void Transform(Vector256<float>* w, Vector256<float>* u, Vector256<float>* t);
    }

    /// <summary>F(2×2, 3×3): TransformWeightRow's operations.</summary>
    private struct F23 : IWeightTransform
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Transform(Vector256<float>* w, Vector256<float>* u, Vector256<float>* t)
        {
            Vector256<float> half = Vector256.Create(0.5f);
            for (int j = 0; j < 3; j++)
            {
                Vector256<float> w0 = w[j], w1 = w[3 + j], w2 = w[6 + j];
                t[j] = w0;
                t[3 + j] = half * (w0 + w1 + w2);
                t[6 + j] = half * (w0 - w1 + w2);
                t[9 + j] = w2;
            }
            for (int r = 0; r < 4; r++)
            {
                Vector256<float> a = t[r * 3], b = t[r * 3 + 1], d = t[r * 3 + 2];
                u[r * 4] = a;
                u[r * 4 + 1] = half * (a + b + d);
                u[r * 4 + 2] = half * (a - b + d);
                u[r * 4 + 3] = d;
            }
        }
    }

    /// <summary>F(4×4, 3×3): TransformWeightRow43's operations.</summary>
    private struct F43 : IWeightTransform
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Transform(Vector256<float>* w, Vector256<float>* u, Vector256<float>* t)
        {
            for (int j = 0; j < 3; j++) G43Times(w[j], w[3 + j], w[6 + j], t + j, 3);
            for (int r = 0; r < 6; r++) G43Times(t[3 * r], t[3 * r + 1], t[3 * r + 2], u + 6 * r, 1);
        }
    }
}
