using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Training;
using Xunit.Abstractions;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>
/// Issue #3: after the first call at a batch size, a training step and an inference forward of a generated
/// network allocate nothing, on this thread or on the kernel workers.
/// </summary>
/// <remarks>
/// GC.GetTotalAllocatedBytes(precise: true) was tried first: it counts every thread of the process, and under the
/// test runner its background threads allocate a few hundred bytes every few milliseconds (the same loops measured in a
/// plain console process show 0), so it cannot tell a kernel allocation from runner noise. The tests therefore sum
/// GC.GetAllocatedBytesForCurrentThread() over exactly the threads that run the network: the caller and every
/// StaticParallel worker (read on each worker through a StaticParallel loop, which itself allocates nothing).
/// The all-threads total is still printed for information.
/// </remarks>
[Collection(KernelStateCollection.Name)]
public class AllocationTests
{
    private const int Batch = 16, StepsPerWindow = 20, Windows = 3, WarmUpMilliseconds = 500;
    private readonly ITestOutputHelper _output;

    public AllocationTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void TrainingStep_ForwardTrainingBackwardSgd_AllocatesNothingAfterTheFirst()
    {
        var (images, labels) = OrientedBars.Generate(Batch, seed: 31);
        var net = new BarsNet(seed: 1);
        var sgd = new Sgd(net.Parameters, 0.01, momentum: 0.9, weightDecay: 5e-4);
        var output = new float[Batch * BarsNet.OutputLength];
        float lastLoss = 0;
        void Step()
        {
            net.ForwardTraining(images, output, Batch);
            lastLoss = net.Backward(labels);
            sgd.Step();
        }
        AssertSteadyStateAllocationFree(Step, "ForwardTraining + Backward + Sgd.Step");
        Assert.True(float.IsFinite(lastLoss) && lastLoss > 0, $"loss {lastLoss}");
    }

    [Fact]
    public void TrainerTrainStep_AllocatesNothingAfterTheFirst()
    {
        var (images, labels) = OrientedBars.Generate(Batch, seed: 32);
        var net = new BarsNet(seed: 2);
        var trainer = new Trainer(net, new AdamW(net.Parameters, 1e-3), new InMemoryData(images, labels, OrientedBars.SampleLength),
            options: new TrainerOptions { BatchSize = Batch, GradientClipNorm = 5f, LabelSmoothing = 0.1f });
        AssertSteadyStateAllocationFree(() => trainer.TrainStep(images, labels), "Trainer.TrainStep (AdamW, clipping, label smoothing)");
    }

    [Fact]
    public void InferenceForward_AllocatesNothingAfterTheFirst()
    {
        var (images, _) = OrientedBars.Generate(Batch, seed: 33);
        var net = new BarsNet(seed: 3);
        var output = new float[Batch * BarsNet.OutputLength];
        AssertSteadyStateAllocationFree(() => net.Forward(images, output, Batch), "Forward");
        Assert.Contains(output, v => v != 0f);
    }

    private void AssertSteadyStateAllocationFree(Action step, string what)
    {
        step(); // the first call at this batch size grows the buffers and the kernels' workspace
        // Then warm up for a while: the runtime itself allocates a few kilobytes once on these threads at some point in
        // the first calls (seen in full-suite runs only: 8,016 bytes in one window, at a moment that varies, while other
        // threads allocated too, consistent with tiered compilation replacing methods). That is a one-off, not a
        // per-step allocation; the windows below still fail on any allocation that recurs or that happens later.
        long warmUpStart = KernelThreadAllocations.Sum();
        int warmUpSteps = KernelThreadAllocations.WarmUp(step, StepsPerWindow, WarmUpMilliseconds);
        long warmUpBytes = KernelThreadAllocations.Sum() - warmUpStart;
        long[] network = new long[Windows], total = new long[Windows];
        for (int w = 0; w < Windows; w++)
        {
            long total0 = GC.GetTotalAllocatedBytes(precise: true);
            long network0 = KernelThreadAllocations.Sum();
            for (int i = 0; i < StepsPerWindow; i++) step();
            network[w] = KernelThreadAllocations.Sum() - network0;
            total[w] = GC.GetTotalAllocatedBytes(precise: true) - total0;
        }
        _output.WriteLine($"{what}: warm-up {warmUpSteps} calls, {warmUpBytes} bytes; bytes per {StepsPerWindow}-call window: caller + {StaticParallel.ThreadCount - 1} worker(s) " +
            $"[{string.Join(", ", network)}]; whole process incl. test runner [{string.Join(", ", total)}]");
        Assert.All(network, bytes => Assert.True(bytes == 0,
            $"{what} allocated {bytes} bytes on the caller and kernel workers in {StepsPerWindow} calls: [{string.Join(", ", network)}]"));
    }

    [Fact]
    public void KernelThreadAllocations_SeesAnAllocationOnAWorker()
    {
        int previous = StaticParallel.ThreadCount;
        try
        {
            StaticParallel.ThreadCount = 2;
            long before = KernelThreadAllocations.Sum();
            StaticParallel.For(2, 2, new AllocatingBody());
            long allocated = KernelThreadAllocations.Sum() - before;
            // Two 1000-int arrays: at least 8000 bytes, one of them on the worker.
            Assert.True(allocated >= 8000, $"the counter saw {allocated} bytes");
            Assert.Equal(1000, AllocatingBody.Kept[1].Length);
        }
        finally
        {
            StaticParallel.ThreadCount = previous;
        }
    }

    [Fact]
    public void KernelThreadAllocations_Of_SeesAnAllocationEveryCall()
    {
        // Two measured calls of 1,000 ints each: at least 8,000 bytes, so a per-call allocation cannot warm away.
        long bytes = KernelThreadAllocations.Of(() => AllocatingBody.Kept[0] = new int[1000]);
        Assert.True(bytes >= 8000, $"the counter saw {bytes} bytes");
    }

    private struct AllocatingBody : IParallelBody
    {
        public static readonly int[][] Kept = new int[2][];

        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Kept[i] = new int[1000];
        }
    }
}
