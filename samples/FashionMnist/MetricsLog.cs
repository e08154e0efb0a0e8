using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace FashionMnistSample;

/// <summary>One finished epoch (1-based). Accuracies are fractions in [0, 1].</summary>
/// <param name="LearningRate">The rate of the epoch's last step.</param>
/// <param name="TrainSeconds">Wall time of the epoch's training steps.</param>
/// <param name="EpochSeconds">Training plus test evaluation.</param>
/// <param name="ImagesPerSecond">Training images per second of training time.</param>
public sealed record EpochRow(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy,
    double LearningRate, double TrainSeconds, double EpochSeconds, double ImagesPerSecond);

/// <summary>The per-epoch rows written to metrics.csv; also kept in the training checkpoint so a resumed run's file is complete.</summary>
public sealed class MetricsLog
{
    public const string Header = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,train_seconds,epoch_seconds,images_per_second";

    private readonly List<EpochRow> _rows = new();

    public IReadOnlyList<EpochRow> Rows => _rows;

    public void Add(EpochRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (_rows.Count > 0 && row.Epoch != _rows[^1].Epoch + 1)
            throw new ArgumentException($"Epoch {row.Epoch} does not follow epoch {_rows[^1].Epoch}.", nameof(row));
        _rows.Add(row);
    }

    /// <summary>The best test accuracy and its epoch, or (NaN, 0) before any epoch.</summary>
    public (double Accuracy, int Epoch) Best()
    {
        (double Accuracy, int Epoch) best = (double.NaN, 0);
        foreach (var r in _rows)
        {
            if (double.IsNaN(best.Accuracy) || r.TestAccuracy > best.Accuracy) best = (r.TestAccuracy, r.Epoch);
        }
        return best;
    }

    /// <summary>The CSV text: header, then one line per epoch; numbers in invariant round-trip form.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var r in _rows)
        {
            sb.Append(r.Epoch.ToString(CultureInfo.InvariantCulture));
            foreach (double v in new[] { r.TrainLoss, r.TrainAccuracy, r.TestLoss, r.TestAccuracy, r.LearningRate, r.TrainSeconds, r.EpochSeconds, r.ImagesPerSecond })
                sb.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static MetricsLog Parse(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != Header) throw new FormatException($"Metrics CSV must start with the header '{Header}'.");
        var log = new MetricsLog();
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            if (f.Length != 9 || !int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch))
                throw new FormatException($"Metrics line {i} '{lines[i]}' is malformed.");
            var v = new double[8];
            for (int j = 0; j < 8; j++)
            {
                if (!double.TryParse(f[j + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[j]))
                    throw new FormatException($"Metrics line {i} field {j + 1} '{f[j + 1]}' is not a number.");
            }
            log.Add(new EpochRow(epoch, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]));
        }
        return log;
    }

    /// <summary>Writes metrics.csv atomically (temporary file, then rename), so a reader never sees half a file.</summary>
    public void Write(string path)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, ToCsv());
        File.Move(temp, path, overwrite: true);
    }
}
