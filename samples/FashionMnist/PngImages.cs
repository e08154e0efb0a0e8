using System;
using System.IO;
using AlexNet.Gen.Data;
using SkiaSharp;

namespace FashionMnistSample;

/// <summary>
/// PNG ↔ Fashion-MNIST pixels. Fashion-MNIST images are 28×28 grey, a light garment on a black (0) background;
/// a picture must have that polarity (or be inverted with --invert) for the model's answer to mean anything.
/// </summary>
public static class PngImages
{
    public const int Size = 28;

    /// <summary>
    /// Decodes an image file into 28×28 grey bytes: colour becomes luma (Rec. 601 weights 0.299, 0.587, 0.114, in
    /// integers so grey stays exactly grey), transparency is composited over black (the data set's background),
    /// and <paramref name="invert"/> maps v to 255 − v.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a decodable image, or not 28×28; the message says which.</exception>
    public static byte[] ReadGray(string path, bool invert)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        using var codec = SKCodec.Create(stream, out SKCodecResult result);
        if (codec is null)
            throw new InvalidDataException($"{path}: not an image SkiaSharp can decode ({result}); give a 28×28 PNG.");
        var info = codec.Info;
        if (info.Width != Size || info.Height != Size)
            throw new InvalidDataException($"{path}: the image is {info.Width}×{info.Height} pixels; Fashion-MNIST images are {Size}×{Size}. Resize it first (e.g. convert in.png -resize 28x28! out.png).");

        var rgba = new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(rgba);
        SKCodecResult decoded = codec.GetPixels(rgba, bitmap.GetPixels());
        if (decoded is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new InvalidDataException($"{path}: decoding failed ({decoded}).");

        ReadOnlySpan<byte> pixels = bitmap.GetPixelSpan();
        var gray = new byte[Size * Size];
        for (int i = 0; i < gray.Length; i++)
        {
            int r = pixels[4 * i], g = pixels[4 * i + 1], b = pixels[4 * i + 2], a = pixels[4 * i + 3];
            int luma = (299 * r + 587 * g + 114 * b + 500) / 1000;
            int v = (luma * a + 127) / 255; // over black
            gray[i] = (byte)(invert ? 255 - v : v);
        }
        return gray;
    }

    /// <summary>
    /// True when the border of the image is mostly light: the picture is probably dark-on-light, the opposite of
    /// Fashion-MNIST's polarity.
    /// </summary>
    public static bool LooksInverted(ReadOnlySpan<byte> gray)
    {
        if (gray.Length != Size * Size) throw new ArgumentException($"Expected {Size * Size} pixels, got {gray.Length}.", nameof(gray));
        long sum = 0;
        int count = 0;
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                if (y != 0 && y != Size - 1 && x != 0 && x != Size - 1) continue;
                sum += gray[y * Size + x];
                count++;
            }
        }
        return sum > 128L * count;
    }

    /// <summary>Grey bytes → the network's input, with the same byte-to-float mapping as the data set loader.</summary>
    public static void ToTensor(ReadOnlySpan<byte> gray, Span<float> destination, ChannelNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        if (gray.Length != destination.Length)
            throw new ArgumentException($"{gray.Length} pixels do not fill {destination.Length} floats.", nameof(destination));
        if (normalization.Channels != 1) throw new ArgumentException("Grey images need a one-channel normalization.", nameof(normalization));
        for (int i = 0; i < gray.Length; i++) destination[i] = normalization.Apply(0, gray[i]);
    }

    /// <summary>Writes 8-bit grey pixels (row-major) as a lossless grey PNG.</summary>
    public static void WriteGray(string path, ReadOnlySpan<byte> gray, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (width < 1 || height < 1 || gray.Length != width * height)
            throw new ArgumentException($"{gray.Length} pixels are not a {width}×{height} image.", nameof(gray));
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        gray.CopyTo(bitmap.GetPixelSpan());
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode {path} as PNG.");
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
