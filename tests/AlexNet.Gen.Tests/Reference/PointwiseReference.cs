using System;
using System.Collections.Generic;
using System.Linq;

namespace AlexNet.Gen.Tests.Reference;

/// <summary>Geometry of a pooling layer, as plain numbers (the reference never sees a kernel config type).</summary>
internal readonly record struct PoolingShape(
    int Channels, int InHeight, int InWidth, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PadTop, int PadLeft, int PadBottom, int PadRight, bool CountIncludePad)
{
    public int InSize => Channels * InHeight * InWidth;
    public int OutSize => Channels * OutHeight * OutWidth;
}

/// <summary>
/// Naive double-precision definitions of the non-GEMM layers, written straight from the formulas (one output at a
/// time, full windows, no sliding sums or separable passes), and their analytic gradients.
/// </summary>
internal static partial class Reference
{
    // ---- pooling ----

    /// <summary>Max over each window's real elements, scanned row-major; the first maximum wins. Empty window: 0, argmax −1.</summary>
    public static double[] MaxPoolForward(double[] x, int batch, PoolingShape p, out int[] argmax)
    {
        var y = new double[batch * p.OutSize];
        argmax = new int[y.Length];
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < p.Channels; c++)
        {
            int plane = (n * p.Channels + c) * p.InHeight * p.InWidth;
            for (int oh = 0; oh < p.OutHeight; oh++)
            for (int ow = 0; ow < p.OutWidth; ow++)
            {
                double best = double.NegativeInfinity;
                int bestIndex = -1;
                for (int kh = 0; kh < p.KernelHeight; kh++)
                for (int kw = 0; kw < p.KernelWidth; kw++)
                {
                    int h = oh * p.StrideHeight - p.PadTop + kh, w = ow * p.StrideWidth - p.PadLeft + kw;
                    if (h < 0 || h >= p.InHeight || w < 0 || w >= p.InWidth) continue; // padding is −∞
                    double v = x[plane + h * p.InWidth + w];
                    if (bestIndex < 0 || v > best)
                    {
                        best = v;
                        bestIndex = h * p.InWidth + w;
                    }
                }
                int o = ((n * p.Channels + c) * p.OutHeight + oh) * p.OutWidth + ow;
                y[o] = bestIndex < 0 ? 0 : best;
                argmax[o] = bestIndex;
            }
        }
        return y;
    }

    public static double[] MaxPoolBackward(double[] dy, int[] argmax, int batch, PoolingShape p)
    {
        var dx = new double[batch * p.InSize];
        int planeIn = p.InHeight * p.InWidth, planeOut = p.OutHeight * p.OutWidth;
        for (int o = 0; o < dy.Length; o++)
            if (argmax[o] >= 0)
                dx[o / planeOut * planeIn + argmax[o]] += dy[o];
        return dx;
    }

    /// <summary>
    /// Divisor with padding counted: window positions inside the padded extent [−PadTop, InHeight + PadBottom) ×
    /// [−PadLeft, InWidth + PadRight); without: real positions. No real position: output 0.
    /// </summary>
    public static double[] AvgPoolForward(double[] x, int batch, PoolingShape p)
    {
        var y = new double[batch * p.OutSize];
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < p.Channels; c++)
        for (int oh = 0; oh < p.OutHeight; oh++)
        for (int ow = 0; ow < p.OutWidth; ow++)
        {
            double sum = 0;
            int real = 0;
            foreach (int i in AvgPoolWindow(n, c, oh, ow, p))
            {
                sum += x[i];
                real++;
            }
            int divisor = AvgPoolDivisor(oh, ow, p, real);
            y[((n * p.Channels + c) * p.OutHeight + oh) * p.OutWidth + ow] = real == 0 ? 0 : sum / divisor;
        }
        return y;
    }

    public static double[] AvgPoolBackward(double[] dy, int batch, PoolingShape p)
    {
        var dx = new double[batch * p.InSize];
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < p.Channels; c++)
        for (int oh = 0; oh < p.OutHeight; oh++)
        for (int ow = 0; ow < p.OutWidth; ow++)
        {
            var window = AvgPoolWindow(n, c, oh, ow, p);
            if (window.Count == 0) continue;
            double g = dy[((n * p.Channels + c) * p.OutHeight + oh) * p.OutWidth + ow] / AvgPoolDivisor(oh, ow, p, window.Count);
            foreach (int i in window) dx[i] += g;
        }
        return dx;
    }

    private static List<int> AvgPoolWindow(int n, int c, int oh, int ow, PoolingShape p)
    {
        var real = new List<int>();
        for (int kh = 0; kh < p.KernelHeight; kh++)
        for (int kw = 0; kw < p.KernelWidth; kw++)
        {
            int h = oh * p.StrideHeight - p.PadTop + kh, w = ow * p.StrideWidth - p.PadLeft + kw;
            if (h < 0 || h >= p.InHeight || w < 0 || w >= p.InWidth) continue;
            real.Add(((n * p.Channels + c) * p.InHeight + h) * p.InWidth + w);
        }
        return real;
    }

    private static int AvgPoolDivisor(int oh, int ow, PoolingShape p, int real)
    {
        if (!p.CountIncludePad) return real;
        int count = 0;
        for (int kh = 0; kh < p.KernelHeight; kh++)
        for (int kw = 0; kw < p.KernelWidth; kw++)
        {
            int h = oh * p.StrideHeight - p.PadTop + kh, w = ow * p.StrideWidth - p.PadLeft + kw;
            if (h < p.InHeight + p.PadBottom && w < p.InWidth + p.PadRight) count++;
        }
        return count;
    }

    // ---- local response normalization ----

    /// <summary>s_c = k + coefficient·Σ_{j ∈ [c − before, c + after] ∩ [0, C)} x_j²; y_c = x_c·s_c^−β.</summary>
    public static double[] LrnForward(double[] x, int batch, int channels, int plane, int before, int after,
        double coefficient, double beta, double k, out double[] scale)
    {
        var y = new double[x.Length];
        scale = new double[x.Length];
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < channels; c++)
        for (int p = 0; p < plane; p++)
        {
            double sum = 0;
            for (int j = Math.Max(0, c - before); j <= Math.Min(channels - 1, c + after); j++)
            {
                double v = x[(n * channels + j) * plane + p];
                sum += v * v;
            }
            int i = (n * channels + c) * plane + p;
            scale[i] = k + coefficient * sum;
            y[i] = x[i] * Math.Pow(scale[i], -beta);
        }
        return y;
    }

    /// <summary>∂L/∂x_i = dy_i·s_i^−β − 2·coefficient·β·x_i·Σ_{c : i ∈ window(c)} dy_c·x_c·s_c^(−β−1).</summary>
    public static double[] LrnBackward(double[] x, double[] dy, int batch, int channels, int plane, int before, int after,
        double coefficient, double beta, double k)
    {
        LrnForward(x, batch, channels, plane, before, after, coefficient, beta, k, out double[] s);
        var dx = new double[x.Length];
        for (int n = 0; n < batch; n++)
        for (int i = 0; i < channels; i++)
        for (int p = 0; p < plane; p++)
        {
            int at = (n * channels + i) * plane + p;
            double cross = 0;
            for (int c = 0; c < channels; c++)
            {
                if (i < c - before || i > c + after) continue;
                int ac = (n * channels + c) * plane + p;
                cross += dy[ac] * x[ac] * Math.Pow(s[ac], -beta - 1);
            }
            dx[at] = dy[at] * Math.Pow(s[at], -beta) - 2 * coefficient * beta * x[at] * cross;
        }
        return dx;
    }

    // ---- activations ----

    public static double[] ReluForward(double[] x) => x.Select(v => v > 0 ? v : 0).ToArray();

    public static double[] ReluBackward(double[] x, double[] dy) => x.Select((v, i) => v > 0 ? dy[i] : 0).ToArray();

    public static double[] EluForward(double[] x, double alpha) => x.Select(v => v > 0 ? v : alpha * (Math.Exp(v) - 1)).ToArray();

    public static double[] EluBackward(double[] x, double[] dy, double alpha) => x.Select((v, i) => v > 0 ? dy[i] : dy[i] * alpha * Math.Exp(v)).ToArray();

    // ---- softmax and cross-entropy ----

    public static double[] SoftmaxForward(double[] z, int batch, int classes)
    {
        var p = new double[z.Length];
        for (int n = 0; n < batch; n++)
        {
            double lse = SoftmaxLogSumExp(z, n, classes);
            for (int j = 0; j < classes; j++)
                p[n * classes + j] = Math.Exp(z[n * classes + j] - lse);
        }
        return p;
    }

    /// <summary>dz_j = Σ_k dp_k·∂p_k/∂z_j with ∂p_k/∂z_j = p_k(δ_kj − p_j) (the full Jacobian, row by row).</summary>
    public static double[] SoftmaxBackward(double[] z, double[] dp, int batch, int classes)
    {
        var p = SoftmaxForward(z, batch, classes);
        var dz = new double[z.Length];
        for (int n = 0; n < batch; n++)
        for (int j = 0; j < classes; j++)
        {
            double sum = 0;
            for (int k = 0; k < classes; k++)
            {
                double pk = p[n * classes + k], pj = p[n * classes + j];
                sum += dp[n * classes + k] * pk * ((k == j ? 1 : 0) - pj);
            }
            dz[n * classes + j] = sum;
        }
        return dz;
    }

    /// <summary>Mean over the batch of −Σ_j t_j·log p_j, t = (1 − ε)·onehot + ε/classes.</summary>
    public static double CrossEntropyLoss(double[] z, int[] labels, int batch, int classes, double smoothing)
    {
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            double lse = SoftmaxLogSumExp(z, n, classes);
            for (int j = 0; j < classes; j++)
                total -= CrossEntropyTarget(j, labels[n], classes, smoothing) * (z[n * classes + j] - lse);
        }
        return total / batch;
    }

    /// <summary>∂loss/∂z = (softmax − target)/batch.</summary>
    public static double[] CrossEntropyGradient(double[] z, int[] labels, int batch, int classes, double smoothing)
    {
        var p = SoftmaxForward(z, batch, classes);
        var g = new double[z.Length];
        for (int n = 0; n < batch; n++)
        for (int j = 0; j < classes; j++)
            g[n * classes + j] = (p[n * classes + j] - CrossEntropyTarget(j, labels[n], classes, smoothing)) / batch;
        return g;
    }

    private static double CrossEntropyTarget(int j, int label, int classes, double smoothing)
        => (j == label ? 1 - smoothing : 0) + smoothing / classes;

    private static double SoftmaxLogSumExp(double[] z, int row, int classes)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < classes; j++) max = Math.Max(max, z[row * classes + j]);
        double sum = 0;
        for (int j = 0; j < classes; j++) sum += Math.Exp(z[row * classes + j] - max);
        return max + Math.Log(sum);
    }

    // ---- dropout ----

    /// <summary>dx = dy·mask.</summary>
    public static double[] DropoutBackward(double[] dy, float[] mask) => dy.Select((v, i) => v * mask[i]).ToArray();
}

