using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace AlexNet.Gen.Data;

/// <summary>
/// A data file read front to back, raw or gzip (recognised by the gzip magic 1f 8b, not by the extension).
/// Every failure becomes an <see cref="InvalidDataException"/> naming the file.
/// </summary>
internal sealed class DataFile : IDisposable
{
    // Deflate cannot expand data by more than about 1032:1; a header promising more than that is corrupt,
    // and checking it first keeps a damaged header from making us allocate gigabytes.
    private const long MaxDeflateRatio = 1100;

    private readonly FileStream _file;
    private readonly Stream _content;

    private DataFile(string path, FileStream file, bool gzip)
    {
        Path = path;
        _file = file;
        IsGzip = gzip;
        FileLength = file.Length;
        _content = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
    }

    public string Path { get; }

    public bool IsGzip { get; }

    /// <summary>Length of the file on disk (compressed length for gzip).</summary>
    public long FileLength { get; }

    /// <summary>Bytes of content read so far (decompressed for gzip).</summary>
    public long Position { get; private set; }

    /// <summary>"file" or "decompressed file", for messages.</summary>
    public string ContentWord => IsGzip ? "decompressed file" : "file";

    public static DataFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int n = 0;
            while (n < 2)
            {
                int r = file.Read(magic[n..]);
                if (r == 0) break;
                n += r;
            }
            file.Position = 0;
            return new DataFile(path, file, n == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public InvalidDataException Error(string what) => new($"{Path}: {what}");

    /// <summary>Whether <paramref name="contentLength"/> bytes of content could possibly be in this file.</summary>
    public bool CouldHold(long contentLength) =>
        IsGzip ? contentLength <= FileLength * MaxDeflateRatio + 1024 : contentLength <= FileLength;

    /// <summary>Reads until <paramref name="buffer"/> is full or the content ends; returns the bytes read.</summary>
    public int ReadAtMost(Span<byte> buffer)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int r = _content.Read(buffer[total..]);
                if (r == 0) break;
                total += r;
            }
        }
        catch (InvalidDataException ex)
        {
            // GZipStream's own messages (e.g. "unsupported compression method" for a CRC error) do not say which file.
            throw Error($"the gzip data is damaged ({ex.Message})");
        }
        Position += total;
        return total;
    }

    /// <summary>Reads the rest of the content without keeping it; returns how many bytes there were.</summary>
    public long SkipToEnd()
    {
        byte[] scratch = new byte[1 << 16];
        long total = 0;
        int r;
        while ((r = ReadAtMost(scratch)) > 0) total += r;
        return total;
    }

    /// <summary>
    /// After the content is read to its end: checks the gzip trailer's length field, because .NET's GZipStream
    /// reports a file cut anywhere after the last complete deflate block as a clean end of data.
    /// Concatenated (multi-member) gzip files are rejected by this check.
    /// </summary>
    public void VerifyGzipTrailer()
    {
        if (!IsGzip) return;
        if (FileLength < 18)
            throw Error($"the gzip file is truncated: {FileLength} bytes cannot hold a gzip header and trailer");
        Span<byte> trailer = stackalloc byte[8];
        _file.Position = FileLength - 8;
        _file.ReadExactly(trailer);
        uint recorded = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        if (recorded != (uint)Position)
            throw Error($"the gzip file is truncated or damaged: its trailer records {recorded} uncompressed bytes (mod 2^32) but {Position} were decompressed");
    }

    /// <summary>Reads the whole content (at most <paramref name="maxLength"/> bytes), then verifies the gzip trailer.</summary>
    public byte[] ReadAll(long maxLength)
    {
        if (!IsGzip)
        {
            if (FileLength > maxLength) throw Error($"the file has {FileLength} bytes, more than the {maxLength} allowed");
            byte[] raw = GC.AllocateUninitializedArray<byte>((int)FileLength);
            int got = ReadAtMost(raw);
            if (got != raw.Length) throw Error($"the file shrank while it was read ({got} of {raw.Length} bytes)");
            return raw;
        }

        using var collected = new MemoryStream();
        byte[] chunk = new byte[1 << 16];
        int r;
        while ((r = ReadAtMost(chunk)) > 0)
        {
            if (collected.Length + r > maxLength)
                throw Error($"the decompressed file has more than the {maxLength} bytes allowed");
            collected.Write(chunk, 0, r);
        }
        VerifyGzipTrailer();
        return collected.ToArray();
    }

    public void Dispose()
    {
        if (!ReferenceEquals(_content, _file)) _content.Dispose();
        _file.Dispose();
    }
}
