using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Element-wise activations and their gradients. All spans of one call have the same length; the output (or
/// input gradient) may be the very same span as an input (in place), but must not partially overlap one.
/// Large tensors are split over <see cref="StaticParallel"/> in fixed chunks, so results never depend on the thread count.
/// </summary>
public static class Activations
{
    /// <summary>y = max(x, 0) (NaN stays NaN).</summary>
    public static unsafe void Relu(ReadOnlySpan<float> input, Span<float> output)
    {
        PointwiseParallel.CheckSameLength(input.Length, output.Length, nameof(output));
        if (input.Length <= PointwiseParallel.Chunk)
        {
            TensorPrimitives.Max(input, 0f, output);
            return;
        }
        fixed (float* x = input)
        fixed (float* y = output)
            Run(new Body { Op = Op.Relu, A = x, C = y, Length = input.Length });
    }

    /// <summary>dx = dy where y &gt; 0, else 0.</summary>
    public static unsafe void ReluBackward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        PointwiseParallel.CheckSameLength(output.Length, outputGradient.Length, nameof(outputGradient));
        PointwiseParallel.CheckSameLength(output.Length, inputGradient.Length, nameof(inputGradient));
        fixed (float* y = output)
        fixed (float* dy = outputGradient)
        fixed (float* dx = inputGradient)
        {
            if (output.Length <= PointwiseParallel.Chunk) ActivationSimd.ReluBackward(y, dy, dx, output.Length);
            else Run(new Body { Op = Op.ReluBackward, A = y, B = dy, C = dx, Length = output.Length });
        }
    }

    /// <summary>y = x for x &gt; 0, alpha·(exp(x) − 1) otherwise.</summary>
    public static unsafe void Elu(ReadOnlySpan<float> input, Span<float> output, float alpha)
    {
        PointwiseParallel.CheckSameLength(input.Length, output.Length, nameof(output));
        CheckAlpha(alpha);
        fixed (float* x = input)
        fixed (float* y = output)
        {
            if (input.Length <= PointwiseParallel.Chunk) EluCore(x, y, input.Length, alpha);
            else Run(new Body { Op = Op.Elu, A = x, C = y, Length = input.Length, Alpha = alpha });
        }
    }

    /// <summary>dx = dy where y &gt; 0 (⇔ x &gt; 0), else dy·(y + alpha) (= dy·alpha·exp(x)).</summary>
    public static unsafe void EluBackward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, float alpha)
    {
        PointwiseParallel.CheckSameLength(output.Length, outputGradient.Length, nameof(outputGradient));
        PointwiseParallel.CheckSameLength(output.Length, inputGradient.Length, nameof(inputGradient));
        CheckAlpha(alpha);
        fixed (float* y = output)
        fixed (float* dy = outputGradient)
        fixed (float* dx = inputGradient)
        {
            if (output.Length <= PointwiseParallel.Chunk) ActivationSimd.EluBackward(y, dy, dx, output.Length, alpha);
            else Run(new Body { Op = Op.EluBackward, A = y, B = dy, C = dx, Length = output.Length, Alpha = alpha });
        }
    }

    private static void CheckAlpha(float alpha)
    {
        // alpha ≥ 0 keeps "y > 0 ⇔ x > 0", which the backward pass relies on.
        if (!(alpha >= 0f) || float.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "ELU alpha must be finite and non-negative.");
    }

    private static unsafe void EluCore(float* x, float* y, int length, float alpha)
    {
        // y = max(x, 0) + alpha·expm1(min(x, 0)): exact x for x > 0 (expm1(0) = 0), no overflow for large x, and
        // each block reads x before it overwrites it, so in place works.
        const int Block = 512;
        float* tmp = stackalloc float[Block];
        for (int offset = 0; offset < length; offset += Block)
        {
            int n = Math.Min(Block, length - offset);
            var src = new ReadOnlySpan<float>(x + offset, n);
            var dst = new Span<float>(y + offset, n);
            var t = new Span<float>(tmp, n);
            TensorPrimitives.Min(src, 0f, t);
            TensorPrimitives.ExpM1(t, t);
            TensorPrimitives.Max(src, 0f, dst);
            TensorPrimitives.MultiplyAdd(t, alpha, dst, dst);
        }
    }

    private static void Run(in Body body)
    {
        int chunks = (int)(((long)body.Length + PointwiseParallel.Chunk - 1) / PointwiseParallel.Chunk);
        StaticParallel.For(chunks, PointwiseParallel.ThreadsFor(body.Length), body);
    }

    private enum Op { Relu, ReluBackward, Elu, EluBackward }

    private unsafe struct Body : IParallelBody
    {
        public Op Op;
        public float* A, B, C;
        public int Length;
        public float Alpha;

        public void Run(int start, int end)
        {
            int s = start * PointwiseParallel.Chunk;
            int n = (int)Math.Min((long)end * PointwiseParallel.Chunk, Length) - s;
            switch (Op)
            {
                case Op.Relu: TensorPrimitives.Max(new ReadOnlySpan<float>(A + s, n), 0f, new Span<float>(C + s, n)); break;
                case Op.ReluBackward: ActivationSimd.ReluBackward(A + s, B + s, C + s, n); break;
                case Op.Elu: EluCore(A + s, C + s, n, Alpha); break;
                default: ActivationSimd.EluBackward(A + s, B + s, C + s, n, Alpha); break;
            }
        }
    }
}