/// <summary>Data, finite differences and tolerance checks shared by the pointwise kernel tests.</summary>
internal static class PointwiseTestUtil
{
    public static double[] Uniform(int length, double low, double high, ulong seed)
    {
        var random = new SeededRandom(seed);
        var values = new double[length];
        for (int i = 0; i < length; i++) values[i] = low + (high - low) * random.NextDouble();
        return values;
    }

    /// <summary>Values exactly representable in float (so the float kernel and the double reference see the same input).</summary>
    public static double[] UniformFloat(int length, double low, double high, ulong seed)
        => Uniform(length, low, high, seed).Select(v => (double)(float)v).ToArray();

    /// <summary>Distinct values at least <paramref name="gap"/> apart in shuffled order (no ties for finite differences).</summary>
    public static double[] Distinct(int length, double gap, ulong seed)
    {
        var values = Enumerable.Range(0, length).Select(i => (i - length / 2) * gap).ToArray();
        new SeededRandom(seed).Shuffle(values.AsSpan());
        return values;
    }

    public static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    /// <summary>∂(Σ_o weights_o·f(x)_o)/∂x by central differences.</summary>
    public static double[] FiniteDifference(Func<double[], double[]> f, double[] x, double[] weights, double h = 1e-6)
    {
        var gradient = new double[x.Length];
        var probe = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            probe[i] = x[i] + h;
            double plus = Dot(f(probe), weights);
            probe[i] = x[i] - h;
            double minus = Dot(f(probe), weights);
            probe[i] = x[i];
            gradient[i] = (plus - minus) / (2 * h);
        }
        return gradient;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>max|actual − expected| ≤ relative·max(1, max|expected|).</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, double[] expected, double relative, string what)
        => AssertClose(ToDouble(actual), expected, relative, what);

    public static void AssertClose(double[] actual, double[] expected, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1, worst = 0;
        int worstAt = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(double.IsNaN(expected[i]), $"{what}: the reference is NaN at {i}");
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (!(d <= worst)) { worst = d; worstAt = i; } // NaN lands here and fails below
        }
        Assert.True(worst <= relative * scale,
            $"{what}: max |diff| {worst:G4} at {worstAt} (actual {actual[worstAt]:G9}, expected {expected[worstAt]:G9}) exceeds {relative:G2}·{scale:G4}");
    }
}
