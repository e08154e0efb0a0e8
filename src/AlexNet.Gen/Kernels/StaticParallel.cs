using System;
using System.Diagnostics;
using System.Threading;

namespace AlexNet.Gen.Kernels;

/// <summary>A range of work items run by one thread: [start, end).</summary>
public interface IParallelBody
{
    void Run(int start, int end);
}

/// <summary>
/// Deterministic parallel loops: the range is split into <see cref="ThreadCount"/> contiguous, equal parts, part i
/// always runs on worker i, so results never depend on timing. Workers are persistent threads; a loop allocates
/// nothing (the body is a struct stored in a per-type static, not boxed). Calls from inside a loop run serially.
/// </summary>
public static class StaticParallel
{
    private static readonly object Gate = new();
    private static int _threadCount = Math.Clamp(Environment.ProcessorCount, 1, 64);
    private static Worker[] _workers = Array.Empty<Worker>();
    [ThreadStatic] private static bool _insideLoop;

    /// <summary>Threads used by every kernel (default: the processor count). Set it before running models.</summary>
    public static int ThreadCount
    {
        get => _threadCount;
        set
        {
            if (value < 1 || value > 64) throw new ArgumentOutOfRangeException(nameof(value), value, "ThreadCount must be between 1 and 64.");
            _threadCount = value;
        }
    }

    /// <summary>The part of [0, count) that thread <paramref name="index"/> of <paramref name="parts"/> runs.</summary>
    public static (int Start, int End) Partition(int count, int parts, int index)
    {
        long start = (long)count * index / parts;
        long end = (long)count * (index + 1) / parts;
        return ((int)start, (int)end);
    }

    /// <summary>Runs <paramref name="body"/> over [0, count), split statically over the threads.</summary>
    public static void For<TBody>(int count, in TBody body) where TBody : struct, IParallelBody
        => For(count, ThreadCount, body);

    /// <summary>Runs <paramref name="body"/> over [0, count) with at most <paramref name="maxThreads"/> threads.</summary>
    public static void For<TBody>(int count, int maxThreads, in TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        int parts = Math.Min(Math.Min(maxThreads, _threadCount), count);
        if (parts <= 1 || _insideLoop)
        {
            body.Run(0, count);
            return;
        }

        lock (Gate)
        {
            EnsureWorkers(parts - 1);
            Holder<TBody>.Body = body;
            _insideLoop = true;
            try
            {
                for (int w = 1; w < parts; w++)
                {
                    var (s, e) = Partition(count, parts, w);
                    _workers[w - 1].Start(Holder<TBody>.Invoke, s, e);
                }
                var (s0, e0) = Partition(count, parts, 0);
                body.Run(s0, e0);
            }
            finally
            {
                _insideLoop = false;
                Exception? failure = null;
                for (int w = 1; w < parts; w++)
                    failure ??= _workers[w - 1].Wait();
                Holder<TBody>.Body = default;
                if (failure is not null)
                    throw new AggregateException("A parallel kernel part failed.", failure);
            }
        }
    }

    private static void EnsureWorkers(int count)
    {
        if (_workers.Length >= count) return;
        var grown = new Worker[count];
        Array.Copy(_workers, grown, _workers.Length);
        for (int i = _workers.Length; i < count; i++) grown[i] = new Worker(i + 1);
        _workers = grown;
    }

    private static class Holder<TBody> where TBody : struct, IParallelBody
    {
        public static TBody Body;
        public static readonly Action<int, int> Invoke = static (s, e) => Body.Run(s, e);
    }

    /// <summary>
    /// How long a thread spins for its signal before it blocks. A network's kernels follow each other within
    /// microseconds, and waking a blocked thread (a futex wake, then the scheduler) took tens of microseconds here,
    /// per parallel loop: a sizeable part of a layer that runs in a millisecond. Past this the thread sleeps, so an
    /// idle process costs no CPU.
    /// </summary>
    internal static long SpinTicks = Stopwatch.Frequency / 5000;

    /// <summary>Takes one count of <paramref name="signal"/>: spinning up to <see cref="SpinTicks"/>, then blocking.</summary>
    private static void SpinThenWait(SemaphoreSlim signal)
    {
        if (SpinTicks > 0)
        {
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            do
            {
                for (int i = 0; i < 64; i++)
                {
                    // CurrentCount is a volatile read; Wait(0) takes the count without blocking.
                    if (signal.CurrentCount > 0 && signal.Wait(0)) return;
                    Thread.SpinWait(4);
                }
            }
            while (Stopwatch.GetTimestamp() < deadline);
        }
        signal.Wait();
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _go = new(0);
        // SemaphoreSlim creates its lock object up front; ManualResetEventSlim creates one lazily the first time a
        // wait blocks, a 24-byte allocation whose timing depends on load (seen in the steady-state allocation test).
        private readonly SemaphoreSlim _done = new(0);
        private Action<int, int>? _action;
        private int _start, _end;
        private Exception? _error;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "AlexNet.Gen worker " + index };
            thread.Start();
        }

        public void Start(Action<int, int> action, int start, int end)
        {
            _action = action;
            _start = start;
            _end = end;
            _error = null;
            _go.Release();
        }

        public Exception? Wait()
        {
            // Kernel parts are short and balanced: spin for the other part before blocking on it.
            SpinThenWait(_done);
            return _error;
        }

        private void Loop()
        {
            _insideLoop = true;
            while (true)
            {
                SpinThenWait(_go);
                try
                {
                    _action!(_start, _end);
                }
                catch (Exception ex)
                {
                    _error = ex;
                }
                _done.Release();
            }
        }
    }
}
