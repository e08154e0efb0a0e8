using System;
using System.Globalization;
using AlexNet.Gen.Training;
using Spectre.Console;

namespace FashionMnistSample;

/// <summary>How training progress reaches the user: a live Spectre.Console view, or one line per epoch for logs.</summary>
public interface ITrainingDisplay
{
    /// <summary>Runs <paramref name="body"/> (which calls <see cref="Trainer.Fit"/>) with the display active.</summary>
    void Run(Action body);

    /// <summary>A batch report: running loss and accuracy of the epoch so far.</summary>
    void Batch(in TrainingProgress progress);

    /// <summary>A finished epoch, after test evaluation and checkpointing.</summary>
    void Epoch(EpochRow row, int totalEpochs, TimeSpan eta, bool isBest);

    /// <summary>How many batches apart batch reports should come.</summary>
    int ProgressInterval(int stepsPerEpoch);
}

/// <summary>Formats the numbers both displays show.</summary>
public static class DisplayText
{
    public static string Duration(TimeSpan t) =>
        t.TotalHours >= 1
            ? ((int)t.TotalHours).ToString(CultureInfo.InvariantCulture) + t.ToString(@"\:mm\:ss", CultureInfo.InvariantCulture)
            : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    public static string Rate(double imagesPerSecond) =>
        imagesPerSecond.ToString("N0", CultureInfo.InvariantCulture) + " img/s";

    public static string EpochLine(EpochRow row, int totalEpochs, TimeSpan eta, bool isBest) =>
        string.Create(CultureInfo.InvariantCulture,
            $"epoch {row.Epoch,3}/{totalEpochs}  train loss {row.TrainLoss:F4} acc {100 * row.TrainAccuracy:F2} %  " +
            $"test loss {row.TestLoss:F4} acc {100 * row.TestAccuracy:F2} %  lr {row.LearningRate:G4}  " +
            $"{Rate(row.ImagesPerSecond)}  {row.EpochSeconds:F1} s  ETA {Duration(eta)}{(isBest ? "  (best)" : "")}");
}

/// <summary>One line per finished epoch: what CI logs and redirected output get.</summary>
public sealed class PlainDisplay : ITrainingDisplay
{
    private readonly Action<string> _writeLine;

    public PlainDisplay(Action<string> writeLine) => _writeLine = writeLine ?? throw new ArgumentNullException(nameof(writeLine));

    public void Run(Action body) => body();

    public void Batch(in TrainingProgress progress)
    {
    }

    public void Epoch(EpochRow row, int totalEpochs, TimeSpan eta, bool isBest) => _writeLine(DisplayText.EpochLine(row, totalEpochs, eta, isBest));

    // Only the last batch of each epoch (always reported) is wanted; int.MaxValue never divides a step number.
    public int ProgressInterval(int stepsPerEpoch) => int.MaxValue;
}

/// <summary>
/// Spectre.Console live progress: one bar per epoch with the running loss, accuracy, throughput and ETA; a
/// finished epoch's bar keeps its test results.
/// </summary>
public sealed class LiveDisplay : ITrainingDisplay
{
    private readonly IAnsiConsole _console;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private int _taskEpoch = -1;

    public LiveDisplay(IAnsiConsole console) => _console = console ?? throw new ArgumentNullException(nameof(console));

    public void Run(Action body)
    {
        _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _context = context;
                body();
            });
        _context = null;
    }

    public void Batch(in TrainingProgress p)
    {
        if (_context is null) return;
        if (_task is null || _taskEpoch != p.Epoch)
        {
            _task = _context.AddTask(Label(p.Epoch + 1, p.TotalEpochs), maxValue: p.StepsPerEpoch);
            _taskEpoch = p.Epoch;
        }
        _task.Value = p.Step;
        _task.Description = Label(p.Epoch + 1, p.TotalEpochs) + string.Create(CultureInfo.InvariantCulture,
            $"  loss {p.Loss:F4}  acc {100 * p.Accuracy:F2} %  {DisplayText.Rate(p.ImagesPerSecond)}  ETA {DisplayText.Duration(p.Eta)}");
    }

    public void Epoch(EpochRow row, int totalEpochs, TimeSpan eta, bool isBest)
    {
        if (_context is null) return;
        if (_task is null || _taskEpoch != row.Epoch - 1)
        {
            _task = _context.AddTask(Label(row.Epoch, totalEpochs), maxValue: 1);
            _taskEpoch = row.Epoch - 1;
        }
        _task.Description = Label(row.Epoch, totalEpochs) + string.Create(CultureInfo.InvariantCulture,
            $"  loss {row.TrainLoss:F4}  train {100 * row.TrainAccuracy:F2} %  [bold]test {100 * row.TestAccuracy:F2} %[/]" +
            $"{(isBest ? " [green](best)[/]" : "")}  {DisplayText.Rate(row.ImagesPerSecond)}  {row.EpochSeconds:F0} s  ETA {DisplayText.Duration(eta)}");
        _task.Value = _task.MaxValue;
        _task.StopTask();
    }

    public int ProgressInterval(int stepsPerEpoch) => Math.Max(1, stepsPerEpoch / 200);

    private static string Label(int epoch, int total) => string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch,3}/{total}");
}
