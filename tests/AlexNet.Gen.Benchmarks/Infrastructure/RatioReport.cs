using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using AlexNet.Gen.Benchmarks.Layers;
using AlexNet.Gen.Benchmarks.Machine;
using AlexNet.Gen.Benchmarks.Models;
using BenchmarkDotNet.Reports;

namespace AlexNet.Gen.Benchmarks;

/// <summary>
/// The report issue #6 asks for, from the summaries of one run: the machine and its load, the probed peaks, each
/// kernel's GFLOP/s as a fraction of the peak, and each model scenario as a ratio ours : libtorch (the faster of
/// its two malloc configurations) with the absolute figures beside it. Markdown, so it can go into docs/benchmarks.md.
/// </summary>
public static class RatioReport
{
    private sealed record Row(string Type, string Method, IReadOnlyDictionary<string, string> Parameters, string Job,
        double MeanNs, double MinNs, double ErrorNs, long? AllocatedBytes, double Flops, double Bytes, double Images)
    {
        public double Gflops => Flops / MeanNs;
        /// <summary>GFLOP/s of the fastest measured iteration: what the code does when this shared machine lets it run.</summary>
        public double BestGflops => Flops / MinNs;
        public double Gbps => Bytes / MeanNs;
        public double ImagesPerSecond => Images / (MeanNs * 1e-9);
        public string Param(string name) => Parameters.TryGetValue(name, out var v) ? v : "";
    }

    public static string Build(IReadOnlyList<Summary> summaries, LoadSampler load)
    {
        var rows = Collect(summaries);
        var text = new StringWriter(CultureInfo.InvariantCulture);
        WriteMachine(text, load);
        var peaks = WritePeaks(text, rows);
        WriteLayers(text, rows, peaks);
        WriteModels(text, rows, Peak(peaks.Mean, BenchJobs.Threads));
        return text.ToString();
    }

    private static List<Row> Collect(IEnumerable<Summary> summaries)
    {
        var rows = new List<Row>();
        foreach (var summary in summaries)
            foreach (var report in summary.Reports)
            {
                var statistics = report.ResultStatistics;
                if (statistics is null) continue;
                var benchmark = report.BenchmarkCase;
                var parameters = benchmark.Parameters.Items.ToDictionary(p => p.Name, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? "");
                long? allocated = report.GcStats.GetBytesAllocatedPerOperation(benchmark);
                rows.Add(new Row(benchmark.Descriptor.Type.Name, benchmark.Descriptor.WorkloadMethod.Name, parameters, benchmark.Job.Id,
                    statistics.Mean, statistics.Min, statistics.ConfidenceInterval.Margin, allocated,
                    WorkColumn.Work(benchmark, "Flops"), WorkColumn.Work(benchmark, "Bytes"), WorkColumn.Work(benchmark, "Images")));
            }
        return rows;
    }

    private static void WriteMachine(TextWriter w, LoadSampler load)
    {
        var samples = load.Samples;
        w.WriteLine("### Run");
        w.WriteLine();
        w.WriteLine($"- Date (UTC): {load.Started:yyyy-MM-dd HH:mm} to {load.Stopped:HH:mm}; BenchmarkDotNet job: {BenchJobs.BaseName}; {BenchJobs.Threads} threads on each side.");
        w.WriteLine($"- CPU: {CpuModel()}, {Environment.ProcessorCount} logical processors; SIMD flags: {SimdFlags()}; " +
            $"Vector512 accelerated: {Vector512.IsHardwareAccelerated}, Vector256 accelerated: {Vector256.IsHardwareAccelerated}.");
        w.WriteLine($"- .NET {Environment.Version}, {RuntimeInformation.OSDescription}; libtorch through TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}.");
        if (samples.Count > 0)
            w.WriteLine($"- Load average (1 min, sampled every 15 s, {samples.Count} samples): min {samples.Min():F1}, mean {samples.Average():F1}, max {samples.Max():F1} " +
                $"on {Environment.ProcessorCount} processors.");
        w.WriteLine();
    }

    /// <summary>The FMA probe's figure by thread count: from the mean iteration and from the fastest one.</summary>
    private sealed record Peaks(Dictionary<string, double> Mean, Dictionary<string, double> Best);

    /// <summary>Writes the probes; returns the best FMA figures (GFLOP/s) by thread count.</summary>
    private static Peaks WritePeaks(TextWriter w, List<Row> rows)
    {
        var probes = rows.Where(r => r.Type == nameof(MachineBenchmarks)).ToList();
        if (probes.Count == 0) return new Peaks(new Dictionary<string, double>(), new Dictionary<string, double>());
        w.WriteLine("### Machine peaks");
        w.WriteLine();
        w.WriteLine("| probe | threads | measured (mean iteration) | fastest iteration |");
        w.WriteLine("|---|---:|---:|---:|");
        foreach (var r in probes.OrderBy(r => r.Method).ThenBy(r => r.Param("Threads")))
        {
            string value = r.Flops > 0 ? $"{r.Gflops:F1} GFLOP/s" : $"{r.Gbps:F1} GB/s";
            string best = r.Flops > 0 ? $"{r.BestGflops:F1} GFLOP/s" : $"{r.Bytes / r.MinNs:F1} GB/s";
            w.WriteLine($"| {r.Method} | {r.Param("Threads")} | {value} | {best} |");
        }
        w.WriteLine();
        var fma = probes.Where(r => r.Flops > 0).GroupBy(r => r.Param("Threads")).ToList();
        return new Peaks(fma.ToDictionary(g => g.Key, g => g.Max(r => r.Gflops)), fma.ToDictionary(g => g.Key, g => g.Max(r => r.BestGflops)));
    }

