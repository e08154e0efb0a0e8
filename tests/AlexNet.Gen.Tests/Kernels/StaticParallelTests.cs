using System;
using System.Threading;
using AlexNet.Gen.Kernels;
using Xunit;

namespace AlexNet.Gen.Tests.Kernels;

/// <summary>
/// The deterministic parallel loop every kernel runs on: its partition, which thread runs which part, failures, nesting,
/// and both ways a thread waits for its signal (spinning first, or blocking at once).
/// </summary>
[Collection(KernelStateCollection.Name)]
public class StaticParallelTests
{
    /// <summary>Records, for every index, how often it ran and on which managed thread.</summary>
    private struct RecordingBody : IParallelBody
    {
        public int[] Runs;
        public int[] Threads;

        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                Interlocked.Increment(ref Runs[i]);
                Threads[i] = Environment.CurrentManagedThreadId;
            }
        }
    }

    private struct FailingBody : IParallelBody
    {
        public int FailingStart;

        public readonly void Run(int start, int end)
        {
            if (start == FailingStart) throw new InvalidOperationException("part " + start);
        }
    }

    /// <summary>Runs a loop inside each part and records whether the inner one stayed on the part's thread.</summary>
    private struct NestingBody : IParallelBody
    {
        public int[] InnerThreads;
        public int[] OuterThreads;

        public readonly void Run(int start, int end)
        {
            OuterThreads[start] = Environment.CurrentManagedThreadId;
            var inner = new RecordingBody { Runs = new int[4], Threads = new int[4] };
            StaticParallel.For(4, inner);
            InnerThreads[start] = inner.Threads[0] == inner.Threads[3] ? inner.Threads[0] : -1;
        }
    }

    private static void WithSpin(long ticks, Action action)
    {
        long saved = StaticParallel.SpinTicks;
        StaticParallel.SpinTicks = ticks;
        try { action(); }
        finally { StaticParallel.SpinTicks = saved; }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(10, 3)]
    [InlineData(3, 8)]
    [InlineData(1000, 7)]
    public void Partition_TilesTheRangeInOrderWithPartsWithinOneOfEachOther(int count, int parts)
    {
        int next = 0, smallest = int.MaxValue, largest = 0;
        for (int i = 0; i < parts; i++)
        {
            var (start, end) = StaticParallel.Partition(count, parts, i);
            Assert.Equal(next, start);
            Assert.True(end >= start);
            smallest = Math.Min(smallest, end - start);
            largest = Math.Max(largest, end - start);
            next = end;
        }
        Assert.Equal(count, next);
        Assert.True(largest - smallest <= 1, $"parts of {smallest}..{largest} items");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    public void For_RunsEveryIndexOnceAndEachPartAlwaysOnTheSameThread(int spinMilliseconds)
    {
        WithSpin(System.Diagnostics.Stopwatch.Frequency * spinMilliseconds / 1000, () => GemmTestScope.WithThreads(2, () =>
        {
            const int count = 301;
            int[] firstThreads = null!;
            // Many loops back to back: a lost wake-up in the spin-then-block handshake would hang or skip a part.
            for (int round = 0; round < 2000; round++)
            {
                var body = new RecordingBody { Runs = new int[count], Threads = new int[count] };
                StaticParallel.For(count, body);
                Assert.All(body.Runs, runs => Assert.Equal(1, runs));
                firstThreads ??= body.Threads;
                Assert.Equal(firstThreads, body.Threads);
            }
            // Part 0 runs on the caller, part 1 on a worker.
            int split = StaticParallel.Partition(count, 2, 1).Start;
            Assert.All(firstThreads[..split], thread => Assert.Equal(Environment.CurrentManagedThreadId, thread));
            Assert.All(firstThreads[split..], thread => Assert.Equal(firstThreads[split], thread));
            Assert.NotEqual(Environment.CurrentManagedThreadId, firstThreads[split]);
        }));
    }

    [Fact]
    public void For_WaitsForAWorkerThatOutlastsTheSpin()
    {
        // The caller's part ends at once, the worker's after 20 ms: the caller spins 1 ms, then must block and wake.
        WithSpin(System.Diagnostics.Stopwatch.Frequency / 1000, () => GemmTestScope.WithThreads(2, () =>
        {
            var body = new SlowSecondPart { Done = new int[2] };
            StaticParallel.For(2, body);
            Assert.Equal(new[] { 1, 1 }, body.Done);
        }));
    }

    private struct SlowSecondPart : IParallelBody
    {
        public int[] Done;

        public readonly void Run(int start, int end)
        {
            if (start == 1) Thread.Sleep(20);
            for (int i = start; i < end; i++) Done[i]++;
        }
    }

    [Fact]
    public void For_RethrowsAWorkersFailureAndKeepsWorking()
    {
        GemmTestScope.WithThreads(2, () =>
        {
            var failure = Assert.Throws<AggregateException>(() => StaticParallel.For(2, new FailingBody { FailingStart = 1 }));
            Assert.Equal("part 1", Assert.IsType<InvalidOperationException>(failure.InnerException).Message);
            // The caller's own part fails the loop too, and the workers are still there afterwards.
            Assert.Throws<InvalidOperationException>(() => StaticParallel.For(2, new FailingBody { FailingStart = 0 }));
            var body = new RecordingBody { Runs = new int[64], Threads = new int[64] };
            StaticParallel.For(64, body);
            Assert.All(body.Runs, runs => Assert.Equal(1, runs));
        });
    }

    [Fact]
    public void For_InsideAPartRunsSeriallyOnThatPartsThread()
    {
        GemmTestScope.WithThreads(2, () =>
        {
            var body = new NestingBody { InnerThreads = new int[2], OuterThreads = new int[2] };
            StaticParallel.For(2, body);
            Assert.Equal(body.OuterThreads, body.InnerThreads);
            Assert.NotEqual(body.OuterThreads[0], body.OuterThreads[1]);
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void ThreadCount_OutsideOneTo64_Throws(int threads)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => StaticParallel.ThreadCount = threads);
        Assert.Contains("between 1 and 64", error.Message);
    }
}
