using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Fully connected layer, weight [OutFeatures, InFeatures] as in PyTorch's nn.Linear: y = x·Wᵀ + b.
/// Batch 1 streams the weight once with SIMD dot products (a GEMV split over output rows); larger batches
/// run Yᵀ = W·Xᵀ with W read in place on the AVX-512 and AVX2 paths (Gemm.RowStreaming.cs) and the packed GEMM otherwise; the
/// backward pass uses the packed GEMM. Workspace slots: 0 and 1 (GEMM packing, or Yᵀ and the packed Xᵀ), see <see cref="Gemm"/>.
/// </summary>
public static class Dense
{
    /// <summary>Weight elements below which a GEMV stays on one thread.</summary>
    internal const long GemvParallelThreshold = 1L << 17;

    /// <summary>Columns per work unit of the transposed GEMV; a multiple of every vector width, so a lane's
    /// vector/tail boundary falls on the same absolute columns for any split.</summary>
    private const int ColumnBlock = 64;

    /// <summary>input [batch, InFeatures] → output [batch, OutFeatures].</summary>
    public static unsafe void Forward<T>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> output, int batch, Workspace workspace) where T : struct, IDenseConfig
    {
        ArgumentNullException.ThrowIfNull(workspace);
        int inF = T.InFeatures, outF = T.OutFeatures;
        CheckConfig(inF, outF);
        CheckBatch(batch, inF, outF);
        CheckActivation(input.Length, batch, inF, "input", nameof(input));
        CheckWeight(weight.Length, inF, outF, nameof(weight));
        CheckBias(bias.Length, T.HasBias, outF, nameof(bias));
        CheckActivation(output.Length, batch, outF, "output", nameof(output));
        if (batch == 0) return;

        if (batch == 1)
        {
            int lanes = (long)inF * outF >= GemvParallelThreshold ? Math.Min(StaticParallel.ThreadCount, outF) : 1;
            fixed (float* px = input)
            fixed (float* pw = weight)
            fixed (float* pb = bias)
            fixed (float* py = output)
            {
                var body = new GemvBody { X = px, W = pw, Bias = T.HasBias ? pb : null, Y = py, In = inF, Out = outF, Lanes = lanes, Relu = T.FusedRelu };
                if (lanes > 1) StaticParallel.For(lanes, lanes, body);
                else body.Run(0, 1);
            }
            return;
        }

        int gemmLanes = Gemm.ChooseLanes(batch, outF, inF);
        if (Gemm.UsesRowStreaming(outF, batch, inF))
        {
            // W read in place, Yᵀ = W·Xᵀ (Gemm.RowStreaming.cs): no transposed copy of the weight.
            var (packedSize, transposedSize) = Gemm.RowStreamingSizes(outF, batch, inF);
            float[] transposed = workspace.GetArray(Gemm.SlotPackA, transposedSize);
            float[] packed = workspace.GetArray(Gemm.SlotPackB, packedSize);
            fixed (float* px = input)
            fixed (float* pw = weight)
            fixed (float* py = output)
            fixed (float* pt = transposed)
            fixed (float* pp = packed)
                Gemm.MultiplyRowStreaming(outF, batch, inF, pw, px, py, pp, pt, gemmLanes);
        }
        else
        {
            float[] packA = workspace.GetArray(Gemm.SlotPackA, gemmLanes * Gemm.PackASize(batch, inF));
            float[] packB = workspace.GetArray(Gemm.SlotPackB, gemmLanes * Gemm.PackBSize(outF, inF));
            fixed (float* px = input)
            fixed (float* pw = weight)
            fixed (float* py = output)
            fixed (float* pa = packA)
            fixed (float* pp = packB)
                Gemm.MultiplyCore(false, true, batch, outF, inF, px, inF, pw, inF, py, outF, false, pa, pp, gemmLanes);
        }
        // Bias, then a fused ReLU, row by row while each row is in cache (TensorPrimitives.Max as the ReLU kernel: the same bits).
        if (T.HasBias || T.FusedRelu)
            for (int n = 0; n < batch; n++)
            {
                Span<float> row = output.Slice(n * outF, outF);
                if (T.HasBias) TensorPrimitives.Add(row, bias, row);
                if (T.FusedRelu) TensorPrimitives.Max(row, 0f, row);
            }
    }

    /// <summary>
    /// dW = dYᵀ·X and dB = Σ_n dY (overwritten, summed over the batch); dX = dY·W unless
    /// <paramref name="inputGradient"/> is empty. The batch is the GEMM's K dimension, which is never split,
    /// so the sums are identical for any thread count.
    /// </summary>
    public static unsafe void Backward<T>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> inputGradient, Span<float> weightGradient, Span<float> biasGradient, int batch, Workspace workspace)
        where T : struct, IDenseConfig
    {
        ArgumentNullException.ThrowIfNull(workspace);
        int inF = T.InFeatures, outF = T.OutFeatures;
        CheckConfig(inF, outF);
        CheckBatch(batch, inF, outF);
        CheckActivation(input.Length, batch, inF, "input", nameof(input));
        CheckWeight(weight.Length, inF, outF, nameof(weight));
        CheckActivation(outputGradient.Length, batch, outF, "output gradient", nameof(outputGradient));
        bool wantInput = !inputGradient.IsEmpty;
        if (wantInput) CheckActivation(inputGradient.Length, batch, inF, "input gradient", nameof(inputGradient));
        CheckWeight(weightGradient.Length, inF, outF, nameof(weightGradient));
        CheckBias(biasGradient.Length, T.HasBias, outF, nameof(biasGradient));
        if (batch == 0)
        {
            weightGradient.Clear();
            biasGradient.Clear();
            return;
        }

        if (T.HasBias)
        {
            outputGradient.Slice(0, outF).CopyTo(biasGradient);
            for (int n = 1; n < batch; n++)
                TensorPrimitives.Add(biasGradient, outputGradient.Slice(n * outF, outF), biasGradient);
        }

        bool gemvInput = wantInput && batch == 1;
        bool gemmInput = wantInput && batch > 1;
        int weightLanes = Gemm.ChooseLanes(outF, inF, batch);
        int inputLanes = gemmInput ? Gemm.ChooseLanes(batch, inF, outF) : 1;
        int lanes = Math.Max(weightLanes, inputLanes);
        int packASize = Math.Max(Gemm.PackASize(outF, batch), gemmInput ? Gemm.PackASize(batch, outF) : 0);
        int packBSize = Math.Max(Gemm.PackBSize(inF, batch), gemmInput ? Gemm.PackBSize(inF, outF) : 0);
        float[] packA = workspace.GetArray(Gemm.SlotPackA, lanes * packASize);
        float[] packB = workspace.GetArray(Gemm.SlotPackB, lanes * packBSize);
        fixed (float* px = input)
        fixed (float* pw = weight)
        fixed (float* pdy = outputGradient)
        fixed (float* pdx = inputGradient)
        fixed (float* pdw = weightGradient)
        fixed (float* pa = packA)
        fixed (float* pp = packB)
        {
            // dW [out × in] = dYᵀ [out × batch] · X [batch × in]
            Gemm.MultiplyCore(true, false, outF, inF, batch, pdy, outF, px, inF, pdw, inF, false, pa, pp, weightLanes);
            if (gemmInput)
            {
                // dX [batch × in] = dY [batch × out] · W [out × in]
                Gemm.MultiplyCore(false, false, batch, inF, outF, pdy, outF, pw, inF, pdx, inF, false, pa, pp, inputLanes);
            }
            else if (gemvInput)
            {
                int blocks = (inF + ColumnBlock - 1) / ColumnBlock;
                int gemvLanes = (long)inF * outF >= GemvParallelThreshold ? Math.Min(StaticParallel.ThreadCount, blocks) : 1;
                var body = new GemvTransposedBody { W = pw, Dy = pdy, Dx = pdx, In = inF, Out = outF, Blocks = blocks, Lanes = gemvLanes };
                if (gemvLanes > 1) StaticParallel.For(gemvLanes, gemvLanes, body);
                else body.Run(0, 1);
            }
        }
    }

    /// <summary>y[o] = W[o,:]·x + b[o] (with a fused ReLU, max(0, ·)) for a lane's rows, four rows per pass over x.</summary>
    private unsafe struct GemvBody : IParallelBody
    {
        public float* X, W, Bias, Y;
        public int In, Out, Lanes;
        public bool Relu;

        public void Run(int start, int end)
        {
            float* dots = stackalloc float[4];
            for (int lane = start; lane < end; lane++)
            {
                var (r0, r1) = StaticParallel.Partition(Out, Lanes, lane);
                int r = r0;
                for (; r + 4 <= r1; r += 4)
                {
                    Dot4(W + (nint)r * In, In, X, dots);
                    for (int i = 0; i < 4; i++) Y[r + i] = Activate(Bias == null ? dots[i] : dots[i] + Bias[r + i]);
                }
                for (; r < r1; r++)
                {
                    float d = Dot1(W + (nint)r * In, X, In);
                    Y[r] = Activate(Bias == null ? d : d + Bias[r]);
                }
            }
        }

        /// <summary>MathF.Max is IEEE 754 maximum, as TensorPrimitives.Max in the ReLU kernel (NaN stays NaN, −0 becomes +0).</summary>
        private readonly float Activate(float v) => Relu ? MathF.Max(v, 0f) : v;
    }

    /// <summary>
    /// Four dot products w_r·x (rows <paramref name="n"/> apart). Per row: one vector accumulator over the
    /// full vectors in order, its horizontal sum, then the scalar tail — the same arithmetic as
    /// <see cref="Dot1"/>, so a row's result does not depend on which rows share its pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    private static unsafe void Dot4(float* w, int n, float* x, float* result)
    {
        float* w0 = w, w1 = w + n, w2 = w + 2 * (nint)n, w3 = w + 3 * (nint)n;
        int i = 0;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        switch (Gemm.VectorWidth)
        {
            case 16:
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 16 <= n; i += 16)
                {
                    PrefetchRows(w0 + i, n);
                    Vector512<float> xv = Vector512.Load(x + i);
                    a0 = Fused.MultiplyAdd(Vector512.Load(w0 + i), xv, a0);
                    a1 = Fused.MultiplyAdd(Vector512.Load(w1 + i), xv, a1);
                    a2 = Fused.MultiplyAdd(Vector512.Load(w2 + i), xv, a2);
                    a3 = Fused.MultiplyAdd(Vector512.Load(w3 + i), xv, a3);
                }
                s0 = Vector512.Sum(a0); s1 = Vector512.Sum(a1); s2 = Vector512.Sum(a2); s3 = Vector512.Sum(a3);
                break;
            }
            case 8:
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 8 <= n; i += 8)
                {
                    if ((i & 15) == 0) PrefetchRows(w0 + i, n);
                    Vector256<float> xv = Vector256.Load(x + i);
                    a0 = Fused.MultiplyAdd(Vector256.Load(w0 + i), xv, a0);
                    a1 = Fused.MultiplyAdd(Vector256.Load(w1 + i), xv, a1);
                    a2 = Fused.MultiplyAdd(Vector256.Load(w2 + i), xv, a2);
                    a3 = Fused.MultiplyAdd(Vector256.Load(w3 + i), xv, a3);
                }
                s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
                break;
            }
        }
        for (; i < n; i++)
        {
            float xi = x[i];
            s0 += w0[i] * xi; s1 += w1[i] * xi; s2 += w2[i] * xi; s3 += w3[i] * xi;
        }
        result[0] = s0; result[1] = s1; result[2] = s2; result[3] = s3;
    }

    /// <summary>Floats ahead of the loads that <see cref="Dot4"/> prefetches in each of its four rows (2 KB).</summary>
    private const int GemvPrefetchDistance = 512;

    /// <summary>
    /// Prefetches the line <see cref="GemvPrefetchDistance"/> floats ahead in each of the four rows at <paramref name="w"/>
    /// (<paramref name="n"/> apart). A managed weight array is aligned to 8 bytes only, so its vector loads mostly span two
    /// lines; 16 bytes into a line, the hardware prefetcher alone read torchvision fc6's weight 15 % slower than a
    /// 64-byte-aligned copy (47.7 against 51.2 GB/s, alternating in one process); 2 KB ahead it read 54–56 GB/s. Past a row's
    /// end it reads the next row or, after the last, whatever follows (a prefetch never faults).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchRows(float* w, int n)
    {
        if (!Sse.IsSupported) return;
        float* ahead = w + GemvPrefetchDistance;
        Sse.Prefetch0(ahead);
        Sse.Prefetch0(ahead + n);
        Sse.Prefetch0(ahead + 2 * (nint)n);
        Sse.Prefetch0(ahead + 3 * (nint)n);
    }

    /// <summary>One row of <see cref="Dot4"/>, same arithmetic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
    private static unsafe float Dot1(float* w, float* x, int n)
    {
        int i = 0;
        float s = 0f;
        switch (Gemm.VectorWidth)
        {
            case 16:
            {
                Vector512<float> a = default;
                for (; i + 16 <= n; i += 16) a = Fused.MultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), a);
                s = Vector512.Sum(a);
                break;
            }
            case 8:
            {
                Vector256<float> a = default;
                for (; i + 8 <= n; i += 8) a = Fused.MultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a);
                s = Vector256.Sum(a);
                break;
            }
        }
        for (; i < n; i++) s += w[i] * x[i];
        return s;
    }

    /// <summary>dx = Wᵀ·dy for batch 1: each lane owns whole 64-column blocks and streams all rows over them.</summary>
    private unsafe struct GemvTransposedBody : IParallelBody
    {
        public float* W, Dy, Dx;
        public int In, Out, Blocks, Lanes;

        public void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                var (b0, b1) = StaticParallel.Partition(Blocks, Lanes, lane);
                int c0 = b0 * ColumnBlock, c1 = Math.Min(b1 * ColumnBlock, In);
                if (c1 > c0) Columns(c0, c1 - c0);
            }
        }

        /// <summary>dx[c0..c0+len) = Σ_o dy[o]·W[o, c0..], rows added in order o = 0, 1, … for every column.</summary>
        private readonly void Columns(int c0, int len)
        {
            float* dx = Dx + c0;
            new Span<float>(dx, len).Clear();
            int o = 0;
            for (; o + 4 <= Out; o += 4)
            {
                float* w0 = W + (nint)o * In + c0;
                AddRows(dx, len, w0, In, Dy + o, 4);
            }
            for (; o < Out; o++) AddRows(dx, len, W + (nint)o * In + c0, In, Dy + o, 1);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // optimized from the first call (Fused)
        private static void AddRows(float* dx, int len, float* w, int stride, float* dy, int rows)
        {
            int i = 0;
            switch (Gemm.VectorWidth)
            {
                case 16:
                    for (; i + 16 <= len; i += 16)
                    {
                        Vector512<float> acc = Vector512.Load(dx + i);
                        for (int r = 0; r < rows; r++)
                            acc = Fused.MultiplyAdd(Vector512.Create(dy[r]), Vector512.Load(w + (nint)r * stride + i), acc);
                        Vector512.Store(acc, dx + i);
                    }
                    break;
                case 8:
                    for (; i + 8 <= len; i += 8)
                    {
                        Vector256<float> acc = Vector256.Load(dx + i);
                        for (int r = 0; r < rows; r++)
                            acc = Fused.MultiplyAdd(Vector256.Create(dy[r]), Vector256.Load(w + (nint)r * stride + i), acc);
                        Vector256.Store(acc, dx + i);
                    }
                    break;
            }
            for (; i < len; i++)
            {
                float acc = dx[i];
                for (int r = 0; r < rows; r++) acc += dy[r] * w[(nint)r * stride + i];
                dx[i] = acc;
            }
        }
    }

    private static void CheckConfig(int inF, int outF)
    {
        if (inF <= 0 || outF <= 0)
            throw new ArgumentException($"dense config needs positive InFeatures and OutFeatures but has {inF} and {outF}.");
    }

    private static void CheckBatch(int batch, int inF, int outF)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "dense batch must not be negative.");
        if ((long)batch * Math.Max(inF, outF) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "dense batch × features exceeds int.MaxValue.");
    }

    private static void CheckActivation(int length, int batch, int features, string what, string parameter)
    {
        long need = (long)batch * features;
        if (length < need)
            throw new ArgumentException($"dense {what} has {length} floats but batch {batch} × {features} needs {need}.", parameter);
    }

    private static void CheckWeight(int length, int inF, int outF, string parameter)
    {
        long need = (long)inF * outF;
        if (length != need)
            throw new ArgumentException($"dense {parameter} has {length} floats but {outF}×{inF} needs {need}.", parameter);
    }

    private static void CheckBias(int length, bool hasBias, int outF, string parameter)
    {
        int need = hasBias ? outF : 0;
        if (length != need)
            throw new ArgumentException(hasBias
                ? $"dense {parameter} has {length} floats but {outF} outputs need {need}."
                : $"dense {parameter} must be empty for a layer without bias but has {length} floats.", parameter);
    }
}