    private static double Peak(Dictionary<string, double> peaks, int threads)
        => peaks.TryGetValue(threads.ToString(CultureInfo.InvariantCulture), out double peak) ? peak : double.NaN;

    private static void WriteLayers(TextWriter w, List<Row> rows, Peaks peaks)
    {
        double peak = Peak(peaks.Mean, BenchJobs.Threads);
        var all = rows.Where(r => r.Type is nameof(ConvLayerBenchmarks) or nameof(DenseAndGemmBenchmarks)).ToList();
        if (all.Count == 0) return;
        // The probe each class runs beside its kernels (same parameters: the layer, or the thread count).
        const string adjacentProbe = nameof(ConvLayerBenchmarks.AdjacentFmaPeak);
        var probes = all.Where(r => r.Method == adjacentProbe).ToList();
        var layers = all.Where(r => r.Method != adjacentProbe).ToList();
        Row? Adjacent(Row r) => probes.FirstOrDefault(p => p.Type == r.Type && p.Param("Layer") == r.Param("Layer") && p.Param("Threads") == r.Param("Threads"));
        double bandwidth = rows.Where(r => r.Type == nameof(MachineBenchmarks) && r.Bytes > 0).Select(r => r.Gbps).DefaultIfEmpty(double.NaN).Max();
        w.WriteLine($"### Kernels (ours), GFLOP/s and fraction of the FMA peak on as many threads ({Fmt(peak, "F1")} GFLOP/s on {BenchJobs.Threads})");
        w.WriteLine();
        w.WriteLine("The mean iteration against the probe's mean; \"fastest\" is the fastest iteration against the probe's fastest, which");
        w.WriteLine("is what the code does while the shared machine lets it run (both sides of that fraction measured the same way).");
        w.WriteLine("\"adjacent\" is the mean iteration against the mean of the same FMA probe run again beside that kernel (between a");
        w.WriteLine("layer's two passes, after the GEMM), within the same minute; the probe's figure is in the notes.");
        w.WriteLine();
        w.WriteLine("| kernel | pass | threads | time | GFLOP/s | of peak | fastest: time | GFLOP/s | of peak | adjacent | notes |");
        w.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in layers.OrderBy(r => r.Type).ThenBy(r => Order(r.Param("Layer"))).ThenBy(r => r.Method).ThenBy(r => r.Param("Threads")))
        {
            string threads = r.Param("Threads") is { Length: > 0 } t ? t : BenchJobs.Threads.ToString(CultureInfo.InvariantCulture);
            string name = r.Type == nameof(ConvLayerBenchmarks) ? $"{r.Param("Layer")} (batch {ConvLayerBenchmarks.Batch})" : r.Method;
            string pass = r.Type == nameof(ConvLayerBenchmarks) ? r.Method : "";
            // Each row against the FMA peak measured on as many threads.
            double rowPeak = peaks.Mean.TryGetValue(threads, out double p) ? p : double.NaN;
            double rowBest = peaks.Best.TryGetValue(threads, out double b) ? b : double.NaN;
            var notes = new List<string>();
            Row? adjacent = r.Flops > 0 ? Adjacent(r) : null;
            if (adjacent is not null) notes.Add($"adjacent probe {adjacent.Gflops:F1} GFLOP/s");
            if (r.Bytes > 0) notes.Add($"{r.Gbps:F1} GB/s of weights ({Percent(r.Gbps / bandwidth)} of the read bandwidth)");
            if (r.AllocatedBytes is > 0) notes.Add($"allocates {r.AllocatedBytes} B/op");
            w.WriteLine($"| {name} | {pass} | {threads} | {Time(r.MeanNs)} | {r.Gflops:F1} | {Percent(r.Gflops / rowPeak)} | " +
                $"{Time(r.MinNs)} | {r.BestGflops:F1} | {Percent(r.BestGflops / rowBest)} | {Percent(r.Gflops / (adjacent?.Gflops ?? double.NaN))} | " +
                $"{string.Join("; ", notes)} |");
        }
        w.WriteLine();
    }

    private static void WriteModels(TextWriter w, List<Row> rows, double peak)
    {
        var models = rows.Where(r => r.Type == nameof(ModelBenchmarks)).ToList();
        if (models.Count == 0) return;
        string[] jobs = BenchJobs.LibTorchJobIds;
        w.WriteLine("### Models: ours vs libtorch (its fastest configuration)");
        w.WriteLine();
        w.WriteLine("Speed ratio = libtorch time / our time: above 1 we are faster (for batch 1 the latency ratio, otherwise the images/s ratio;");
        w.WriteLine($"the two are the same number). \"best\" uses the fastest libtorch job, \"{BenchJobs.StockId}/{BenchJobs.TunedId}\" the faster of issue #6's two.");
        w.WriteLine();
        w.WriteLine("| model | scenario | ratio vs best | ratio vs " + BenchJobs.StockId + "/" + BenchJobs.TunedId + " | fastest iterations | ours | "
            + string.Join(" | ", jobs.Select(j => "libtorch " + j)) + " | ours images/s | libtorch images/s | ours GFLOP/s (of peak) | libtorch GFLOP/s | ours alloc/op |");
        w.WriteLine("|---|---|---:|---:|---:|---:|" + string.Concat(jobs.Select(_ => "---:|")) + "---:|---:|---:|---:|---:|");
        foreach (var group in models.GroupBy(r => (Model: r.Param("Model"), r.Method)).OrderBy(g => Order(g.Key.Model)).ThenBy(g => ScenarioOrder(g.Key.Method)))
        {
            var ours = group.FirstOrDefault(r => r.Param("Engine") == nameof(Engine.Ours));
            var torch = jobs.Select(j => group.FirstOrDefault(r => r.Param("Engine") == nameof(Engine.LibTorch) && r.Job == j)).ToArray();
            var best = torch.Where(r => r is not null).OrderBy(r => r!.MeanNs).FirstOrDefault();
            var bestOfTwo = torch.Take(2).Where(r => r is not null).OrderBy(r => r!.MeanNs).FirstOrDefault();
            string Ratio(Row? theirs) => ours is not null && theirs is not null ? $"{theirs.MeanNs / ours.MeanNs:F2}" : "-";
            // Fastest iteration against libtorch's fastest iteration in any of its configurations.
            double theirBest = torch.Where(r => r is not null).Select(r => r!.MinNs).DefaultIfEmpty(double.NaN).Min();
            string fastest = ours is not null && !double.IsNaN(theirBest) ? $"{theirBest / ours.MinNs:F2}" : "-";
            string Mark(Row? r) => r is null ? "-" : Time(r.MeanNs) + (r == best && torch.Count(t => t is not null) > 1 ? " ◂" : "");
            w.WriteLine($"| {group.Key.Model} | {Scenario(group.Key.Method, group.First().Images)} | **{Ratio(best)}** | {Ratio(bestOfTwo)} | {fastest} | {Mark(ours)} | " +
                string.Join(" | ", torch.Select(Mark)) + " | " +
                $"{Fmt(ours?.ImagesPerSecond, "F1")} | {Fmt(best?.ImagesPerSecond, "F1")} | " +
                $"{Fmt(ours?.Gflops, "F1")} ({Percent((ours?.Gflops ?? double.NaN) / peak)}) | {Fmt(best?.Gflops, "F1")} | {Bytes(ours?.AllocatedBytes)} |");
        }
        w.WriteLine();
        w.WriteLine("◂ marks the fastest libtorch configuration (by mean). \"fastest iterations\": our fastest iteration against libtorch's fastest in");
        w.WriteLine("any configuration. GFLOP/s counts the convolutions and dense layers only; \"of peak\" is against");
        w.WriteLine($"the {BenchJobs.Threads}-thread FMA probe of the same run.");
        w.WriteLine();
    }

    private static int Order(string name) => Enum.TryParse<ModelKind>(name, out var m) ? (int)m
        : Enum.TryParse<ConvLayer>(name, out var l) ? (int)l : 0;

    private static int ScenarioOrder(string method) => method switch
    {
        nameof(ModelBenchmarks.InferenceBatch1) => 0,
        nameof(ModelBenchmarks.InferenceBatch64) => 1,
        _ => 2,
    };

    private static string Scenario(string method, double images) => method switch
    {
        nameof(ModelBenchmarks.InferenceBatch1) => "inference, batch 1 (latency)",
        nameof(ModelBenchmarks.InferenceBatch64) => "inference, batch 64",
        _ => $"training step, batch {images:F0}",
    };

    private static string Time(double ns) => ns >= 1e9 ? $"{ns / 1e9:F2} s" : ns >= 1e6 ? $"{ns / 1e6:F2} ms" : $"{ns / 1e3:F1} µs";

    private static string Percent(double fraction) => double.IsNaN(fraction) || double.IsInfinity(fraction) ? "-" : $"{fraction * 100:F0} %";

    private static string Fmt(double? value, string format) => value is null || double.IsNaN(value.Value) ? "-" : value.Value.ToString(format, CultureInfo.InvariantCulture);

    private static string Bytes(long? bytes) => bytes is null ? "-" : bytes < 10_000 ? $"{bytes} B" : $"{bytes / 1024.0:F0} KiB";

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string SimdFlags()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            if (line is null) return "unknown";
            var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var simd = flags.Where(f => f is "sse4_2" or "avx" or "avx2" or "fma" or "f16c" || f.StartsWith("avx512", StringComparison.Ordinal)).ToArray();
            return string.Join(" ", simd) + (simd.Any(f => f.StartsWith("avx512", StringComparison.Ordinal)) ? "" : " (no AVX-512)");
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
