using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// 2-D max pooling over NCHW data, as PyTorch's <c>max_pool2d</c>: output (oh, ow) covers input rows
/// oh·StrideHeight − PadTop … + KernelHeight − 1 (likewise columns); padding counts as −∞ and NaN propagates.
/// A window lying entirely in padding yields 0 (argmax −1, no gradient).
/// Span arguments must be at least as long as the tensor they hold; only that prefix is read or written.
/// </summary>
public static class MaxPool2d
{
    /// <summary>Inference: the maximum of each window.</summary>
    public static unsafe void Forward<T>(ReadOnlySpan<float> input, Span<float> output, int batch) where T : struct, IPool2dConfig
    {
        PoolGeometry.Validate<T>(batch, input.Length, nameof(input), output.Length, nameof(output));
        int planes = batch * T.Channels;
        fixed (float* pIn = input)
        fixed (float* pOut = output)
        {
            var body = new ForwardBody<T> { Input = pIn, Output = pOut };
            StaticParallel.For(planes, PoolGeometry.Threads<T>(planes), body);
        }
    }

    /// <summary>
    /// Training: like <see cref="Forward{T}"/>, and records per output element the flat index (h·InWidth + w) in its
    /// input plane of the first maximum in row-major scan order (a later NaN wins, as in PyTorch).
    /// </summary>
    public static unsafe void ForwardTraining<T>(ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, int batch) where T : struct, IPool2dConfig
    {
        PoolGeometry.Validate<T>(batch, input.Length, nameof(input), output.Length, nameof(output));
        PoolGeometry.CheckLength(argmax.Length, (long)batch * T.Channels * T.OutHeight * T.OutWidth, nameof(argmax));
        int planes = batch * T.Channels;
        fixed (float* pIn = input)
        fixed (float* pOut = output)
        fixed (int* pArg = argmax)
        {
            var body = new TrainingBody<T> { Input = pIn, Output = pOut, Argmax = pArg };
            StaticParallel.For(planes, PoolGeometry.Threads<T>(planes), body);
        }
    }

    /// <summary>Routes each output gradient to its recorded argmax; overwrites <paramref name="inputGradient"/>, overlapping windows accumulate.</summary>
    public static unsafe void Backward<T>(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient, int batch) where T : struct, IPool2dConfig
    {
        PoolGeometry.Validate<T>(batch, inputGradient.Length, nameof(inputGradient), outputGradient.Length, nameof(outputGradient));
        PoolGeometry.CheckLength(argmax.Length, (long)batch * T.Channels * T.OutHeight * T.OutWidth, nameof(argmax));
        int planes = batch * T.Channels;
        int badPlane = -1;
        fixed (float* pDy = outputGradient)
        fixed (int* pArg = argmax)
        fixed (float* pDx = inputGradient)
        {
            var body = new BackwardBody<T> { OutputGradient = pDy, Argmax = pArg, InputGradient = pDx, BadPlane = &badPlane };
            StaticParallel.For(planes, PoolGeometry.Threads<T>(planes), body);
        }
        if (badPlane >= 0)
            throw new ArgumentException($"argmax holds an index outside the {T.InHeight}x{T.InWidth} input plane (plane {badPlane}); it must come from ForwardTraining with the same config.", nameof(argmax));
    }

    private unsafe struct ForwardBody<T> : IParallelBody where T : struct, IPool2dConfig
    {
        public float* Input;
        public float* Output;

