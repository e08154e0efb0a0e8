using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AlexNet.Gen.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace AlexNet.Gen.Benchmarks.Machine;

/// <summary>
/// What the machine can do at best, so every other figure can be read as a fraction of it: the FMA peak (independent
/// accumulators, no memory traffic) and the read bandwidth (summing an array far larger than the caches), on 1 and
/// 2 threads through <see cref="StaticParallel"/> (the same fork/join our kernels use).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class MachineBenchmarks
{
    /// <summary>256 MiB of floats: far beyond any last-level cache.</summary>
    public const int ArrayLength = 64 << 20;

    private float[] _array = Array.Empty<float>();
    private static readonly float[] Sink = new float[64 * 16];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        StaticParallel.ThreadCount = Threads;
        _array = GC.AllocateUninitializedArray<float>(ArrayLength, pinned: true);
        // Touch every page (and give the sum something finite to add).
        _array.AsSpan().Fill(1e-3f);
    }

    /// <summary>Vector256 FMAs: 8 lanes × 2 FLOPs each.</summary>
    [Benchmark]
    public void FmaPeakVector256() => FmaProbe.Run(Threads, 8);

    /// <summary>Vector512 FMAs: 16 lanes × 2 FLOPs each (only where Vector512 is hardware accelerated).</summary>
    [Benchmark]
    public void FmaPeakVector512() => FmaProbe.Run(Threads, 16);

    /// <summary>Sum of the 256 MiB array, split over the threads.</summary>
    [Benchmark]
    public unsafe void ReadBandwidth()
    {
        fixed (float* p = _array)
            StaticParallel.For(Threads, Threads, new SumBody { Data = p, Length = _array.Length, Parts = Threads });
    }

    public static double Flops(BenchmarkCase benchmark)
    {
        int threads = (int)benchmark.Parameters[nameof(Threads)];
        return benchmark.Descriptor.WorkloadMethod.Name switch
        {
            nameof(FmaPeakVector256) => FmaProbe.Flops(threads, 8),
            nameof(FmaPeakVector512) => FmaProbe.Flops(threads, 16),
            _ => double.NaN,
        };
    }

    public static double Bytes(BenchmarkCase benchmark)
        => benchmark.Descriptor.WorkloadMethod.Name == nameof(ReadBandwidth) ? ArrayLength * (double)sizeof(float) : double.NaN;

    private unsafe struct SumBody : IParallelBody
    {
        public float* Data;
        public int Length, Parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int start, int end)
        {
            for (int t = start; t < end; t++)
            {
                var (i0, i1) = StaticParallel.Partition(Length / 32, Parts, t);
                float* p = Data + (nint)i0 * 32;
                // Four Vector256 accumulators (32 floats per step) hide the add latency; memory is the limit.
                Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (int i = i0; i < i1; i++, p += 32)
                {
                    s0 += Vector256.Load(p);
                    s1 += Vector256.Load(p + 8);
                    s2 += Vector256.Load(p + 16);
                    s3 += Vector256.Load(p + 24);
                }
                ((s0 + s1) + (s2 + s3)).CopyTo(Sink, t * 16);
            }
        }
    }
}
