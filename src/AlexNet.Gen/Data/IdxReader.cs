using System;
using System.Buffers.Binary;
using System.IO;

namespace AlexNet.Gen.Data;

/// <summary>An unsigned-byte IDX array: its dimensions (outermost first) and its elements in row-major order.</summary>
public sealed class IdxArray
{
    private readonly int[] _dimensions;

    internal IdxArray(int[] dimensions, byte[] data)
    {
        _dimensions = dimensions;
        Data = data;
    }

    /// <summary>Sizes, outermost first: [count] for labels, [count, rows, columns] for images.</summary>
    public ReadOnlySpan<int> Dimensions => _dimensions;

    /// <summary>Number of items (the first dimension).</summary>
    public int Count => _dimensions[0];

    /// <summary>The elements, row-major.</summary>
    public byte[] Data { get; }
}

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian magic number 00 00 TT DD (TT the element
/// type, DD the number of dimensions), DD big-endian 32-bit sizes, then the elements. Files may be gzip-compressed.
/// Only unsigned bytes (TT = 0x08) are supported. Any defect throws <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of a label file (unsigned bytes, 1 dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Magic number of an image file (unsigned bytes, 3 dimensions).</summary>
    public const int ImagesMagic = 0x00000803;

    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an image file (magic 0x00000803): dimensions [count, rows, columns].</summary>
    public static IdxArray ReadImages(string path) => Read(path, requiredDimensions: 3, "an image");

    /// <summary>Reads a label file (magic 0x00000801): one byte per item.</summary>
    public static byte[] ReadLabels(string path) => Read(path, requiredDimensions: 1, "a label").Data;

    /// <summary>Reads any unsigned-byte IDX file, whatever its number of dimensions.</summary>
    public static IdxArray Read(string path) => Read(path, requiredDimensions: 0, "an IDX");

    private static IdxArray Read(string path, int requiredDimensions, string kind)
    {
        using var file = DataFile.Open(path);

        Span<byte> magic = stackalloc byte[4];
        int got = file.ReadAtMost(magic);
        if (got < 4) throw file.Error($"the {file.ContentWord} has {got} bytes, too short for the 4-byte IDX magic number");
        int magicValue = BinaryPrimitives.ReadInt32BigEndian(magic);
        if (magic[0] != 0 || magic[1] != 0)
            throw file.Error($"bad magic number 0x{magicValue:X8}: an IDX file starts with two zero bytes (expected {ExpectedMagic(requiredDimensions)})");
        if (magic[2] != UnsignedByte)
            throw file.Error($"element type 0x{magic[2]:X2} ({TypeName(magic[2])}) in magic number 0x{magicValue:X8} is not supported; only unsigned bytes (0x08) are");
        int dimensionCount = magic[3];
        if (dimensionCount == 0)
            throw file.Error($"magic number 0x{magicValue:X8} declares 0 dimensions");
        if (requiredDimensions != 0 && dimensionCount != requiredDimensions)
            throw file.Error($"magic number 0x{magicValue:X8} declares {dimensionCount} dimension(s), but {kind} file has {requiredDimensions} (expected {ExpectedMagic(requiredDimensions)})");

        Span<byte> sizes = stackalloc byte[4 * 255];
        sizes = sizes[..(4 * dimensionCount)];
        got = file.ReadAtMost(sizes);
        if (got < sizes.Length)
            throw file.Error($"the {file.ContentWord} ends inside the IDX header: {dimensionCount} dimension(s) need {4 + sizes.Length} header bytes, it has {4 + got}");

        int[] dimensions = new int[dimensionCount];
        long elements = 1;
        for (int i = 0; i < dimensionCount; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(sizes[(4 * i)..]);
            if (d <= 0) throw file.Error($"dimension {i} of the header is {d}; sizes must be positive");
            dimensions[i] = d;
            elements *= d; // cannot overflow a long before the check below trips: each factor is < 2^31 and we stop at Array.MaxLength
            if (elements > Array.MaxLength)
                throw file.Error($"header dimensions {string.Join("×", dimensions[..(i + 1)])} exceed the {Array.MaxLength} elements an array can hold");
        }

        long headerLength = 4 + 4L * dimensionCount;
        string description = Describe(dimensions);
        if (!file.CouldHold(headerLength + elements))
        {
            // A corrupt header: count what is really there instead of allocating what the header claims.
            long actual = file.SkipToEnd();
            throw Mismatch(file, description, elements, actual);
        }

        byte[] data = GC.AllocateUninitializedArray<byte>((int)elements);
        int payload = file.ReadAtMost(data);
        if (payload < data.Length) throw Mismatch(file, description, elements, payload);
        long extra = file.SkipToEnd();
        if (extra > 0) throw Mismatch(file, description, elements, payload + extra);
        file.VerifyGzipTrailer();
        return new IdxArray(dimensions, data);
    }

    private static InvalidDataException Mismatch(DataFile file, string description, long expected, long actual) =>
        file.Error($"header says {description} ({expected} bytes) but the {file.ContentWord} has {actual} bytes after the header");

    private static string Describe(int[] d) => d.Length switch
    {
        1 => $"{d[0]} labels",
        3 => $"{d[0]} images of {d[1]}×{d[2]}",
        _ => $"a {string.Join("×", d)} array",
    };

    private static string ExpectedMagic(int dimensions) => dimensions switch
    {
        1 => "0x00000801",
        3 => "0x00000803",
        _ => "0x000008DD with DD the number of dimensions",
    };

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not an IDX type",
    };
}
