using System;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.DeterminismProbe;

/// <summary>The computation whose result must not depend on the process or the thread count.</summary>
public static class ProbeTraining
{
    public const int BatchSize = 16;

    /// <summary>
    /// Builds <see cref="ProbeNet"/> from <paramref name="seed"/>, takes <paramref name="steps"/> SGD steps (momentum,
    /// weight decay) on Gaussian images with random labels drawn from the seed, with <paramref name="threads"/>
    /// kernel threads, and returns the SHA-256 of the parameter values' bytes as upper-case hex.
    /// The previous <see cref="StaticParallel.ThreadCount"/> is restored afterwards.
    /// </summary>
    public static string ParameterHash(int seed, int threads, int steps)
    {
        if (threads < 1 || threads > 64) throw new ArgumentException($"threads {threads} must lie in [1, 64].", nameof(threads));
        if (steps < 0) throw new ArgumentException($"steps {steps} must be non-negative.", nameof(steps));
        int previous = StaticParallel.ThreadCount;
        StaticParallel.ThreadCount = threads;
        try
        {
            var net = new ProbeNet(seed);
            var sgd = new Sgd(net.Parameters, 0.05, momentum: 0.9, weightDecay: 5e-4);
            // The data generator is separate from the model's (which draws the dropout masks).
            var data = new SeededRandom(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 1));
            var images = new float[BatchSize * ProbeNet.InputLength];
            var labels = new int[BatchSize];
            var output = new float[BatchSize * ProbeNet.OutputLength];
            for (int step = 0; step < steps; step++)
            {
                for (int i = 0; i < images.Length; i++) images[i] = (float)data.NextGaussian();
                for (int i = 0; i < labels.Length; i++) labels[i] = data.NextInt(ProbeNet.OutputLength);
                net.ForwardTraining(images, output, BatchSize);
                net.Backward(labels);
                sgd.Step();
            }
            // Little-endian bytes: the hash compares runs on one machine, where the byte order is fixed.
            return Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(net.Parameters.Values.AsSpan())));
        }
        finally
        {
            StaticParallel.ThreadCount = previous;
        }
    }
}
