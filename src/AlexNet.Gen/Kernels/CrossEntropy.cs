using System;
using System.Buffers;
using System.Numerics.Tensors;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Softmax fused with cross-entropy, mean over the batch, as PyTorch's <c>cross_entropy(logits, labels, label_smoothing=ε)</c>:
/// target = (1 − ε)·onehot + ε/classes, loss_n = Σ_j target_j·(lse_n − z_nj) with lse = log Σ exp z computed as
/// max + log Σ exp(z − max), so logits of ±1e4 give a finite loss. Spans must hold at least batch·classes
/// (labels: batch) elements; the gradient may be written over the logits.
/// </summary>
public static class CrossEntropy
{
    /// <summary>Returns the mean loss and writes dL/dlogits = (softmax − target)/batch.</summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> logitGradient, int batch, int classes, float labelSmoothing)
    {
        Validate(logits, labels, batch, classes, labelSmoothing);
        PoolGeometry.CheckLength(logitGradient.Length, (long)batch * classes, nameof(logitGradient));
        return Run(logits, labels, logitGradient, withGradient: true, batch, classes, labelSmoothing);
    }

    /// <summary>The mean loss only (validation).</summary>
    public static float SoftmaxCrossEntropyLoss(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batch, int classes, float labelSmoothing)
    {
        Validate(logits, labels, batch, classes, labelSmoothing);
        return Run(logits, labels, default, withGradient: false, batch, classes, labelSmoothing);
    }

    private static void Validate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batch, int classes, float labelSmoothing)
    {
        Softmax.CheckShape(batch, classes);
        PoolGeometry.CheckLength(logits.Length, (long)batch * classes, nameof(logits));
        PoolGeometry.CheckLength(labels.Length, batch, nameof(labels));
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 1].");
        // Checked up front so a bad label leaves the gradient untouched.
        for (int n = 0; n < batch; n++)
        {
            int label = labels[n];
            if ((uint)label >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {label} of sample {n} is outside [0, {classes}).");
        }
    }

    private static unsafe float Run(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> logitGradient, bool withGradient, int batch, int classes, float labelSmoothing)
    {
        // Per-row losses are summed in row order afterwards, so the total does not depend on the thread split.
        const int StackRows = 1024;
        double[]? rented = null;
        Span<double> rowLoss = batch <= StackRows ? stackalloc double[StackRows] : (rented = ArrayPool<double>.Shared.Rent(batch));
        try
        {
            fixed (float* z = logits)
            fixed (int* y = labels)
            fixed (float* g = logitGradient)
            fixed (double* l = rowLoss)
            {
                var body = new Body
                {
                    Logits = z, Labels = y, Gradient = withGradient ? g : null, RowLoss = l,
                    Classes = classes, Batch = batch, Smoothing = labelSmoothing,
                };
                StaticParallel.For(batch, PointwiseParallel.ThreadsFor((long)batch * classes * 4), body);
            }
            double total = 0;
            for (int n = 0; n < batch; n++)
                total += rowLoss[n];
            return (float)(total / batch);
        }
        finally
        {
            if (rented is not null) ArrayPool<double>.Shared.Return(rented);
        }
    }

    private unsafe struct Body : IParallelBody
    {
        public float* Logits;
        public int* Labels;
        public float* Gradient; // null: loss only
        public double* RowLoss;
        public int Classes, Batch;
        public float Smoothing;

        public void Run(int start, int end)
        {
            const int Block = 1024;
            float* scratch = stackalloc float[Block];
            for (int row = start; row < end; row++)
            {
                var z = new ReadOnlySpan<float>(Logits + (long)row * Classes, Classes);
                int label = Labels[row];
                float max = TensorPrimitives.Max(z);
                // Everything the loss needs from z is read before the gradient (which may alias z) is written.
                float zLabel = z[label];
                double zMean = Smoothing > 0f ? (double)TensorPrimitives.Sum(z) / Classes : 0.0;
                double sumExp;
                if (Gradient is null)
                {
                    sumExp = 0;
                    for (int o = 0; o < Classes; o += Block)
                    {
                        int n = Math.Min(Block, Classes - o);
                        var t = new Span<float>(scratch, n);
                        TensorPrimitives.Subtract(z.Slice(o, n), max, t);
                        TensorPrimitives.Exp(t, t);
                        sumExp += TensorPrimitives.Sum(t);
                    }
                }
                else
                {
                    var g = new Span<float>(Gradient + (long)row * Classes, Classes);
                    TensorPrimitives.Subtract(z, max, g);
                    TensorPrimitives.Exp(g, g);
                    sumExp = TensorPrimitives.Sum(g);
                    // g = softmax/batch − ε/(classes·batch), then the label loses (1 − ε)/batch.
                    float invBatch = 1f / Batch;
                    TensorPrimitives.Multiply(g, (float)(1.0 / (sumExp * Batch)), g);
                    if (Smoothing > 0f)
                        TensorPrimitives.Add(g, -Smoothing / Classes * invBatch, g);
                    g[label] -= (1f - Smoothing) * invBatch;
                }
                double lse = max + Math.Log(sumExp);
                // Σ_j t_j(lse − z_j) = (1 − ε)(lse − z_label) + ε(lse − mean z)
                RowLoss[row] = (1.0 - Smoothing) * (lse - zLabel) + Smoothing * (lse - zMean);
            }
        }
    }
}
