using System;
using AlexNet.Gen.Kernels;

namespace AlexNet.Gen.Tests.Reference;

/// <summary>Geometry of a convolution as plain numbers (the reference loops never see a config type).</summary>
internal readonly record struct Conv2dShape(
    int InChannels, int InHeight, int InWidth, int OutChannels, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PadTop, int PadLeft, int Groups, bool HasBias)
{
    public static Conv2dShape Of<T>() where T : struct, IConv2dConfig => new(T.InChannels, T.InHeight, T.InWidth, T.OutChannels,
        T.OutHeight, T.OutWidth, T.KernelHeight, T.KernelWidth, T.StrideHeight, T.StrideWidth, T.PadTop, T.PadLeft, T.Groups, T.HasBias);

    public int InSize => InChannels * InHeight * InWidth;
    public int OutSize => OutChannels * OutHeight * OutWidth;
    public int WeightSize => OutChannels * (InChannels / Groups) * KernelHeight * KernelWidth;
    public int BiasSize => HasBias ? OutChannels : 0;
}

/// <summary>
/// Naive double-precision GEMM, convolution and dense layers, written straight from the definitions
/// (one output or one product at a time), and their analytic gradients.
/// </summary>
internal static partial class Reference
{
    // ---- GEMM ----

    /// <summary>
    /// C = (accumulate ? C : 0) + op(A)·op(B) over the m×n window of a row-major C with leading dimension ldc;
    /// elements of <paramref name="c"/> outside the window are returned unchanged.
    /// </summary>
    public static double[] GemmMultiply(bool transposeA, bool transposeB, int m, int n, int k, float[] a, int lda, float[] b, int ldb,
        float[] c, int ldc, bool accumulate)
    {
        var result = new double[c.Length];
        for (int i = 0; i < c.Length; i++) result[i] = c[i];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double sum = accumulate ? c[i * ldc + j] : 0.0;
            for (int p = 0; p < k; p++)
            {
                double av = transposeA ? a[p * lda + i] : a[i * lda + p];
                double bv = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                sum += av * bv;
            }
            result[i * ldc + j] = sum;
        }
        return result;
    }

    // ---- convolution ----

    /// <summary>y[n, oc, oh, ow] = b[oc] + Σ x[n, g·Cin/g + ic, oh·SH + kh − PadTop, ow·SW + kw − PadLeft]·w[oc, ic, kh, kw], zero outside the image.</summary>
    public static double[] Conv2dForward(Conv2dShape s, double[] x, double[] w, double[] b, int batch)
    {
        var y = new double[batch * s.OutSize];
        int cin = s.InChannels, h = s.InHeight, wd = s.InWidth, cout = s.OutChannels, oh1 = s.OutHeight, ow1 = s.OutWidth;
        int kh1 = s.KernelHeight, kw1 = s.KernelWidth, sh = s.StrideHeight, sw = s.StrideWidth, pt = s.PadTop, pl = s.PadLeft;
        int inG = cin / s.Groups, outG = cout / s.Groups;
        for (int n = 0; n < batch; n++)
        for (int oc = 0; oc < cout; oc++)
        for (int oh = 0; oh < oh1; oh++)
        for (int ow = 0; ow < ow1; ow++)
        {
            double sum = s.HasBias ? b[oc] : 0.0;
            int group = oc / outG;
            for (int ic = 0; ic < inG; ic++)
            for (int kh = 0; kh < kh1; kh++)
            for (int kw = 0; kw < kw1; kw++)
            {
                int ih = oh * sh + kh - pt, iw = ow * sw + kw - pl;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                sum += x[((n * cin + group * inG + ic) * h + ih) * wd + iw] * w[((oc * inG + ic) * kh1 + kh) * kw1 + kw];
            }
            y[((n * cout + oc) * oh1 + oh) * ow1 + ow] = sum;
        }
        return y;
    }

    /// <summary>Gradients of <see cref="Conv2dForward"/> for the loss Σ dy·y: each product term sends dy to its two factors.</summary>
    public static (double[] InputGradient, double[] WeightGradient, double[] BiasGradient) Conv2dBackward(
        Conv2dShape s, double[] x, double[] w, double[] dy, int batch)
    {
        var dx = new double[batch * s.InSize];
        var dw = new double[s.WeightSize];
        var db = new double[s.BiasSize];
        int cin = s.InChannels, h = s.InHeight, wd = s.InWidth, cout = s.OutChannels, oh1 = s.OutHeight, ow1 = s.OutWidth;
        int kh1 = s.KernelHeight, kw1 = s.KernelWidth, sh = s.StrideHeight, sw = s.StrideWidth, pt = s.PadTop, pl = s.PadLeft;
        int inG = cin / s.Groups, outG = cout / s.Groups;
        for (int n = 0; n < batch; n++)
        for (int oc = 0; oc < cout; oc++)
        for (int oh = 0; oh < oh1; oh++)
        for (int ow = 0; ow < ow1; ow++)
        {
            double d = dy[((n * cout + oc) * oh1 + oh) * ow1 + ow];
            if (s.HasBias) db[oc] += d;
            int group = oc / outG;
            for (int ic = 0; ic < inG; ic++)
            for (int kh = 0; kh < kh1; kh++)
            for (int kw = 0; kw < kw1; kw++)
            {
                int ih = oh * sh + kh - pt, iw = ow * sw + kw - pl;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                int xi = ((n * cin + group * inG + ic) * h + ih) * wd + iw;
                int wi = ((oc * inG + ic) * kh1 + kh) * kw1 + kw;
                dw[wi] += d * x[xi];
                dx[xi] += d * w[wi];
            }
        }
        return (dx, dw, db);
    }

    // ---- dense ----

    /// <summary>y[n, o] = b[o] + Σ_i x[n, i]·w[o, i] (weight [out, in] as in nn.Linear).</summary>
    public static double[] DenseForward(int inFeatures, int outFeatures, bool hasBias, double[] x, double[] w, double[] b, int batch)
    {
        var y = new double[batch * outFeatures];
        for (int n = 0; n < batch; n++)
        for (int o = 0; o < outFeatures; o++)
        {
            double sum = hasBias ? b[o] : 0.0;
            for (int i = 0; i < inFeatures; i++) sum += x[n * inFeatures + i] * w[o * inFeatures + i];
            y[n * outFeatures + o] = sum;
        }
        return y;
    }

    /// <summary>Gradients of <see cref="DenseForward"/> for the loss Σ dy·y.</summary>
    public static (double[] InputGradient, double[] WeightGradient, double[] BiasGradient) DenseBackward(
        int inFeatures, int outFeatures, bool hasBias, double[] x, double[] w, double[] dy, int batch)
    {
        var dx = new double[batch * inFeatures];
        var dw = new double[outFeatures * inFeatures];
        var db = new double[hasBias ? outFeatures : 0];
        for (int n = 0; n < batch; n++)
        for (int o = 0; o < outFeatures; o++)
        {
            double d = dy[n * outFeatures + o];
            if (hasBias) db[o] += d;
            for (int i = 0; i < inFeatures; i++)
            {
                dw[o * inFeatures + i] += d * x[n * inFeatures + i];
                dx[n * inFeatures + i] += d * w[o * inFeatures + i];
            }
        }
        return (dx, dw, db);
    }

    // ---- shared helpers of the GEMM/convolution/dense tests ----

    /// <summary>Uniform floats in [−1, 1) from a seeded generator (exactly representable, so float and double inputs agree).</summary>
    public static float[] GemmRandom(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2.0 - 1.0);
        return values;
    }

    public static double[] GemmToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    /// <summary>Norm-relative check: max|actual − expected| ≤ relative · max(1, max|expected|).</summary>
    public static void GemmAssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double relative, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}.");
        double scale = 1.0, worst = 0.0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++) scale = Math.Max(scale, Math.Abs(expected[i]));
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (!double.IsFinite(diff))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}.");
            if (diff > worst) { worst = diff; worstIndex = i; }
        }
        Assert.True(worst <= relative * scale,
            $"{what}: max |diff| {worst:G4} at [{worstIndex}] (got {(worstIndex >= 0 ? actual[worstIndex] : 0f)}, expected {(worstIndex >= 0 ? expected[worstIndex] : 0.0)}) exceeds {relative:G2} × {scale:G4}.");
    }

    /// <summary>
    /// Central differences of the scalar loss L(θ) = Σ dy·f(θ) at up to <paramref name="samples"/> evenly spread
    /// coordinates of θ, compared with the analytic gradient (double precision throughout).
    /// </summary>
    public static void Conv2dCheckFiniteDifference(Func<double[], double[]> forward, double[] theta, double[] dy, double[] analytic,
        int samples, string what)
    {
        const double h = 1e-5;
        Assert.Equal(theta.Length, analytic.Length);
        int step = Math.Max(1, theta.Length / samples);
        double scale = 1.0;
        foreach (double g in analytic) scale = Math.Max(scale, Math.Abs(g));
        for (int i = 0; i < theta.Length; i += step)
        {
            double saved = theta[i];
            theta[i] = saved + h;
            double plus = DenseDot(forward(theta), dy);
            theta[i] = saved - h;
            double minus = DenseDot(forward(theta), dy);
            theta[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 * scale,
                $"{what}[{i}]: finite difference {numeric:R} vs analytic {analytic[i]:R}.");
        }
    }

    private static double DenseDot(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
