using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Local response normalization across channels of NCHW data (see <see cref="ILrnConfig"/>):
/// s_c = K + Coefficient·Σ_{j ∈ [c − WindowBefore, c + WindowAfter] ∩ [0, C)} x_j², y_c = x_c·s_c^−Beta.
/// The window sum slides over channels (one add and one subtract per channel) on tiles of pixels, so the work
/// per element is constant whatever the window size, and every step is vectorized across the tile.
/// Spans must hold at least batch·C·H·W elements and must not overlap (the window reads channels ahead).
/// </summary>
public static class LocalResponseNorm
{
    /// <summary>Pixels per work item: the running sums and temporaries of a tile stay in L1.</summary>
    private const int Tile = 512;

    public static unsafe void Forward<T>(ReadOnlySpan<float> input, Span<float> output, int batch) where T : struct, ILrnConfig
    {
        long size = Validate<T>(batch);
        PoolGeometry.CheckLength(input.Length, size, nameof(input));
        PoolGeometry.CheckLength(output.Length, size, nameof(output));
        fixed (float* x = input)
        fixed (float* y = output)
            RunForward<T>(x, y, null, batch, size);
    }

    /// <summary>Like <see cref="Forward{T}"/>, and keeps scale[i] = K + Coefficient·Σ window x_j² for the backward pass.</summary>
    public static unsafe void ForwardTraining<T>(ReadOnlySpan<float> input, Span<float> output, Span<float> scale, int batch) where T : struct, ILrnConfig
    {
        long size = Validate<T>(batch);
        PoolGeometry.CheckLength(input.Length, size, nameof(input));
        PoolGeometry.CheckLength(output.Length, size, nameof(output));
        PoolGeometry.CheckLength(scale.Length, size, nameof(scale));
        fixed (float* x = input)
        fixed (float* y = output)
        fixed (float* s = scale)
            RunForward<T>(x, y, s, batch, size);
    }

