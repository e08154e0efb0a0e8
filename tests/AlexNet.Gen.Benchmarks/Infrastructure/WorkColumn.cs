using System;
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AlexNet.Gen.Benchmarks;

/// <summary>
/// A rate column (GFLOP/s, GB/s, images/s): the work of one call divided by the mean time. The work comes from a
/// public static method of the benchmark class, <c>double NAME(BenchmarkCase)</c> (NaN or 0 when it does not apply).
/// </summary>
public sealed class WorkColumn : IColumn
{
    private readonly string _workMethod;
    private readonly double _unit;

    private WorkColumn(string name, string workMethod, double unit, string legend)
    {
        ColumnName = name;
        _workMethod = workMethod;
        _unit = unit;
        Legend = legend;
    }

    public static readonly WorkColumn Gflops = new("GFLOP/s", "Flops", 1e9, "Floating-point operations (2 per multiply-add) per second / 10^9");
    public static readonly WorkColumn Gbps = new("GB/s", "Bytes", 1e9, "Bytes read per second / 10^9");
    public static readonly WorkColumn ImagesPerSecond = new("images/s", "Images", 1, "Images processed per second");

    public string Id => "Work." + ColumnName;
    public string ColumnName { get; }
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend { get; }

    /// <summary>Units per second for this case, or NaN.</summary>
    public double Rate(Summary summary, BenchmarkCase benchmark)
    {
        double work = Work(benchmark, _workMethod);
        double? meanNs = summary[benchmark]?.ResultStatistics?.Mean;
        if (!(work > 0) || meanNs is not > 0) return double.NaN;
        return work / (meanNs.Value * 1e-9) / _unit;
    }

    /// <summary>The work of one call, through the class's static method <paramref name="method"/>, or NaN.</summary>
    public static double Work(BenchmarkCase benchmark, string method)
    {
        var info = benchmark.Descriptor.Type.GetMethod(method, BindingFlags.Public | BindingFlags.Static, new[] { typeof(BenchmarkCase) });
        if (info is null) return double.NaN;
        return Convert.ToDouble(info.Invoke(null, new object[] { benchmark }), CultureInfo.InvariantCulture);
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => Format(Rate(summary, benchmarkCase));

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary)
    {
        foreach (var benchmark in summary.BenchmarksCases)
            if (Work(benchmark, _workMethod) > 0) return true;
        return false;
    }

    public override string ToString() => ColumnName;

    private static string Format(double value) => double.IsNaN(value) ? "-"
        : value >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture)
        : value.ToString("F2", CultureInfo.InvariantCulture);
}
