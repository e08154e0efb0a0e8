using System;
using System.Globalization;
using Xunit.Sdk;

namespace AlexNet.Gen.Parity.Support;

/// <summary>Norm-based comparison: max|actual − expected| ≤ tolerance · max(1, max|expected|).</summary>
internal static class ParityAssert
{
    /// <summary>Forward outputs: our float32 against libtorch's float64.</summary>
    public const double ForwardTolerance = 1e-4;

    /// <summary>Gradients: our float32 backward against libtorch autograd.</summary>
    public const double GradientTolerance = 1e-3;

    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        if (actual.Length != expected.Length)
            throw new XunitException($"{what}: {actual.Length} values, libtorch has {expected.Length}.");
        if (expected.Length == 0)
            throw new XunitException($"{what}: nothing to compare.");
        double maxRef = 0, maxDiff = 0;
        int worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            if (!double.IsFinite(e))
                throw new XunitException($"{what}: libtorch produced {e} at {i}; the test data is unsuitable.");
            maxRef = Math.Max(maxRef, Math.Abs(e));
            double d = Math.Abs(actual[i] - e);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            if (d > maxDiff)
            {
                maxDiff = d;
                worst = i;
            }
        }
        double bound = tolerance * Math.Max(1.0, maxRef);
        if (!(maxDiff <= bound))
        {
            throw new XunitException(string.Format(CultureInfo.InvariantCulture,
                "{0}: max |diff| {1:G6} at index {2} (ours {3:G9}, libtorch {4:G9}) exceeds {5:G3} (tolerance {6:G3} × max(1, max|ref| = {7:G6})).",
                what, maxDiff, worst, actual[worst], expected[worst], bound, tolerance, maxRef));
        }
    }

    public static void AssertForward(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, string what)
        => AssertClose(actual, expected, ForwardTolerance, what);

    public static void AssertGradient(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, string what)
        => AssertClose(actual, expected, GradientTolerance, what);
}
