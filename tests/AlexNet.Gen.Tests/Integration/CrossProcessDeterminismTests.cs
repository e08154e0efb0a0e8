using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>
/// Issue #3: training is reproducible across processes and thread counts. The probe
/// (tests/AlexNet.Gen.DeterminismProbe) trains its generated network for ten steps and prints the parameters'
/// SHA-256; child processes with one and two threads, a repeated child and this process must all agree.
/// </summary>
public class CrossProcessDeterminismTests
{
    private const int Seed = 7, Steps = 10;
    private readonly ITestOutputHelper _output;

    public CrossProcessDeterminismTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void ParameterHash_IsTheSameInChildProcessesWithOneOrTwoThreadsAndInThisProcess()
    {
        string probe = DeterminismProbeRunner.Locate();
        _output.WriteLine($"probe: {probe}");

        string oneThread = DeterminismProbeRunner.RunChild(probe, Seed, threads: 1, Steps);
        string twoThreads = DeterminismProbeRunner.RunChild(probe, Seed, threads: 2, Steps);
        string twoThreadsAgain = DeterminismProbeRunner.RunChild(probe, Seed, threads: 2, Steps);
        string inProcess = DeterminismProbeRunner.RunInProcess(probe, Seed, threads: 2, Steps);
        _output.WriteLine($"1 thread {oneThread}\n2 threads {twoThreads}\nagain {twoThreadsAgain}\nin-process {inProcess}");

        Assert.Matches(new Regex("^[0-9A-F]{64}$"), oneThread);
        Assert.Equal(oneThread, twoThreads);
        Assert.Equal(twoThreads, twoThreadsAgain);
        Assert.Equal(oneThread, inProcess);

        // The hash must see the training and the seed, or the equalities above prove nothing.
        Assert.NotEqual(oneThread, DeterminismProbeRunner.RunInProcess(probe, Seed, threads: 2, steps: 0));
        Assert.NotEqual(oneThread, DeterminismProbeRunner.RunInProcess(probe, Seed + 1, threads: 2, Steps));
        Assert.NotEqual(oneThread, DeterminismProbeRunner.RunInProcess(probe, Seed, threads: 2, Steps - 1));
    }
}
