using System;
using System.Linq;
using BenchmarkDotNet.Running;

namespace AlexNet.Gen.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/AlexNet.Gen.Benchmarks -- --filter '*' [--job short]
/// Runs the selected benchmarks (BenchmarkDotNet's usual options), then prints and writes the ratio report.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string[] rest = BenchJobs.TakeJobOption(args);
        using var load = new LoadSampler();
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest).ToArray();
        load.Stop();
        if (summaries.Length == 0) return 0;
        string report = RatioReport.Build(summaries, load);
        Console.WriteLine();
        Console.WriteLine(report);
        string directory = summaries[0].ResultsDirectoryPath;
        string path = System.IO.Path.Combine(directory, "alexnet-gen-ratios.md");
        System.IO.File.WriteAllText(path, report);
        Console.WriteLine("Ratio report written to " + path);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
