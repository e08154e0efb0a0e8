using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AlexNet.Gen.Kernels;

namespace AlexNet.Gen.Benchmarks.Machine;

/// <summary>
/// The FMA peak probe: Vector256 or Vector512 FMAs in independent accumulators, no memory traffic, on each thread of a
/// <see cref="StaticParallel"/> loop (the fork/join our kernels use). <see cref="MachineBenchmarks"/> runs it at the start
/// of a run; the layer benchmarks run it again beside each layer (<c>AdjacentFmaPeak</c>), so a kernel's fraction of the
/// peak can also be read against what the shared machine gave a pure-FMA loop within the same minute.
/// </summary>
public static class FmaProbe
{
    /// <summary>FMA steps per thread per call: ~1.6 GFLOP per thread at 8 lanes, tens of milliseconds.</summary>
    public const int Steps = 1 << 23;

    /// <summary>Independent accumulators: more than FMA latency × FMA ports (4 × 2 on current x86), so the pipes never wait.</summary>
    public const int Accumulators = 12;

    private static readonly float[] Sink = new float[64 * 16];

    /// <summary>The widest width this machine runs in hardware: 16 (Vector512) or 8 (Vector256).</summary>
    public static int HardwareWidth => Vector512.IsHardwareAccelerated ? 16 : 8;

    /// <summary>One probe call on <paramref name="threads"/> threads with <paramref name="width"/>-float vectors (8 or 16).</summary>
    public static void Run(int threads, int width)
    {
        if (width == 16) StaticParallel.For(threads, threads, new Fma512Body());
        else StaticParallel.For(threads, threads, new Fma256Body());
    }

    /// <summary>Floating-point operations of one <see cref="Run"/> call (2 per multiply-add).</summary>
    public static double Flops(int threads, int width) => (double)Accumulators * width * 2 * Steps * threads;

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
                for (int i = 0; i < Steps; i++)
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
                for (int i = 0; i < Steps; i++)
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
}