        public void Run(int start, int end)
        {
            int inH = T.InHeight, inW = T.InWidth, outH = T.OutHeight, outW = T.OutWidth;
            // Separable: the column-wise max over the window's rows (vectorized across the row), then the max over
            // each window's columns of that row. KH + KW work per output instead of KH·KW.
            // The row, 32 floats of slack for the stride-2 split's loads, then its two halves (PoolSimd.Stride2.cs).
            int half = PoolSimd.HalfLength(inW);
            Span<float> scratch = PoolGeometry.ScratchRow(inW + 32 + 2 * half), rowMax = scratch[..inW];
            // Outputs [w0, w1) have whole windows: those go sixteen (stride 2, AVX-512) or eight at a time, the scalar
            // loop does the clipped ones.
            bool split = PoolSimd.Stride2<T>(out int w0, out int w1);
            bool whole = split || PoolSimd.Interior<T>(out w0, out w1);
            fixed (float* pRow = scratch)
            for (int plane = start; plane < end; plane++)
            {
                float* x = Input + (long)plane * inH * inW;
                float* y = Output + (long)plane * outH * outW;
                for (int oh = 0; oh < outH; oh++, y += outW)
                {
                    PoolGeometry.Clip(oh, T.StrideHeight, T.PadTop, T.KernelHeight, inH, out int hs, out int he);
                    if (hs >= he)
                    {
                        new Span<float>(y, outW).Clear();
                        continue;
                    }
                    new ReadOnlySpan<float>(x + (long)hs * inW, inW).CopyTo(rowMax);
                    for (int h = hs + 1; h < he; h++)
                        TensorPrimitives.Max(rowMax, new ReadOnlySpan<float>(x + (long)h * inW, inW), rowMax);
                    if (split)
                    {
                        float* even = pRow + inW + 32, odd = even + half;
                        PoolSimd.Split(pRow, inW, even, odd);
                        PoolSimd.WindowMaxStride2<T>(even, odd, w0, w1, y);
                    }
                    else if (whole) PoolSimd.WindowMax256<T>(pRow, w0, w1, y);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        if (whole && ow == w0) ow = w1;
                        if (ow >= outW) break;
                        PoolGeometry.Clip(ow, T.StrideWidth, T.PadLeft, T.KernelWidth, inW, out int ws, out int we);
                        if (ws >= we)
                        {
                            y[ow] = 0f;
                            continue;
                        }
                        float m = rowMax[ws];
                        for (int w = ws + 1; w < we; w++)
                            m = Math.Max(m, rowMax[w]); // NaN-propagating, like TensorPrimitives.Max
                        y[ow] = m;
                    }
                }
            }
        }
    }

    private unsafe struct TrainingBody<T> : IParallelBody where T : struct, IPool2dConfig
    {
        public float* Input;
        public float* Output;
        public int* Argmax;

        public void Run(int start, int end)
        {
            int inH = T.InHeight, inW = T.InWidth, outH = T.OutHeight, outW = T.OutWidth;
            // Separable like Forward, keeping the first row of each column's maximum; the horizontal pass then prefers
            // the smaller row, then the smaller column, among equal maxima: the row-major first maximum. A row of
            // windows that meets a NaN is rescanned exactly (PyTorch lets every NaN replace the maximum).
            // Column maxima and their rows (each with 32 floats of slack for the split), then the four split halves.
            int half = PoolSimd.HalfLength(inW);
            Span<float> scratch = PoolGeometry.ScratchRow(2 * (inW + 32) + 4 * half);
            fixed (float* colMax = scratch)
            {
                int* colRow = (int*)(colMax + inW + 32);
                float* evenMax = colMax + 2 * (inW + 32), oddMax = evenMax + half;
                int* evenRow = (int*)(oddMax + half), oddRow = evenRow + half;
                bool split = PoolSimd.Stride2<T>(out int w0, out int w1); // as in Forward
                bool whole = split || PoolSimd.Interior<T>(out w0, out w1);
                for (int plane = start; plane < end; plane++)
                {
                    float* x = Input + (long)plane * inH * inW;
                    long o = (long)plane * outH * outW;
                    float* y = Output + o;
                    int* arg = Argmax + o;
                    for (int oh = 0; oh < outH; oh++, y += outW, arg += outW)
                    {
                        PoolGeometry.Clip(oh, T.StrideHeight, T.PadTop, T.KernelHeight, inH, out int hs, out int he);
                        if (hs >= he)
                        {
                            new Span<float>(y, outW).Clear();
                            new Span<int>(arg, outW).Fill(-1);
                            continue;
                        }
                        bool sawNaN = PoolSimd.ColumnMax(x, inW, hs, he, colMax, colRow);
                        // A row that meets a NaN rescans every window below.
                        bool vector = whole && !sawNaN;
                        if (vector && split)
                        {
                            PoolSimd.Split(colMax, inW, evenMax, oddMax);
                            PoolSimd.Split((float*)colRow, inW, (float*)evenRow, (float*)oddRow);
                            PoolSimd.WindowArgMaxStride2<T>(evenMax, oddMax, evenRow, oddRow, w0, w1, y, arg);
                        }
                        else if (vector) PoolSimd.WindowArgMax256<T>(colMax, colRow, w0, w1, y, arg);
                        for (int ow = 0; ow < outW; ow++)
                        {
                            if (vector && ow == w0) ow = w1;
                            if (ow >= outW) break;
                            PoolGeometry.Clip(ow, T.StrideWidth, T.PadLeft, T.KernelWidth, inW, out int ws, out int we);
                            if (ws >= we)
                            {
                                y[ow] = 0f;
                                arg[ow] = -1;
                            }
                            else if (sawNaN)
                            {
                                ExactScan(x, inW, hs, he, ws, we, out y[ow], out arg[ow]);
                            }
                            else
                            {
                                float m = colMax[ws];
                                int row = colRow[ws], col = ws;
                                for (int w = ws + 1; w < we; w++)
                                {
                                    // Without branches: on ReLU outputs the comparison is a coin toss.
                                    float v = colMax[w];
                                    int r = colRow[w];
                                    bool take = (v > m) | ((v == m) & (r < row));
                                    m = take ? v : m;
                                    row = take ? r : row;
                                    col = take ? w : col;
                                }
                                y[ow] = m;
                                arg[ow] = row * inW + col;
                            }
                        }
                    }
                }
            }
        }

        /// <summary>PyTorch's scan: start at −∞ with the window's first element, replace on &gt; or NaN.</summary>
        private static void ExactScan(float* x, int inW, int hs, int he, int ws, int we, out float max, out int index)
        {
            float m = float.NegativeInfinity;
            int mi = hs * inW + ws;
            for (int h = hs; h < he; h++)
            {
                float* row = x + h * inW;
                for (int w = ws; w < we; w++)
                {
                    float v = row[w];
                    if (v > m || float.IsNaN(v))
                    {
                        m = v;
                        mi = h * inW + w;
                    }
                }
            }
            max = m;
            index = mi;
        }
    }

    private unsafe struct BackwardBody<T> : IParallelBody where T : struct, IPool2dConfig
    {
        public float* OutputGradient;
        public int* Argmax;
        public float* InputGradient;
        public int* BadPlane;

        public void Run(int start, int end)
        {
            int planeIn = T.InHeight * T.InWidth, planeOut = T.OutHeight * T.OutWidth;
            for (int plane = start; plane < end; plane++)
            {
                float* dx = InputGradient + (long)plane * planeIn;
                float* dy = OutputGradient + (long)plane * planeOut;
                int* arg = Argmax + (long)plane * planeOut;
                new Span<float>(dx, planeIn).Clear();
                for (int i = 0; i < planeOut; i++)
                {
                    int a = arg[i];
                    if ((uint)a < (uint)planeIn)
                        dx[a] += dy[i];
                    else if (a != -1)
                        *BadPlane = plane; // reported after the loop; any one bad plane is enough
                }
            }
        }
    }
}

