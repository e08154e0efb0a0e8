using System;
using AlexNet.Gen.Kernels;

namespace AlexNet.Gen.Tests;

/// <summary>
/// Tests that change process-wide kernel settings (<see cref="StaticParallel.ThreadCount"/>, the forced GEMM vector
/// width), compare runs bitwise, or count allocations on the kernel workers. They run one at a time, after the parallel
/// tests: the StaticParallel workers are shared by the whole process, so a concurrent test's allocating body on a
/// worker, or its switch of thread count or SIMD width between two compared runs, would fail them at random (seen in
/// CI: 8,016 bytes counted on a worker in a steady-state allocation window).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelStateCollection
{
    public const string Name = "Process-wide kernel state (serial)";
}

/// <summary>Bytes allocated by the calling thread plus every StaticParallel worker: all the threads a kernel runs on.</summary>
/// <remarks>
/// GC.GetTotalAllocatedBytes(precise: true) counts every thread of the process; under the test host its own threads
/// allocate a few hundred bytes every few milliseconds, so it cannot tell a kernel allocation from host noise.
/// </remarks>
internal static class KernelThreadAllocations
{
    private static readonly long[] Counters = new long[64];

    /// <summary>The running total of the caller and the workers in use at the current thread count.</summary>
    public static long Sum()
    {
        int n = StaticParallel.ThreadCount;
        // With count = parts = n, part i of the loop runs on thread i (part 0 on the caller).
        StaticParallel.For(n, n, new ReadCounters());
        long sum = 0;
        for (int i = 0; i < n; i++) sum += Counters[i];
        return sum;
    }

    /// <summary>
    /// Bytes allocated by two calls of <paramref name="action"/>, after warming up for at least three calls and
    /// <see cref="WarmUpMilliseconds"/>: the runtime allocates a few kilobytes once on these threads early on (seen in
    /// full-suite runs only; see AllocationTests), which is not the kernel's doing.
    /// </summary>
    public static long Of(Action action)
    {
        WarmUp(action, minimumCalls: 3, milliseconds: 200);
        long before = Sum();
        action();
        action();
        return Sum() - before;
    }

    /// <summary>Calls <paramref name="action"/> at least <paramref name="minimumCalls"/> times and for at least
    /// <paramref name="milliseconds"/>; returns the number of calls.</summary>
    public static int WarmUp(Action action, int minimumCalls, int milliseconds)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int calls = 0;
        while (calls < minimumCalls || clock.ElapsedMilliseconds < milliseconds)
        {
            action();
            calls++;
        }
        return calls;
    }

    private struct ReadCounters : IParallelBody
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Counters[i] = GC.GetAllocatedBytesForCurrentThread();
        }
    }
}
