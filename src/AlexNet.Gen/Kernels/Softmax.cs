using System;
using System.Numerics.Tensors;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Row-wise softmax over [batch, classes]. Spans must hold at least batch·classes elements.
/// <see cref="Forward"/> may run in place (probabilities = logits); <see cref="Backward"/> may write over either input.
/// Rows run in parallel; each row is computed the same way whatever the thread count.
/// </summary>
public static class Softmax
{
    /// <summary>p = exp(z − max z) / Σ exp(z − max z), per row.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> logits, Span<float> probabilities, int batch, int classes)
    {
        CheckShape(batch, classes);
        long size = (long)batch * classes;
        PoolGeometry.CheckLength(logits.Length, size, nameof(logits));
        PoolGeometry.CheckLength(probabilities.Length, size, nameof(probabilities));
        fixed (float* z = logits)
        fixed (float* p = probabilities)
        {
            var body = new ForwardBody { Logits = z, Probabilities = p, Classes = classes };
            StaticParallel.For(batch, PointwiseParallel.ThreadsFor(size * 4), body);
        }
    }

    /// <summary>dz = p ⊙ (dp − Σ p·dp), per row.</summary>
    public static unsafe void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> outputGradient, Span<float> logitGradient, int batch, int classes)
    {
        CheckShape(batch, classes);
        long size = (long)batch * classes;
        PoolGeometry.CheckLength(probabilities.Length, size, nameof(probabilities));
        PoolGeometry.CheckLength(outputGradient.Length, size, nameof(outputGradient));
        PoolGeometry.CheckLength(logitGradient.Length, size, nameof(logitGradient));
        fixed (float* p = probabilities)
        fixed (float* dp = outputGradient)
        fixed (float* dz = logitGradient)
        {
            var body = new BackwardBody { Probabilities = p, OutputGradient = dp, LogitGradient = dz, Classes = classes };
            StaticParallel.For(batch, PointwiseParallel.ThreadsFor(size * 2), body);
        }
    }

    internal static void CheckShape(int batch, int classes)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be positive.");
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be positive.");
        if ((long)batch * classes > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch × classes exceeds int.MaxValue.");
    }

    private unsafe struct ForwardBody : IParallelBody
    {
        public float* Logits;
        public float* Probabilities;
        public int Classes;

        public void Run(int start, int end)
        {
            for (int row = start; row < end; row++)
            {
                var z = new ReadOnlySpan<float>(Logits + (long)row * Classes, Classes);
                var p = new Span<float>(Probabilities + (long)row * Classes, Classes);
                float max = TensorPrimitives.Max(z);
                TensorPrimitives.Subtract(z, max, p);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Multiply(p, 1f / TensorPrimitives.Sum(p), p);
            }
        }
    }

    private unsafe struct BackwardBody : IParallelBody
    {
        public float* Probabilities;
        public float* OutputGradient;
        public float* LogitGradient;
        public int Classes;

        public void Run(int start, int end)
        {
            for (int row = start; row < end; row++)
            {
                long o = (long)row * Classes;
                var p = new ReadOnlySpan<float>(Probabilities + o, Classes);
                var dp = new ReadOnlySpan<float>(OutputGradient + o, Classes);
                float dot = TensorPrimitives.Dot(p, dp);
                // (dp − dot)·p in one pass, reading both inputs before writing, so dz may alias either.
                TensorPrimitives.AddMultiply(dp, -dot, p, new Span<float>(LogitGradient + o, Classes));
            }
        }
    }
}
