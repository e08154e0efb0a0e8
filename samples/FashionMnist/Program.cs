using System;
using System.IO;
using FashionMnistSample;
using Spectre.Console;

// Fashion-MNIST with a compact AlexNet compiled by AlexNet.Gen: train (default), --eval-only, predict.
// Exit codes: 0 success, 1 failure (e.g. an unusable checkpoint or image), 2 bad command line,
// 3 data set missing or damaged, 130 interrupted (Ctrl+C; the run can be resumed).
IAnsiConsole console = AnsiConsole.Console;
// Redirected output (CI logs, files) has no terminal width; do not wrap lines at Spectre's default 80 columns.
if (Console.IsOutputRedirected) console.Profile.Width = 160;
try
{
    SampleOptions options = CommandLine.Parse(args);
    bool plain = options.Plain || Console.IsOutputRedirected || !console.Profile.Capabilities.Interactive;
    return options.Command switch
    {
        CommandKind.Help => Help(console),
        CommandKind.EvalOnly => InferenceCommands.EvalOnly(options, console),
        CommandKind.Predict => InferenceCommands.Predict(options, console),
        CommandKind.ExportPng => InferenceCommands.ExportPng(options, console),
        _ => TrainCommand.Run(options, console, plain),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}
catch (SampleException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int Help(IAnsiConsole console)
{
    console.WriteLine(CommandLine.Usage);
    return 0;
}