/// <summary>
/// Column-wise maximum with the first row attaining it. Each width has its own entry point so tests can run every
/// path (Vector512 operations are emulated, hence still correct, where the hardware lacks them).
/// </summary>
internal static unsafe partial class PoolSimd
{
    /// <summary>
    /// For every column w: colMax[w] = max over rows [hs, he) of x[h·inW + w], colRow[w] = the first such h (strict &gt;,
    /// so NaN never replaces). Returns whether any of the rows holds a NaN.
    /// </summary>
    public static bool ColumnMax(float* x, int inW, int hs, int he, float* colMax, int* colRow)
    {
        // Rows narrower than a Vector512 (the compact net's 14 columns) take the Vector256 pass, which covers 8–15
        // columns with two overlapping vectors; the Vector512 one would have left them all to the scalar tail.
        if (Vector512.IsHardwareAccelerated && inW >= Vector512<float>.Count) return ColumnMax512(x, inW, hs, he, colMax, colRow);
        if (Vector256.IsHardwareAccelerated) return ColumnMax256(x, inW, hs, he, colMax, colRow);
        return ColumnMaxScalar(x, inW, hs, he, colMax, colRow, 0);
    }

    public static bool ColumnMax512(float* x, int inW, int hs, int he, float* colMax, int* colRow)
    {
        var nan = Vector512<float>.Zero;
        int w = 0;
        for (; w <= inW - Vector512<float>.Count; w += Vector512<float>.Count)
            ColumnMax512At(x, inW, hs, he, colMax, colRow, w, ref nan);
        // As ColumnMax256: the last partial vector again as a whole one.
        if (w < inW && inW >= Vector512<float>.Count)
        {
            ColumnMax512At(x, inW, hs, he, colMax, colRow, inW - Vector512<float>.Count, ref nan);
            w = inW;
        }
        bool tailNaN = ColumnMaxScalar(x, inW, hs, he, colMax, colRow, w);
        return tailNaN || nan != Vector512<float>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnMax512At(float* x, int inW, int hs, int he, float* colMax, int* colRow, int w, ref Vector512<float> nan)
    {
        var m = Vector512.Load(x + (long)hs * inW + w);
        var r = Vector512.Create(hs);
        nan |= ~Vector512.Equals(m, m);
        for (int h = hs + 1; h < he; h++)
        {
            var v = Vector512.Load(x + (long)h * inW + w);
            var take = Vector512.GreaterThan(v, m);
            m = Vector512.ConditionalSelect(take, v, m);
            r = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(h), r);
            nan |= ~Vector512.Equals(v, v);
        }
        m.Store(colMax + w);
        r.Store(colRow + w);
    }

