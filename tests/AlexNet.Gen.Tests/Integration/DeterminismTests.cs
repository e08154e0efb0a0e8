using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>Issue #3: the same seed gives bitwise the same parameters, whatever the run or the thread count.</summary>
[Collection(KernelStateCollection.Name)]
public class DeterminismTests
{
    // An odd batch: the kernels' static partitions over samples and chunks are uneven.
    private const int Batch = 13, Steps = 10;

    /// <summary>Ten SGD steps (momentum, weight decay, dropout active) on oriented bars; returns a copy of the parameters.</summary>
    internal static float[] TrainSteps(int seed, int steps = Steps)
    {
        var (images, labels) = OrientedBars.Generate(steps * Batch, (ulong)seed + 1000);
        var net = new BarsNet(seed);
        var sgd = new Sgd(net.Parameters, 0.05, momentum: 0.9, weightDecay: 5e-4);
        var output = new float[Batch * BarsNet.OutputLength];
        int d = BarsNet.InputLength;
        for (int s = 0; s < steps; s++)
        {
            net.ForwardTraining(images.AsSpan(s * Batch * d, Batch * d), output, Batch);
            net.Backward(labels.AsSpan(s * Batch, Batch));
            sgd.Step();
        }
        return (float[])net.Parameters.Values.Clone();
    }

    [Fact]
    public void SameSeed_TwiceInOneProcess_GivesBitwiseEqualParameters()
    {
        float[] first = TrainSteps(seed: 3);
        float[] second = TrainSteps(seed: 3);

        IntegrationUtil.AssertBitwiseEqual(first, second, new BarsNet(3).Parameters, "second run vs first");
        // The comparison means something only if training moved the parameters and the seed matters.
        Assert.True(IntegrationUtil.FirstDifference(new BarsNet(3).Parameters.Values, first) >= 0, "ten steps left the parameters at their initial values");
        Assert.True(IntegrationUtil.FirstDifference(TrainSteps(seed: 4), first) >= 0, "seeds 3 and 4 trained to the same parameters");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SameSeed_OneThreadVersusMany_GivesBitwiseEqualParameters(int threads)
    {
        int previous = StaticParallel.ThreadCount;
        float[] serial, parallel;
        try
        {
            StaticParallel.ThreadCount = 1;
            serial = TrainSteps(seed: 3);
            StaticParallel.ThreadCount = threads;
            parallel = TrainSteps(seed: 3);
        }
        finally
        {
            StaticParallel.ThreadCount = previous;
        }
        IntegrationUtil.AssertBitwiseEqual(serial, parallel, new BarsNet(3).Parameters, $"ThreadCount {threads} vs 1");
    }
}
