using System;
using System.Collections.Generic;
using BenchmarkDotNet.Jobs;

namespace AlexNet.Gen.Benchmarks;

/// <summary>
/// The jobs every benchmark runs in. <see cref="Program"/> takes BenchmarkDotNet's <c>--job</c> option off the command
/// line and sets <see cref="Base"/> from it, so the per-class jobs below (stock and tuned malloc) keep their identity
/// instead of BenchmarkDotNet adding the command-line job as a third one.
/// </summary>
public static class BenchJobs
{
    /// <summary>Issue #6: two threads on each side (StaticParallel.ThreadCount, torch.set_num_threads).</summary>
    public const int Threads = 2;

    /// <summary>glibc malloc settings that keep freed blocks in the heap instead of returning them to the kernel.</summary>
    public const string TunedMalloc = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736";

    /// <summary>
    /// libtorch's bundled GNU OpenMP spins while it waits for work by default; on a shared, oversubscribed machine the
    /// spinning threads lose their time slices to the other processes and every parallel region waits for them.
    /// PASSIVE makes waiting threads sleep. Not in issue #6's list, but it is libtorch's best setting on this machine
    /// (see docs/benchmarks.md), so the comparison includes it.
    /// </summary>
    public const string PassiveOpenMp = "PASSIVE";

    public const string StockId = "stock";
    public const string TunedId = "malloc-tuned";
    public const string TunedPassiveId = "tuned+omp-passive";

    /// <summary>The libtorch jobs, in report order.</summary>
    public static readonly string[] LibTorchJobIds = { StockId, TunedId, TunedPassiveId };

    /// <summary>The run lengths (BenchmarkDotNet's default job unless <c>--job</c> names another).</summary>
    public static Job Base { get; private set; } = Job.Default;

    /// <summary>Whether <see cref="Base"/> is the short job (the documented quick run).</summary>
    public static string BaseName { get; private set; } = "default";

    /// <summary>Stock glibc malloc: an empty GLIBC_TUNABLES, whatever the parent process had.</summary>
    public static Job Stock => Base.WithEnvironmentVariable("GLIBC_TUNABLES", "").WithId(StockId);

    /// <summary>The tuned malloc that libtorch deployments often use.</summary>
    public static Job Tuned => Base.WithEnvironmentVariable("GLIBC_TUNABLES", TunedMalloc).WithId(TunedId);

    /// <summary>The tuned malloc and sleeping OpenMP waits.</summary>
    public static Job TunedPassive => Base.WithEnvironmentVariable("GLIBC_TUNABLES", TunedMalloc)
        .WithEnvironmentVariable("OMP_WAIT_POLICY", PassiveOpenMp).WithId(TunedPassiveId);

    /// <summary>Removes <c>--job NAME</c> (or <c>-j NAME</c>) from the arguments and sets <see cref="Base"/> from it.</summary>
    public static string[] TakeJobOption(string[] args)
    {
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if ((args[i] == "--job" || args[i] == "-j") && i + 1 < args.Length)
            {
                string name = args[++i].ToLowerInvariant();
                Base = name switch
                {
                    "default" => Job.Default,
                    "short" => Job.ShortRun,
                    "medium" => Job.MediumRun,
                    "long" => Job.LongRun,
                    "dry" => Job.Dry,
                    _ => throw new ArgumentException($"Unknown --job '{args[i]}': use default, short, medium, long or dry.", nameof(args)),
                };
                BaseName = name;
                continue;
            }
            rest.Add(args[i]);
        }
        return rest.ToArray();
    }
}
