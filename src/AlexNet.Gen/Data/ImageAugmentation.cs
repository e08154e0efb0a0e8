using System;

namespace AlexNet.Gen.Data;

/// <summary>Per-image augmentations used by <see cref="DataLoader"/>, exposed so they can be checked on their own.</summary>
public static class ImageAugmentation
{
    /// <summary>
    /// Mirrors images left–right: every row of <paramref name="width"/> floats of <paramref name="source"/> (any
    /// number of NCHW images, rows back to back) is written reversed to <paramref name="destination"/>.
    /// </summary>
    public static void MirrorRows(ReadOnlySpan<float> source, Span<float> destination, int width)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "The row width must be positive.");
        if (source.Length % width != 0 || destination.Length != source.Length)
            throw new ArgumentException($"Source ({source.Length} floats) must be whole rows of {width} and the destination ({destination.Length}) as long.", nameof(destination));
        if (source.Overlaps(destination))
            throw new ArgumentException("Source and destination must not overlap.", nameof(destination));
        for (int start = 0; start < source.Length; start += width)
        {
            source.Slice(start, width).CopyTo(destination.Slice(start, width));
            destination.Slice(start, width).Reverse();
        }
    }

    /// <summary>
    /// Pads <paramref name="source"/> (C×H×W) by <paramref name="padding"/> on every side with
    /// <paramref name="padValues"/>[c], crops an H×W window whose top-left corner is at
    /// (<paramref name="offsetY"/>, <paramref name="offsetX"/>) of the padded image (each in [0, 2·padding]),
    /// then mirrors it left–right when <paramref name="flip"/> is set:
    /// out[c, y, x] = padded[c, y + offsetY, x' + offsetX] with x' = flip ? W − 1 − x : x.
    /// </summary>
    public static void CropAndFlip(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width,
        int padding, int offsetY, int offsetX, bool flip, ReadOnlySpan<float> padValues)
    {
        int sample = ImageDataset.CheckShape(channels, height, width);
        if (source.Length != sample || destination.Length != sample)
            throw new ArgumentException($"Source ({source.Length}) and destination ({destination.Length}) must both hold one {channels}×{height}×{width} image ({sample} floats).", nameof(destination));
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "Padding must not be negative.");
        if ((uint)offsetY > (uint)(2 * padding) || (uint)offsetX > (uint)(2 * padding))
            throw new ArgumentOutOfRangeException(nameof(offsetY), $"Crop offsets ({offsetY}, {offsetX}) must lie in [0, {2 * padding}].");
        if (padding > 0 && padValues.Length != channels)
            throw new ArgumentException($"One pad value per channel is needed ({channels}), got {padValues.Length}.", nameof(padValues));

        // Shift of the window relative to the unpadded image; the valid source columns are [x0 + dx, x1 + dx).
        int dy = offsetY - padding, dx = offsetX - padding;
        int x0 = Math.Max(0, -dx), x1 = Math.Min(width, width - dx);
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            float pad = padding > 0 ? padValues[c] : 0f;
            ReadOnlySpan<float> src = source.Slice(c * plane, plane);
            Span<float> dst = destination.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)
            {
                Span<float> row = dst.Slice(y * width, width);
                int sy = y + dy;
                if (sy < 0 || sy >= height || x1 <= x0)
                {
                    row.Fill(pad);
                    continue;
                }
                row[..x0].Fill(pad);
                src.Slice(sy * width + x0 + dx, x1 - x0).CopyTo(row[x0..x1]);
                row[x1..].Fill(pad);
                if (flip) row.Reverse();
            }
        }
    }
}
