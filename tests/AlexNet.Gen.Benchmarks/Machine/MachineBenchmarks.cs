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
    /// <summary>FMA steps per thread per call: ~1.6 GFLOP per thread at 8 lanes, tens of milliseconds.</summary>
    public const int FmaSteps = 1 << 23;

    /// <summary>Independent accumulators: more than FMA latency × FMA ports (4 × 2 on current x86), so the pipes never wait.</summary>
    public const int Accumulators = 12;

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
    public void FmaPeakVector256() => StaticParallel.For(Threads, Threads, new Fma256Body());

    /// <summary>Vector512 FMAs: 16 lanes × 2 FLOPs each (only where Vector512 is hardware accelerated).</summary>
    [Benchmark]
    public void FmaPeakVector512() => StaticParallel.For(Threads, Threads, new Fma512Body());

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
        double perStep = benchmark.Descriptor.WorkloadMethod.Name switch
        {
            nameof(FmaPeakVector256) => Accumulators * 8 * 2,
            nameof(FmaPeakVector512) => Accumulators * 16 * 2,
            _ => double.NaN,
        };
        return perStep * FmaSteps * threads;
    }

    public static double Bytes(BenchmarkCase benchmark)
        => benchmark.Descriptor.WorkloadMethod.Name == nameof(ReadBandwidth) ? ArrayLength * (double)sizeof(float) : double.NaN;

    private struct Fma256Body : IParallelBody
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int start, int end)
        {
            for (int t = start; t < end; t++)
            {
                // acc ← acc·a + b converges to b/(1 − a): finite, never denormal.
                var a = Vector256.Create(0.999f);
                var b = Vector256.Create(1e-3f);
                Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
                Vector256<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
                for (int i = 0; i < FmaSteps; i++)
                {
                    c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b);
                    c2 = Vector256.FusedMultiplyAdd(c2, a, b); c3 = Vector256.FusedMultiplyAdd(c3, a, b);
                    c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
                    c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b);
                    c8 = Vector256.FusedMultiplyAdd(c8, a, b); c9 = Vector256.FusedMultiplyAdd(c9, a, b);
                    c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
                }
                var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
                sum.CopyTo(Sink, t * 16);
            }
        }
    }

    private struct Fma512Body : IParallelBody
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int start, int end)
        {
            for (int t = start; t < end; t++)
            {
                var a = Vector512.Create(0.999f);
                var b = Vector512.Create(1e-3f);
                Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
                Vector512<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
                for (int i = 0; i < FmaSteps; i++)
                {
                    c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b);
                    c2 = Vector512.FusedMultiplyAdd(c2, a, b); c3 = Vector512.FusedMultiplyAdd(c3, a, b);
                    c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
                    c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b);
                    c8 = Vector512.FusedMultiplyAdd(c8, a, b); c9 = Vector512.FusedMultiplyAdd(c9, a, b);
                    c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
                }
                var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
                sum.CopyTo(Sink, t * 16);
            }
        }
    }

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
