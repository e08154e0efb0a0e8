using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;

namespace AlexNet.Gen.Benchmarks;

/// <summary>
/// Samples the 1-minute load average (/proc/loadavg) every 15 s while the benchmarks run, so the report can say how
/// busy the machine was: on a shared machine that is what decides whether absolute figures mean anything.
/// </summary>
public sealed class LoadSampler : IDisposable
{
    private readonly List<double> _samples = new();
    private readonly Timer _timer;
    private readonly object _gate = new();

    public LoadSampler()
    {
        Started = DateTime.UtcNow;
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromSeconds(15));
    }

    public DateTime Started { get; }
    public DateTime Stopped { get; private set; }

    public IReadOnlyList<double> Samples
    {
        get { lock (_gate) return _samples.ToArray(); }
    }

    public void Stop()
    {
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        Sample();
        Stopped = DateTime.UtcNow;
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>The current 1-minute load average, or NaN where /proc/loadavg does not exist.</summary>
    public static double Current()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException)
        {
            return double.NaN;
        }
    }

    private void Sample()
    {
        double value = Current();
        if (double.IsNaN(value)) return;
        lock (_gate) _samples.Add(value);
    }
}