/// <summary>
/// Hand-vectorized gradient selects. Each width has its own entry point so tests can run every path
/// (Vector512 operations are emulated, hence still correct, where the hardware lacks them).
/// </summary>
internal static unsafe class ActivationSimd
{
    public static void ReluBackward(float* y, float* dy, float* dx, int n)
    {
        if (Vector512.IsHardwareAccelerated) ReluBackward512(y, dy, dx, n);
        else if (Vector256.IsHardwareAccelerated) ReluBackward256(y, dy, dx, n);
        else ReluBackwardScalar(y, dy, dx, 0, n);
    }

    public static void ReluBackward512(float* y, float* dy, float* dx, int n)
    {
        int i = 0;
        for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var mask = Vector512.GreaterThan(Vector512.Load(y + i), Vector512<float>.Zero);
            (Vector512.Load(dy + i) & mask).Store(dx + i);
        }
        ReluBackwardScalar(y, dy, dx, i, n);
    }

    public static void ReluBackward256(float* y, float* dy, float* dx, int n)
    {
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var mask = Vector256.GreaterThan(Vector256.Load(y + i), Vector256<float>.Zero);
            (Vector256.Load(dy + i) & mask).Store(dx + i);
        }
        ReluBackwardScalar(y, dy, dx, i, n);
    }

    public static void ReluBackwardScalar(float* y, float* dy, float* dx, int start, int n)
    {
        for (int i = start; i < n; i++)
            dx[i] = y[i] > 0f ? dy[i] : 0f;
    }

    public static void EluBackward(float* y, float* dy, float* dx, int n, float alpha)
    {
        if (Vector512.IsHardwareAccelerated) EluBackward512(y, dy, dx, n, alpha);
        else if (Vector256.IsHardwareAccelerated) EluBackward256(y, dy, dx, n, alpha);
        else EluBackwardScalar(y, dy, dx, 0, n, alpha);
    }

    public static void EluBackward512(float* y, float* dy, float* dx, int n, float alpha)
    {
        var a = Vector512.Create(alpha);
        int i = 0;
        for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var v = Vector512.Load(y + i);
            var g = Vector512.Load(dy + i);
            Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), g, g * (v + a)).Store(dx + i);
        }
        EluBackwardScalar(y, dy, dx, i, n, alpha);
    }

    public static void EluBackward256(float* y, float* dy, float* dx, int n, float alpha)
    {
        var a = Vector256.Create(alpha);
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var v = Vector256.Load(y + i);
            var g = Vector256.Load(dy + i);
            Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), g, g * (v + a)).Store(dx + i);
        }
        EluBackwardScalar(y, dy, dx, i, n, alpha);
    }

    public static void EluBackwardScalar(float* y, float* dy, float* dx, int start, int n, float alpha)
    {
        for (int i = start; i < n; i++)
        {
            float v = y[i];
            dx[i] = v > 0f ? dy[i] : dy[i] * (v + alpha);
        }
    }
}

/// <summary>How much parallelism small kernels use, and argument checks they share.</summary>
internal static class PointwiseParallel
{
    /// <summary>Elements per parallel work item of element-wise kernels (fixed, so partitioning is reproducible).</summary>
    public const int Chunk = 16384;

    /// <summary>Below this many elements of work per thread, waking another worker costs more than it saves.</summary>
    private const long WorkPerThread = 32768;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ThreadsFor(long work) => (int)Math.Clamp(work / WorkPerThread, 1, StaticParallel.ThreadCount);

    public static void CheckSameLength(int expected, int actual, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} holds {actual} elements but must hold {expected} (the input's length).", name);
    }
}
