using System;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AlexNet.Gen;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>
/// Finds (or, when missing or built against another runtime, builds) tests/AlexNet.Gen.DeterminismProbe and runs it
/// in a child process with <c>dotnet</c>, or in this process through reflection. The probe is looked for next to the
/// test output in both layouts: <c>tests/AlexNet.Gen.DeterminismProbe/bin/Config/net10.0</c> and
/// <c>&lt;artifacts&gt;/bin/AlexNet.Gen.DeterminismProbe/config</c>.
/// </summary>
internal static class DeterminismProbeRunner
{
    private const string Name = "AlexNet.Gen.DeterminismProbe";
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromMinutes(5);
    private static string? _located;

    public static string Locate()
    {
        if (_located is not null) return _located;
        string? found = Find();
        if (found is null || !SameRuntime(found))
        {
            Build();
            found = Find() ?? throw new InvalidOperationException($"{Name} was built but its assembly is not where the tests look ({AppContext.BaseDirectory}).");
            if (!SameRuntime(found))
                throw new InvalidOperationException($"{found} uses a different AlexNet.Gen.dll than the tests ({typeof(INetwork).Assembly.Location}) even after a build; rebuild the solution.");
        }
        return _located = found;
    }

    /// <summary>Runs the probe in a child process and returns its one line of output.</summary>
    public static string RunChild(string probe, int seed, int threads, int steps)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(probe);
        info.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(steps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (exit, stdout, stderr) = Run(info);
        if (exit != 0) throw new InvalidOperationException($"{probe} {seed} {threads} {steps} exited with {exit}: {stderr}");
        return stdout.Trim();
    }

    /// <summary>Calls the probe's entry point in this process (same assembly as the child runs).</summary>
    public static string RunInProcess(string probe, int seed, int threads, int steps)
    {
        var type = Assembly.LoadFrom(probe).GetType(Name + ".ProbeTraining", throwOnError: true)!;
        var method = type.GetMethod("ParameterHash", BindingFlags.Public | BindingFlags.Static)
            ?? throw new MissingMethodException(type.FullName, "ParameterHash");
        return (string)method.Invoke(null, new object[] { seed, threads, steps })!;
    }

    private static string? Find()
    {
        string config = Configuration();
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string classic = Path.Combine(dir.FullName, Name, "bin", config, "net10.0", Name + ".dll");
            if (File.Exists(classic)) return classic;
            string artifacts = Path.Combine(dir.FullName, Name, config.ToLowerInvariant(), Name + ".dll");
            if (File.Exists(artifacts)) return artifacts;
        }
        return null;
    }

    /// <summary>The probe's copy of AlexNet.Gen.dll has the same bytes as the one these tests run (deterministic builds).</summary>
    private static bool SameRuntime(string probe)
    {
        string theirs = Path.Combine(Path.GetDirectoryName(probe)!, "AlexNet.Gen.dll");
        string ours = typeof(INetwork).Assembly.Location;
        return File.Exists(theirs) && SHA256.HashData(File.ReadAllBytes(theirs)).AsSpan().SequenceEqual(SHA256.HashData(File.ReadAllBytes(ours)));
    }

    private static void Build()
    {
        string project = Path.Combine(RepositoryRoot(), "tests", Name, Name + ".csproj");
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "build", project, "-c", Configuration(), "--nologo", "-v", "quiet" }) info.ArgumentList.Add(a);
        // <artifacts>/bin/AlexNet.Gen.Tests/<pivot>/: build the probe into the same artifacts folder.
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        if (testDir.Parent is { Name: "AlexNet.Gen.Tests" } projectDir && projectDir.Parent is { Name: "bin" } bin && bin.Parent is { } artifacts)
        {
            info.ArgumentList.Add("--artifacts-path");
            info.ArgumentList.Add(artifacts.FullName);
        }
        var (exit, stdout, stderr) = Run(info);
        if (exit != 0) throw new InvalidOperationException($"Building {project} failed ({exit}):\n{stdout}\n{stderr}");
    }

    private static string RepositoryRoot([CallerFilePath] string thisFile = "")
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlexNet.Gen.sln"))) return dir.FullName;
        }
        // Artifacts outside the tree: this source file is tests/AlexNet.Gen.Tests/Integration/<file>.
        var source = new FileInfo(thisFile).Directory?.Parent?.Parent?.Parent;
        if (source is not null && File.Exists(Path.Combine(source.FullName, "AlexNet.Gen.sln"))) return source.FullName;
        throw new InvalidOperationException($"Cannot find AlexNet.Gen.sln above {AppContext.BaseDirectory} or {thisFile}.");
    }

    private static string Configuration()
        => typeof(DeterminismProbeRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The dotnet host running this process (DOTNET_HOST_PATH, else the one above the shared runtime).</summary>
    private static string DotnetHost()
    {
        string exe = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";
        string? fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment)) return fromEnvironment;
        if (Environment.ProcessPath is { } process && Path.GetFileName(process) == exe) return process;
        // .../dotnet/shared/Microsoft.NETCore.App/<version>/ → .../dotnet/dotnet
        var root = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar)).Parent?.Parent?.Parent;
        if (root is not null && File.Exists(Path.Combine(root.FullName, exe))) return Path.Combine(root.FullName, exe);
        return exe;
    }

    private static (int Exit, string Stdout, string Stderr) Run(ProcessStartInfo info)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ProcessTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} ran longer than {ProcessTimeout}.");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
