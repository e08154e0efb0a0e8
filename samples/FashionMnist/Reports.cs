using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;
using SkiaSharp;
using Spectre.Console;

namespace FashionMnistSample;

/// <summary>The end-of-run tables (Spectre.Console) and the training curves (ScottPlot).</summary>
public static class Reports
{
    /// <summary>Per-class accuracy (recall) with counts, then the confusion matrix (rows: actual, columns: predicted).</summary>
    public static void PrintClassTables(IAnsiConsole console, EvaluationReport report, IReadOnlyList<string> classNames, string title)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        if (classNames.Count != report.ClassCount)
            throw new ArgumentException($"{classNames.Count} class names for {report.ClassCount} classes.", nameof(classNames));

        var perClass = new Table().Title(Markup.Escape(title)).Border(TableBorder.Rounded);
        perClass.AddColumn("Class");
        perClass.AddColumn(new TableColumn("Correct").RightAligned());
        perClass.AddColumn(new TableColumn("Images").RightAligned());
        perClass.AddColumn(new TableColumn("Accuracy").RightAligned());
        for (int c = 0; c < report.ClassCount; c++)
        {
            double accuracy = report.ClassAccuracy(c);
            string colour = double.IsNaN(accuracy) ? "grey" : accuracy >= 0.9 ? "green" : accuracy >= 0.75 ? "yellow" : "red";
            perClass.AddRow(
                Markup.Escape($"{c} {classNames[c]}"),
                Number(report.Confusion[c, c]),
                Number(report.ClassTotal(c)),
                $"[{colour}]{Percent(accuracy)}[/]");
        }
        perClass.AddRow("[bold]All[/]", $"[bold]{Number(report.Correct)}[/]", $"[bold]{Number(report.Count)}[/]", $"[bold]{Percent(report.Accuracy)}[/]");
        console.Write(perClass);

        // Columns are class numbers so ten of them fit an 80-column terminal; the rows name the classes.
        var matrix = new Table().Title("Confusion matrix (rows: actual class, columns: predicted class)").Border(TableBorder.Simple);
        matrix.AddColumn("Actual");
        for (int p = 0; p < report.ClassCount; p++) matrix.AddColumn(new TableColumn(p.ToString(CultureInfo.InvariantCulture)).RightAligned());
        for (int a = 0; a < report.ClassCount; a++)
        {
            var cells = new List<string> { Markup.Escape($"{a} {classNames[a]}") };
            int total = report.ClassTotal(a);
            for (int p = 0; p < report.ClassCount; p++)
            {
                int n = report.Confusion[a, p];
                // Highlight the diagonal, and off-diagonal cells holding at least 5 % of the class: the notable confusions.
                string text = Number(n);
                if (a == p) text = $"[green]{text}[/]";
                else if (n > 0 && total > 0 && n * 20 >= total) text = $"[red]{text}[/]";
                else if (n == 0) text = "[grey]0[/]";
                cells.Add(text);
            }
            matrix.AddRow(cells.ToArray());
        }
        console.Write(matrix);
    }

    /// <summary>
    /// training.png: loss (top) and accuracy (bottom) per epoch, training and test, drawn as two ScottPlot plots
    /// stacked on one Skia canvas.
    /// </summary>
    public static void SaveTrainingCurves(string path, IReadOnlyList<EpochRow> rows, int width = 900, int height = 800)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("No epochs to plot.", nameof(rows));
        double[] epochs = rows.Select(r => (double)r.Epoch).ToArray();

        var loss = new Plot();
        AddSeries(loss, epochs, rows.Select(r => r.TrainLoss).ToArray(), "training loss (running mean, dropout on)", Colors.Blue);
        AddSeries(loss, epochs, rows.Select(r => r.TestLoss).ToArray(), "test loss", Colors.OrangeRed);
        loss.Title("Fashion-MNIST, compact AlexNet: cross-entropy");
        loss.YLabel("loss");
        loss.XLabel("epoch");
        loss.ShowLegend(Alignment.UpperRight);

        var accuracy = new Plot();
        AddSeries(accuracy, epochs, rows.Select(r => 100 * r.TrainAccuracy).ToArray(), "training accuracy", Colors.Blue);
        AddSeries(accuracy, epochs, rows.Select(r => 100 * r.TestAccuracy).ToArray(), "test accuracy", Colors.OrangeRed);
        var best = rows.MaxBy(r => r.TestAccuracy)!;
        accuracy.Title(string.Create(CultureInfo.InvariantCulture, $"accuracy (best test {100 * best.TestAccuracy:F2} % at epoch {best.Epoch})"));
        accuracy.YLabel("accuracy (%)");
        accuracy.XLabel("epoch");
        accuracy.ShowLegend(Alignment.LowerRight);
        // Whole epochs on the x axis, at most about ten labels.
        double interval = Math.Max(1, Math.Ceiling(rows.Count / 10.0));
        foreach (var plot in new[] { loss, accuracy })
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(interval);
            // A single epoch gives a zero-width axis; show a window around it.
            if (rows.Count == 1) plot.Axes.SetLimitsX(0.5, 1.5);
        }

        // Each plot is rendered on its own surface (a plot clears its whole canvas) and the two are stacked.
        int half = height / 2;
        using var surface = SKSurface.Create(new SKImageInfo(width, height))
            ?? throw new InvalidOperationException("SkiaSharp could not create a drawing surface.");
        surface.Canvas.Clear(SKColors.White);
        using (SKImage top = RenderPlot(loss, width, half)) surface.Canvas.DrawImage(top, 0, 0);
        using (SKImage bottom = RenderPlot(accuracy, width, height - half)) surface.Canvas.DrawImage(bottom, 0, half);

        using SKImage image = surface.Snapshot();
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        string temp = path + ".tmp";
        using (var file = System.IO.File.Create(temp)) png.SaveTo(file);
        System.IO.File.Move(temp, path, overwrite: true);
    }

    private static SKImage RenderPlot(Plot plot, int width, int height)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height))
            ?? throw new InvalidOperationException("SkiaSharp could not create a drawing surface.");
        plot.Render(surface.Canvas, width, height);
        return surface.Snapshot();
    }

    private static void AddSeries(Plot plot, double[] xs, double[] ys, string label, ScottPlot.Color color)
    {
        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = label;
        scatter.Color = color;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
    }

    public static string Percent(double fraction) =>
        double.IsNaN(fraction) ? "-" : (100 * fraction).ToString("F2", CultureInfo.InvariantCulture) + " %";

    private static string Number(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