    /// <summary>
    /// dx_i = dy_i·s_i^−β − 2αβ·x_i·Σ_{c : i ∈ window(c)} dy_c·y_c/s_c (α = Coefficient; y_c/s_c = x_c·s_c^(−β−1)).
    /// Overwrites <paramref name="inputGradient"/>.
    /// </summary>
    public static unsafe void Backward<T>(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> scale, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
        where T : struct, ILrnConfig
    {
        long size = Validate<T>(batch);
        PoolGeometry.CheckLength(input.Length, size, nameof(input));
        PoolGeometry.CheckLength(output.Length, size, nameof(output));
        PoolGeometry.CheckLength(scale.Length, size, nameof(scale));
        PoolGeometry.CheckLength(outputGradient.Length, size, nameof(outputGradient));
        PoolGeometry.CheckLength(inputGradient.Length, size, nameof(inputGradient));
        fixed (float* x = input)
        fixed (float* y = output)
        fixed (float* s = scale)
        fixed (float* dy = outputGradient)
        fixed (float* dx = inputGradient)
        {
            int tiles = TilesPerSample<T>();
            var body = new BackwardBody<T> { Input = x, Output = y, Scale = s, OutputGradient = dy, InputGradient = dx, Tiles = tiles };
            StaticParallel.For(batch * tiles, PointwiseParallel.ThreadsFor(size * 6), body);
        }
    }

    private static unsafe void RunForward<T>(float* x, float* y, float* s, int batch, long size) where T : struct, ILrnConfig
    {
        int tiles = TilesPerSample<T>();
        var body = new ForwardBody<T> { Input = x, Output = y, Scale = s, Tiles = tiles };
        StaticParallel.For(batch * tiles, PointwiseParallel.ThreadsFor(size * 4), body);
    }

    private static int TilesPerSample<T>() where T : struct, ILrnConfig => (T.Height * T.Width + Tile - 1) / Tile;

    private static long Validate<T>(int batch) where T : struct, ILrnConfig
    {
        if (T.Channels <= 0 || T.Height <= 0 || T.Width <= 0)
            throw new ArgumentException($"LRN config {typeof(T).Name} has a non-positive dimension.", nameof(T));
        if (T.WindowBefore < 0 || T.WindowAfter < 0)
            throw new ArgumentException($"LRN config {typeof(T).Name} has a negative window extent.", nameof(T));
        if (!float.IsFinite(T.Coefficient) || !float.IsFinite(T.Beta) || !float.IsFinite(T.K))
            throw new ArgumentException($"LRN config {typeof(T).Name} has a non-finite Coefficient, Beta or K.", nameof(T));
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be positive.");
        long size = (long)batch * T.Channels * T.Height * T.Width;
        if (size > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The tensor exceeds int.MaxValue elements.");
        return size;
    }

    /// <summary>r = s^−β; the common exponents avoid log/exp (0.75: 1/(√s·√√s)).</summary>
    private static unsafe void InversePow(float* s, float* r, int n, float beta)
    {
        var src = new ReadOnlySpan<float>(s, n);
        var dst = new Span<float>(r, n);
        if (beta == 0.75f) LrnSimd.InversePow075(s, r, n);
        else if (beta == 0.5f) TensorPrimitives.ReciprocalSqrt(src, dst);
        else if (beta == 1f) TensorPrimitives.Reciprocal(src, dst);
        else
        {
            TensorPrimitives.Log(src, dst);
            TensorPrimitives.Multiply(dst, -beta, dst);
            TensorPrimitives.Exp(dst, dst);
        }
    }

    private unsafe struct ForwardBody<T> : IParallelBody where T : struct, ILrnConfig
    {
        public float* Input, Output;
        public float* Scale; // null at inference
        public int Tiles;

        public void Run(int start, int end)
        {
            int channels = T.Channels, plane = T.Height * T.Width, before = T.WindowBefore, after = T.WindowAfter;
            float* sum = stackalloc float[Tile];
            float* scaleTile = stackalloc float[Tile];
            float* factor = stackalloc float[Tile];
            for (int item = start; item < end; item++)
            {
                int p0 = item % Tiles * Tile;
                int n = Math.Min(Tile, plane - p0);
                long origin = (long)(item / Tiles) * channels * plane + p0;
                float* x = Input + origin;
                var sums = new Span<float>(sum, n);
                sums.Clear();
                // Window of channel 0: [0, after].
                for (int j = 0; j <= Math.Min(after, channels - 1); j++)
                {
                    var xj = new ReadOnlySpan<float>(x + (long)j * plane, n);
                    TensorPrimitives.MultiplyAdd(xj, xj, sums, sums);
                }
                for (int c = 0; c < channels; c++)
                {
                    long offset = (long)c * plane;
                    float* add = c > 0 && c + after < channels ? x + (long)(c + after) * plane : null;
                    float* sub = c - before - 1 >= 0 ? x + (long)(c - before - 1) * plane : null;
                    float* s = Scale is null ? scaleTile : Scale + origin + offset;
                    LrnSimd.Slide(sum, add, sub, s, n, T.Coefficient, T.K);
                    InversePow(s, factor, n, T.Beta);
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(x + offset, n), new ReadOnlySpan<float>(factor, n), new Span<float>(Output + origin + offset, n));
                }
            }
        }
    }

    private unsafe struct BackwardBody<T> : IParallelBody where T : struct, ILrnConfig
    {
        public float* Input, Output, Scale, OutputGradient, InputGradient;
        public int Tiles;

        public void Run(int start, int end)
        {
            int channels = T.Channels, plane = T.Height * T.Width, before = T.WindowBefore, after = T.WindowAfter;
            float k = -2f * T.Coefficient * T.Beta;
            float* ratio = stackalloc float[Tile];
            float* factor = stackalloc float[Tile];
            float* tmp = stackalloc float[Tile];
            for (int item = start; item < end; item++)
            {
                int p0 = item % Tiles * Tile;
                int n = Math.Min(Tile, plane - p0);
                long origin = (long)(item / Tiles) * channels * plane + p0;
                float* x = Input + origin, y = Output + origin, s = Scale + origin, dy = OutputGradient + origin, dx = InputGradient + origin;
                // ratio_i = Σ dy_c·y_c/s_c over the channels c whose window holds i: c ∈ [i − after, i + before].
                new Span<float>(ratio, n).Clear();
                for (int c = 0; c <= Math.Min(before, channels - 1); c++)
                {
                    long o = (long)c * plane;
                    LrnSimd.SlideGradient(ratio, dy + o, y + o, s + o, null, null, null, n);
                }
                for (int i = 0; i < channels; i++)
                {
                    long o = (long)i * plane;
                    if (i > 0)
                    {
                        long a = (long)(i + before) * plane, r = (long)(i - after - 1) * plane;
                        bool hasAdd = i + before < channels, hasSub = i - after - 1 >= 0;
                        if (hasAdd || hasSub)
                            LrnSimd.SlideGradient(ratio, hasAdd ? dy + a : null, y + (hasAdd ? a : 0), s + (hasAdd ? a : 0),
                                hasSub ? dy + r : null, y + (hasSub ? r : 0), s + (hasSub ? r : 0), n);
                    }
                    InversePow(s + o, factor, n, T.Beta);
                    var dxi = new Span<float>(dx + o, n);
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(dy + o, n), new ReadOnlySpan<float>(factor, n), dxi);
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(x + o, n), new ReadOnlySpan<float>(ratio, n), new Span<float>(tmp, n));
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(tmp, n), k, dxi, dxi);
                }
            }
        }
    }
}

