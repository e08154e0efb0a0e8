using System;
using System.Linq;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Tests.Reference;
using Ref = AlexNet.Gen.Tests.Reference.Reference;
using static AlexNet.Gen.Tests.Reference.PointwiseTestUtil;

namespace AlexNet.Gen.Tests.Kernels;

[Collection(KernelStateCollection.Name)]
public class LossKernelTests
{
    private static int[] Labels(int batch, int classes, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, batch).Select(_ => random.NextInt(classes)).ToArray();
    }

    /// <summary>Logits of ±1e4 in every row, so a naive exp would overflow.</summary>
    private static double[] ExtremeLogits(int batch, int classes, int[] labels, ulong seed)
    {
        double[] z = UniformFloat(batch * classes, -5, 5, seed);
        for (int n = 0; n < batch; n++)
        {
            z[n * classes + (labels[n] + 1) % classes] = 1e4;
            z[n * classes + (labels[n] + 2) % classes] = -1e4;
        }
        if (batch > 1) z[1 * classes + labels[1]] = 1e4; // a row where the label is one of two tied maxima
        return z;
    }

    // ---- softmax ----

    [Theory, InlineData(1, 10), InlineData(3, 10), InlineData(4, 1000), InlineData(300, 257)]
    public void SoftmaxForwardMatchesReference(int batch, int classes)
    {
        double[] z = UniformFloat(batch * classes, -8, 8, 81);
        var p = new float[z.Length];
        Softmax.Forward(ToFloat(z), p, batch, classes);
        AssertClose(p, Ref.SoftmaxForward(z, batch, classes), 1e-4, "softmax");

        float[] inPlace = ToFloat(z);
        Softmax.Forward(inPlace, inPlace, batch, classes);
        Assert.Equal(p, inPlace);
    }

    [Theory, InlineData(1), InlineData(3)]
    public void SoftmaxIsStableForHugeLogits(int batch)
    {
        const int classes = 10;
        int[] labels = Labels(batch, classes, 82);
        double[] z = ExtremeLogits(batch, classes, labels, 83);
        var p = new float[z.Length];
        Softmax.Forward(ToFloat(z), p, batch, classes);
        Assert.All(p, v => Assert.True(float.IsFinite(v)));
        AssertClose(p, Ref.SoftmaxForward(z, batch, classes), 1e-4, "softmax ±1e4");
    }

    [Theory, InlineData(1, 10), InlineData(3, 10), InlineData(4, 1000)]
    public void SoftmaxBackwardMatchesReference(int batch, int classes)
    {
        double[] z = UniformFloat(batch * classes, -4, 4, 84);
        double[] dp = UniformFloat(batch * classes, -1, 1, 85);
        double[] expected = Ref.SoftmaxBackward(z, dp, batch, classes);
        var p = new float[z.Length];
        Softmax.Forward(ToFloat(z), p, batch, classes);
        var dz = Enumerable.Repeat(float.NaN, z.Length).ToArray();
        Softmax.Backward(p, ToFloat(dp), dz, batch, classes);
        // The gradient is small next to 1 for 1000 classes: compare against its own scale as well.
        AssertClose(dz, expected, 1e-3, "softmax backward");
        double scale = expected.Max(Math.Abs);
        AssertClose(dz.Select(v => v / scale).ToArray(), expected.Select(v => v / scale).ToArray(), 1e-3, "softmax backward (scaled)");

        float[] over = ToFloat(dp); // writing over the incoming gradient is allowed
        Softmax.Backward(p, over, over, batch, classes);
        Assert.Equal(dz, over);
    }

    [Fact]
    public void SoftmaxReferenceBackwardMatchesFiniteDifferences()
    {
        const int batch = 3, classes = 7;
        double[] z = Uniform(batch * classes, -4, 4, 86);
        double[] dp = Uniform(batch * classes, -1, 1, 87);
        double[] numeric = FiniteDifference(v => Ref.SoftmaxForward(v, batch, classes), z, dp);
        AssertClose(Ref.SoftmaxBackward(z, dp, batch, classes), numeric, 1e-6, "softmax reference backward");
    }

    // ---- cross-entropy ----

    [Theory]
    [InlineData(1, 10, 0.0), InlineData(3, 10, 0.0), InlineData(1, 10, 0.1), InlineData(3, 10, 0.1),
     InlineData(4, 1000, 0.0), InlineData(4, 1000, 0.1), InlineData(1500, 5, 0.1)]
    public void CrossEntropyMatchesReference(int batch, int classes, double smoothing)
    {
        double[] z = UniformFloat(batch * classes, -6, 6, 88);
        int[] labels = Labels(batch, classes, 89);
        CheckCrossEntropy(z, labels, batch, classes, smoothing, "moderate logits");
    }

    [Theory, InlineData(1, 0.0), InlineData(3, 0.0), InlineData(1, 0.1), InlineData(3, 0.1)]
    public void CrossEntropyIsStableForHugeLogits(int batch, double smoothing)
    {
        const int classes = 10;
        int[] labels = Labels(batch, classes, 90);
        double[] z = ExtremeLogits(batch, classes, labels, 91);
        double expected = Ref.CrossEntropyLoss(z, labels, batch, classes, smoothing);
        Assert.True(expected > 1e3, "the label should sit far below the maximum in some row");
        CheckCrossEntropy(z, labels, batch, classes, smoothing, "±1e4 logits");
    }

    private static void CheckCrossEntropy(double[] z, int[] labels, int batch, int classes, double smoothing, string what)
    {
        double expectedLoss = Ref.CrossEntropyLoss(z, labels, batch, classes, smoothing);
        double[] expectedGradient = Ref.CrossEntropyGradient(z, labels, batch, classes, smoothing);

        var gradient = Enumerable.Repeat(float.NaN, z.Length).ToArray();
        float loss = CrossEntropy.SoftmaxCrossEntropy(ToFloat(z), labels, gradient, batch, classes, (float)smoothing);
        Assert.True(float.IsFinite(loss), what + ": loss not finite");
        AssertClose(new[] { loss }, new[] { expectedLoss }, 1e-4, what + " loss");
        // The gradient is O(1/batch): scale it up so the relative tolerance means something.
        AssertClose(gradient.Select(g => g * batch).ToArray(), expectedGradient.Select(g => g * batch).ToArray(), 1e-3, what + " gradient");

        float lossOnly = CrossEntropy.SoftmaxCrossEntropyLoss(ToFloat(z), labels, batch, classes, (float)smoothing);
        Assert.Equal(loss, lossOnly);

        float[] over = ToFloat(z); // the gradient may be written over the logits
        float lossOver = CrossEntropy.SoftmaxCrossEntropy(over, labels, over, batch, classes, (float)smoothing);
        Assert.Equal(loss, lossOver);
        Assert.Equal(gradient, over);
    }

    [Theory, InlineData(0.0), InlineData(0.1)]
    public void CrossEntropyReferenceGradientMatchesFiniteDifferences(double smoothing)
    {
        const int batch = 3, classes = 6;
        double[] z = Uniform(batch * classes, -4, 4, 92);
        int[] labels = Labels(batch, classes, 93);
        double[] numeric = FiniteDifference(v => new[] { Ref.CrossEntropyLoss(v, labels, batch, classes, smoothing) }, z, new[] { 1.0 });
        AssertClose(Ref.CrossEntropyGradient(z, labels, batch, classes, smoothing), numeric, 1e-6, "cross-entropy reference gradient");
    }

    [Fact]
    public void LabelSmoothingMatchesPyTorchByHand()
    {
        // Uniform logits over 4 classes: log p = −log 4 for every class, so the loss is log 4 for any ε;
        // dL/dz = 1/4 − target, target = (1 − ε) + ε/4 at the label and ε/4 elsewhere: 0.225 and −0.675 for ε = 0.1.
        float[] z = { 3, 3, 3, 3 };
        var g = new float[4];
        float loss = CrossEntropy.SoftmaxCrossEntropy(z, new[] { 2 }, g, 1, 4, 0.1f);
        Assert.Equal(Math.Log(4), loss, 6);
        Assert.Equal(new[] { 0.225, 0.225, -0.675, 0.225 }, g.Select(v => Math.Round(v, 6)).ToArray());

        // Logits (0, ln 3): p = (1/4, 3/4); label 0 with ε = 0.2: target (0.9, 0.1);
        // loss = −0.9·ln(1/4) − 0.1·ln(3/4).
        float[] z2 = { 0, (float)Math.Log(3) };
        float loss2 = CrossEntropy.SoftmaxCrossEntropyLoss(z2, new[] { 0 }, 1, 2, 0.2f);
        Assert.Equal(-0.9 * Math.Log(0.25) - 0.1 * Math.Log(0.75), loss2, 5);
    }

    [Theory, InlineData(-1), InlineData(10)]
    public void CrossEntropyRejectsLabelsOutsideTheClasses(int badLabel)
    {
        int[] labels = { 1, 2, badLabel, 3 };
        var gradient = new float[40];
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropy.SoftmaxCrossEntropy(new float[40], labels, gradient, 4, 10, 0f));
        Assert.Contains("sample 2", ex.Message);
        Assert.Contains("Label " + badLabel, ex.Message);
        Assert.All(gradient, v => Assert.Equal(0f, v)); // checked before anything is written

        ex = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.SoftmaxCrossEntropyLoss(new float[40], labels, 4, 10, 0f));
        Assert.Contains("sample 2", ex.Message);
    }

    [Fact]
    public void LossArgumentsAreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.SoftmaxCrossEntropyLoss(new float[10], new[] { 0 }, 1, 10, 1.5f));
        var ex = Assert.Throws<ArgumentException>(() => CrossEntropy.SoftmaxCrossEntropy(new float[20], new[] { 0, 1 }, new float[19], 2, 10, 0f));
        Assert.Equal("logitGradient", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => CrossEntropy.SoftmaxCrossEntropyLoss(new float[20], new[] { 0 }, 2, 10, 0f));
        Assert.Equal("labels", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Softmax.Forward(new float[20], new float[19], 2, 10));
        Assert.Equal("probabilities", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Backward(new float[20], new float[20], new float[20], 2, 0));
    }

    [Fact]
    public void LossDoesNotDependOnTheThreadCount()
    {
        const int batch = 2048, classes = 100;
        float[] z = ToFloat(UniformFloat(batch * classes, -6, 6, 94));
        int[] labels = Labels(batch, classes, 95);
        (float, float[], float[]) Run()
        {
            var g = new float[z.Length];
            var p = new float[z.Length];
            float loss = CrossEntropy.SoftmaxCrossEntropy(z, labels, g, batch, classes, 0.1f);
            Softmax.Forward(z, p, batch, classes);
            return (loss, g, p);
        }

        int saved = StaticParallel.ThreadCount;
        try
        {
            StaticParallel.ThreadCount = 1;
            var serial = Run();
            StaticParallel.ThreadCount = 3;
            var parallel = Run();
            Assert.Equal(serial.Item1, parallel.Item1);
            Assert.Equal(serial.Item2, parallel.Item2);
            Assert.Equal(serial.Item3, parallel.Item3);
        }
        finally
        {
            StaticParallel.ThreadCount = saved;
        }
    }
}