    public static bool ColumnMax256(float* x, int inW, int hs, int he, float* colMax, int* colRow)
    {
        var nan = Vector256<float>.Zero;
        int w = 0;
        for (; w <= inW - Vector256<float>.Count; w += Vector256<float>.Count)
            ColumnMax256At(x, inW, hs, he, colMax, colRow, w, ref nan);
        // The last partial vector again as a whole one ending at the row's end (columns are independent).
        if (w < inW && inW >= Vector256<float>.Count)
        {
            ColumnMax256At(x, inW, hs, he, colMax, colRow, inW - Vector256<float>.Count, ref nan);
            w = inW;
        }
        bool tailNaN = ColumnMaxScalar(x, inW, hs, he, colMax, colRow, w);
        return tailNaN || nan != Vector256<float>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnMax256At(float* x, int inW, int hs, int he, float* colMax, int* colRow, int w, ref Vector256<float> nan)
    {
        var m = Vector256.Load(x + (long)hs * inW + w);
        var r = Vector256.Create(hs);
        nan |= ~Vector256.Equals(m, m);
        for (int h = hs + 1; h < he; h++)
        {
            var v = Vector256.Load(x + (long)h * inW + w);
            var take = Vector256.GreaterThan(v, m);
            m = Vector256.ConditionalSelect(take, v, m);
            r = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(h), r);
            nan |= ~Vector256.Equals(v, v);
        }
        m.Store(colMax + w);
        r.Store(colRow + w);
    }

    /// <summary>
    /// The outputs [<paramref name="start"/>, <paramref name="end"/>) whose windows lie wholly inside the row (no padding,
    /// no clipping); false when the vector paths below cannot run or there are fewer than eight of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Interior<T>(out int start, out int end) where T : struct, IPool2dConfig
    {
        WholeWindows<T>(out start, out end);
        return Avx2.IsSupported && VectorEnabled && end - start >= Vector256<float>.Count;
    }

    /// <summary>The outputs [<paramref name="start"/>, <paramref name="end"/>) whose windows lie wholly inside the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WholeWindows<T>(out int start, out int end) where T : struct, IPool2dConfig
    {
        int s = T.StrideWidth, p = T.PadLeft;
        start = (p + s - 1) / s;
        end = T.InWidth + p < T.KernelWidth ? 0 : Math.Min(T.OutWidth, (T.InWidth - T.KernelWidth + p) / s + 1);
    }

    /// <summary>Test switch: false keeps the horizontal passes scalar.</summary>
    internal static bool VectorEnabled = true;

    /// <summary>Window columns w·S − P + j of eight outputs from <paramref name="ow"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> FirstColumns<T>(int ow) where T : struct, IPool2dConfig =>
        Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * T.StrideWidth + Vector256.Create(ow * T.StrideWidth - T.PadLeft);

    /// <summary>
    /// y[ow] = max over the window of rowMax for the outputs [start, end) (at least eight; NaN-propagating, as
    /// <see cref="Math.Max(float, float)"/>).
    /// </summary>
    public static void WindowMax256<T>(float* rowMax, int start, int end, float* y) where T : struct, IPool2dConfig
    {
        for (int ow = start; ; ow += 8)
        {
            if (ow + 8 > end) ow = end - 8; // the last partial group again as a whole one (the outputs are independent)
            Vector256<int> columns = FirstColumns<T>(ow);
            Vector256<float> m = Avx2.GatherVector256(rowMax, columns, 4);
            for (int j = 1; j < T.KernelWidth; j++)
                m = Vector256.Max(m, Avx2.GatherVector256(rowMax, columns + Vector256.Create(j), 4));
            Vector256.Store(m, y + ow);
            if (ow + 8 == end) return;
        }
    }