/// <summary>
/// The fused LRN steps. Each width has its own entry point so tests can run every path (Vector512 operations
/// are emulated, hence still correct, where the hardware lacks them).
/// </summary>
internal static unsafe class LrnSimd
{
    /// <summary>sum += add² − sub² (null: skip), clamped at 0 against rounding drift; scale = k + alpha·sum.</summary>
    public static void Slide(float* sum, float* add, float* sub, float* scale, int n, float alpha, float k)
    {
        if (Vector512.IsHardwareAccelerated) Slide512(sum, add, sub, scale, n, alpha, k);
        else if (Vector256.IsHardwareAccelerated) Slide256(sum, add, sub, scale, n, alpha, k);
        else SlideScalar(sum, add, sub, scale, 0, n, alpha, k);
    }

    public static void Slide512(float* sum, float* add, float* sub, float* scale, int n, float alpha, float k)
    {
        var va = Vector512.Create(alpha);
        var vk = Vector512.Create(k);
        int i = 0;
        for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var v = Vector512.Load(sum + i);
            if (add is not null) { var a = Vector512.Load(add + i); v += a * a; }
            if (sub is not null) { var b = Vector512.Load(sub + i); v -= b * b; }
            // Compare-select instead of Max: keeps NaN the same way on every runtime and path.
            v = Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), Vector512<float>.Zero, v);
            v.Store(sum + i);
            (vk + va * v).Store(scale + i);
        }
        SlideScalar(sum, add, sub, scale, i, n, alpha, k);
    }

    public static void Slide256(float* sum, float* add, float* sub, float* scale, int n, float alpha, float k)
    {
        var va = Vector256.Create(alpha);
        var vk = Vector256.Create(k);
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var v = Vector256.Load(sum + i);
            if (add is not null) { var a = Vector256.Load(add + i); v += a * a; }
            if (sub is not null) { var b = Vector256.Load(sub + i); v -= b * b; }
            v = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v);
            v.Store(sum + i);
            (vk + va * v).Store(scale + i);
        }
        SlideScalar(sum, add, sub, scale, i, n, alpha, k);
    }

    public static void SlideScalar(float* sum, float* add, float* sub, float* scale, int start, int n, float alpha, float k)
    {
        for (int i = start; i < n; i++)
        {
            float v = sum[i];
            if (add is not null) v += add[i] * add[i];
            if (sub is not null) v -= sub[i] * sub[i];
            v = v < 0f ? 0f : v;
            sum[i] = v;
            scale[i] = k + alpha * v;
        }
    }

    /// <summary>r = s^−0.75 = 1/(√s·√√s).</summary>
    public static void InversePow075(float* s, float* r, int n)
    {
        if (Vector512.IsHardwareAccelerated) InversePow075_512(s, r, n);
        else if (Vector256.IsHardwareAccelerated) InversePow075_256(s, r, n);
        else InversePow075Scalar(s, r, 0, n);
    }

    public static void InversePow075_512(float* s, float* r, int n)
    {
        int i = 0;
        for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var q = Vector512.Sqrt(Vector512.Load(s + i));
            (Vector512<float>.One / (q * Vector512.Sqrt(q))).Store(r + i);
        }
        InversePow075Scalar(s, r, i, n);
    }

    public static void InversePow075_256(float* s, float* r, int n)
    {
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var q = Vector256.Sqrt(Vector256.Load(s + i));
            (Vector256<float>.One / (q * Vector256.Sqrt(q))).Store(r + i);
        }
        InversePow075Scalar(s, r, i, n);
    }

    public static void InversePow075Scalar(float* s, float* r, int start, int n)
    {
        for (int i = start; i < n; i++)
        {
            float q = MathF.Sqrt(s[i]);
            r[i] = 1f / (q * MathF.Sqrt(q));
        }
    }

    /// <summary>ratio += dyA·yA/sA − dyS·yS/sS; a null dyA (dyS) skips that term (its other pointers are then ignored).</summary>
    public static void SlideGradient(float* ratio, float* dyA, float* yA, float* sA, float* dyS, float* yS, float* sS, int n)
    {
        if (Vector512.IsHardwareAccelerated) SlideGradient512(ratio, dyA, yA, sA, dyS, yS, sS, n);
        else if (Vector256.IsHardwareAccelerated) SlideGradient256(ratio, dyA, yA, sA, dyS, yS, sS, n);
        else SlideGradientScalar(ratio, dyA, yA, sA, dyS, yS, sS, 0, n);
    }

    public static void SlideGradient512(float* ratio, float* dyA, float* yA, float* sA, float* dyS, float* yS, float* sS, int n)
    {
        int i = 0;
        for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var v = Vector512.Load(ratio + i);
            if (dyA is not null) v += Vector512.Load(dyA + i) * Vector512.Load(yA + i) / Vector512.Load(sA + i);
            if (dyS is not null) v -= Vector512.Load(dyS + i) * Vector512.Load(yS + i) / Vector512.Load(sS + i);
            v.Store(ratio + i);
        }
        SlideGradientScalar(ratio, dyA, yA, sA, dyS, yS, sS, i, n);
    }

    public static void SlideGradient256(float* ratio, float* dyA, float* yA, float* sA, float* dyS, float* yS, float* sS, int n)
    {
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var v = Vector256.Load(ratio + i);
            if (dyA is not null) v += Vector256.Load(dyA + i) * Vector256.Load(yA + i) / Vector256.Load(sA + i);
            if (dyS is not null) v -= Vector256.Load(dyS + i) * Vector256.Load(yS + i) / Vector256.Load(sS + i);
            v.Store(ratio + i);
        }
        SlideGradientScalar(ratio, dyA, yA, sA, dyS, yS, sS, i, n);
    }

    public static void SlideGradientScalar(float* ratio, float* dyA, float* yA, float* sA, float* dyS, float* yS, float* sS, int start, int n)
    {
        for (int i = start; i < n; i++)
        {
            float v = ratio[i];
            if (dyA is not null) v += dyA[i] * yA[i] / sA[i];
            if (dyS is not null) v -= dyS[i] * yS[i] / sS[i];
            ratio[i] = v;
        }
    }
}
