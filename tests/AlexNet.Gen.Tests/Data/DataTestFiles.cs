using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace AlexNet.Gen.Tests.Data;

/// <summary>A folder under the temp directory, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alexnet-gen-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Builds data files byte by byte, independently of the readers under test.</summary>
internal static class DataBytes
{
    /// <summary>IDX: 00 00 type ndims, big-endian sizes, payload.</summary>
    public static byte[] Idx(byte type, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Images(int count, int rows, int cols, byte[] pixels) => Idx(0x08, new[] { count, rows, cols }, pixels);

    public static byte[] Labels(byte[] labels) => Idx(0x08, new[] { labels.Length }, labels);

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return output.ToArray();
    }

    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>CIFAR-10 records: label byte then 3072 pixels.</summary>
    public static byte[] Cifar(byte[] labels, byte[] pixels)
    {
        const int P = 3072;
        var bytes = new byte[labels.Length * (P + 1)];
        for (int r = 0; r < labels.Length; r++)
        {
            bytes[r * (P + 1)] = labels[r];
            pixels.AsSpan(r * P, P).CopyTo(bytes.AsSpan(r * (P + 1) + 1));
        }
        return bytes;
    }
}
