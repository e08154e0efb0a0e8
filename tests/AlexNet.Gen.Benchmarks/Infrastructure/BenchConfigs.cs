using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using AlexNet.Gen.Benchmarks.Models;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AlexNet.Gen.Benchmarks;

/// <summary>Probes and kernels: the stock job, rate columns, allocations.</summary>
public class KernelBenchmarkConfig : ManualConfig
{
    public KernelBenchmarkConfig()
    {
        AddJob(BenchJobs.Stock);
        AddColumn(WorkColumn.Gflops, WorkColumn.Gbps);
        HideColumns("EnvironmentVariables");
        AddDiagnoser(MemoryDiagnoser.Default);
        // Vector512 probes only where the hardware runs them natively (a software fallback measures nothing useful).
        AddFilter(new SimpleFilter(b => !b.Descriptor.WorkloadMethod.Name.Contains("512") || Vector512.IsHardwareAccelerated));
    }
}

/// <summary>
/// Models: libtorch in every job of <see cref="BenchJobs.LibTorchJobIds"/>, ours in the stock job only (glibc's malloc
/// tunables do not touch the GC heap, and our threads do not use OpenMP); cases run model by model and scenario by scenario, ours next to libtorch, so a change in the
/// machine's load hits both sides of a ratio alike.
/// </summary>
public class ModelBenchmarkConfig : ManualConfig
{
    public ModelBenchmarkConfig()
    {
        AddJob(BenchJobs.Stock, BenchJobs.Tuned, BenchJobs.TunedPassive);
        AddColumn(WorkColumn.ImagesPerSecond, WorkColumn.Gflops);
        // The job id says which malloc a libtorch row used (BenchJobs); the full variable would fill the table.
        HideColumns("EnvironmentVariables");
        AddDiagnoser(MemoryDiagnoser.Default);
        AddFilter(new SimpleFilter(b => b.Job.Id == BenchJobs.StockId || (Engine)b.Parameters[nameof(ModelBenchmarks.Engine)] != Engine.Ours));
        Orderer = new SideBySideOrderer();
    }

    private sealed class SideBySideOrderer : DefaultOrderer
    {
        public override IEnumerable<BenchmarkCase> GetExecutionOrder(System.Collections.Immutable.ImmutableArray<BenchmarkCase> benchmarksCase,
            IEnumerable<BenchmarkLogicalGroupRule>? order = null)
            => benchmarksCase
                .OrderBy(b => (ModelKind)b.Parameters[nameof(ModelBenchmarks.Model)])
                .ThenBy(b => b.Descriptor.WorkloadMethod.MetadataToken)
                .ThenBy(b => (Engine)b.Parameters[nameof(ModelBenchmarks.Engine)])
                .ThenBy(b => Array.IndexOf(BenchJobs.LibTorchJobIds, b.Job.Id));
    }
}