    /// <summary>
    /// As the training pass's scalar loop for the outputs [start, end) (at least eight): the window's largest column
    /// maximum, the smaller row then the smaller column among equals; y and the flat index row·InWidth + column.
    /// </summary>
    public static void WindowArgMax256<T>(float* colMax, int* colRow, int start, int end, float* y, int* arg) where T : struct, IPool2dConfig
    {
        for (int ow = start; ; ow += 8)
        {
            if (ow + 8 > end) ow = end - 8; // as above
            Vector256<int> columns = FirstColumns<T>(ow), col = columns;
            Vector256<float> m = Avx2.GatherVector256(colMax, columns, 4);
            Vector256<int> row = Avx2.GatherVector256(colRow, columns, 4);
            for (int j = 1; j < T.KernelWidth; j++)
            {
                Vector256<int> c = columns + Vector256.Create(j);
                Vector256<float> v = Avx2.GatherVector256(colMax, c, 4);
                Vector256<int> r = Avx2.GatherVector256(colRow, c, 4);
                Vector256<int> take = Vector256.GreaterThan(v, m).AsInt32() | (Vector256.Equals(v, m).AsInt32() & Vector256.LessThan(r, row));
                m = Vector256.ConditionalSelect(take.AsSingle(), v, m);
                row = Vector256.ConditionalSelect(take, r, row);
                col = Vector256.ConditionalSelect(take, c, col);
            }
            Vector256.Store(m, y + ow);
            Vector256.Store(row * T.InWidth + col, arg + ow);
            if (ow + 8 == end) return;
        }
    }

    public static bool ColumnMaxScalar(float* x, int inW, int hs, int he, float* colMax, int* colRow, int start)
    {
        bool nan = false;
        for (int w = start; w < inW; w++)
        {
            float m = x[(long)hs * inW + w];
            int r = hs;
            nan |= float.IsNaN(m);
            for (int h = hs + 1; h < he; h++)
            {
                float v = x[(long)h * inW + w];
                if (v > m)
                {
                    m = v;
                    r = h;
                }
                nan |= float.IsNaN(v);
            }
            colMax[w] = m;
            colRow[w] = r;
        }
        return nan;
    }
}

/// <summary>Window arithmetic, checks and scratch shared by the pooling kernels.</summary>
internal static class PoolGeometry
{
    [ThreadStatic] private static float[]? _scratch;

    /// <summary>The real input range [start, end) that window <paramref name="index"/> covers (empty when start ≥ end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clip(int index, int stride, int padBefore, int kernel, int size, out int start, out int end)
    {
        int s = index * stride - padBefore;
        end = Math.Min(s + kernel, size);
        start = Math.Max(s, 0);
    }

    /// <summary>A per-thread row buffer (allocated once per thread and size, then reused).</summary>
    public static Span<float> ScratchRow(int length)
    {
        float[]? buffer = _scratch;
        if (buffer is null || buffer.Length < length)
            _scratch = buffer = new float[Math.Max(length, 256)];
        return buffer.AsSpan(0, length);
    }

    /// <summary>Threads worth using for <paramref name="planes"/> planes of this config (small work stays serial).</summary>
    public static int Threads<T>(int planes) where T : struct, IPool2dConfig
    {
        long work = (long)planes * (T.InHeight * (long)T.InWidth + T.OutHeight * (long)T.OutWidth * T.KernelWidth);
        return PointwiseParallel.ThreadsFor(work);
    }

    public static void Validate<T>(int batch, int inputLength, string inputName, int outputLength, string outputName) where T : struct, IPool2dConfig
    {
        if (T.Channels <= 0 || T.InHeight <= 0 || T.InWidth <= 0 || T.OutHeight <= 0 || T.OutWidth <= 0)
            throw new ArgumentException($"Pool config {typeof(T).Name} has a non-positive dimension.", nameof(T));
        if (T.KernelHeight <= 0 || T.KernelWidth <= 0 || T.StrideHeight <= 0 || T.StrideWidth <= 0)
            throw new ArgumentException($"Pool config {typeof(T).Name} has a non-positive kernel size or stride.", nameof(T));
        if (T.PadTop < 0 || T.PadLeft < 0 || T.PadBottom < 0 || T.PadRight < 0)
            throw new ArgumentException($"Pool config {typeof(T).Name} has a negative padding.", nameof(T));
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be positive.");
        long planes = (long)batch * T.Channels;
        if (planes > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch × channels exceeds int.MaxValue.");
        CheckLength(inputLength, planes * T.InHeight * T.InWidth, inputName);
        CheckLength(outputLength, planes * T.OutHeight * T.OutWidth, outputName);
    }

    public static void CheckLength(int length, long required, string name)
    {
        if (length < required)
            throw new ArgumentException($"{name} holds {length} elements but the shape needs {required}.", name);
    }
}
