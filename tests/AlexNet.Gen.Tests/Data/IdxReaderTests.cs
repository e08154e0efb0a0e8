using System;
using System.IO;
using AlexNet.Gen.Data;

namespace AlexNet.Gen.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesRoundTripExactly(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] pixels = DataBytes.Random(5 * 4 * 3, seed: 1);
        byte[] file = DataBytes.Images(5, 4, 3, pixels);
        // The name deliberately lies about compression: detection is by content.
        string path = dir.Write(gzip ? "images.raw" : "images.gz", gzip ? DataBytes.Gzip(file) : file);

        IdxArray read = IdxReader.ReadImages(path);

        Assert.Equal(new[] { 5, 4, 3 }, read.Dimensions.ToArray());
        Assert.Equal(5, read.Count);
        Assert.Equal(pixels, read.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LabelsRoundTripExactly(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] labels = { 0, 9, 3, 3, 7, 1, 255 };
        byte[] file = DataBytes.Labels(labels);
        string path = dir.Write("labels", gzip ? DataBytes.Gzip(file) : file);

        Assert.Equal(labels, IdxReader.ReadLabels(path));
    }

    [Fact]
    public void GenericReadAcceptsAnyDimensionCount()
    {
        using var dir = new TempFolder();
        byte[] payload = DataBytes.Random(2 * 3 * 4 * 5, seed: 2);
        string path = dir.Write("array", DataBytes.Idx(0x08, new[] { 2, 3, 4, 5 }, payload));

        IdxArray read = IdxReader.Read(path);

        Assert.Equal(new[] { 2, 3, 4, 5 }, read.Dimensions.ToArray());
        Assert.Equal(payload, read.Data);
    }

    [Fact]
    public void BadMagicIsReported()
    {
        using var dir = new TempFolder();
        byte[] file = DataBytes.Images(1, 2, 2, new byte[4]);
        file[0] = 0x12;
        string path = dir.Write("bad-magic-idx3-ubyte", file);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("bad-magic-idx3-ubyte", ex.Message);
        Assert.Contains("bad magic number 0x12000803", ex.Message);
    }

    [Fact]
    public void UnsupportedElementTypeIsReported()
    {
        using var dir = new TempFolder();
        string path = dir.Write("floats-idx3", DataBytes.Idx(0x0D, new[] { 1, 1, 1 }, new byte[4]));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("floats-idx3", ex.Message);
        Assert.Contains("element type 0x0D (32-bit float)", ex.Message);
    }

    [Fact]
    public void WrongDimensionCountIsReported()
    {
        using var dir = new TempFolder();
        string images = dir.Write("two-dims", DataBytes.Idx(0x08, new[] { 2, 3 }, new byte[6]));
        string labelsAsImages = dir.Write("labels-file", DataBytes.Labels(new byte[] { 1, 2 }));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(images));
        Assert.Contains("two-dims", ex.Message);
        Assert.Contains("declares 2 dimension(s), but an image file has 3 (expected 0x00000803)", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(labelsAsImages));
        Assert.Contains("labels-file", ex.Message);
        Assert.Contains("0x00000801 declares 1 dimension(s)", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(images));
        Assert.Contains("but a label file has 1 (expected 0x00000801)", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(dir.Write("zero-dims", new byte[] { 0, 0, 8, 0 })));
        Assert.Contains("zero-dims", ex.Message);
        Assert.Contains("declares 0 dimensions", ex.Message);
    }

    [Theory]
    [InlineData(0, "dimension 1 of the header is 0")]
    [InlineData(-1, "dimension 1 of the header is -1")]
    public void NonPositiveDimensionIsReported(int size, string expected)
    {
        using var dir = new TempFolder();
        string path = dir.Write("dims", DataBytes.Idx(0x08, new[] { 2, size, 3 }, Array.Empty<byte>()));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("dims", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void DimensionProductTooLargeIsReported()
    {
        using var dir = new TempFolder();
        string path = dir.Write("huge", DataBytes.Idx(0x08, new[] { 65536, 65536, 65536 }, new byte[10]));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("huge", ex.Message);
        Assert.Contains("65536×65536 exceed", ex.Message);
    }

    [Fact]
    public void TruncatedPayloadIsReportedWithSizes()
    {
        using var dir = new TempFolder();
        string path = dir.Write("train-images-idx3-ubyte", DataBytes.Images(60000, 28, 28, new byte[1200]));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: header says 60000 images of 28×28 (47040000 bytes) but the file has 1200 bytes after the header", ex.Message);
    }

    [Fact]
    public void TruncatedPayloadInGzipIsReportedWithDecompressedSize()
    {
        using var dir = new TempFolder();
        string path = dir.Write("train-images-idx3-ubyte.gz", DataBytes.Gzip(DataBytes.Images(60000, 28, 28, DataBytes.Random(1200, 3))));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: header says 60000 images of 28×28 (47040000 bytes) but the decompressed file has 1200 bytes after the header", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShortPayloadWithinPlausibleSizeIsReported(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] file = DataBytes.Labels(new byte[100])[..^1]; // one label short
        string path = dir.Write("labels-short", gzip ? DataBytes.Gzip(file) : file);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("labels-short", ex.Message);
        Assert.Contains("header says 100 labels (100 bytes) but the", ex.Message);
        Assert.Contains("has 99 bytes after the header", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExtraBytesAreReported(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] good = DataBytes.Images(2, 3, 4, new byte[24]);
        byte[] file = new byte[good.Length + 5];
        good.CopyTo(file, 0);
        string path = dir.Write("extra", gzip ? DataBytes.Gzip(file) : file);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("extra", ex.Message);
        Assert.Contains("header says 2 images of 3×4 (24 bytes) but the", ex.Message);
        Assert.Contains("has 29 bytes after the header", ex.Message);
    }

    [Fact]
    public void HeaderCutShortIsReported()
    {
        using var dir = new TempFolder();
        string magicOnly = dir.Write("tiny", new byte[] { 0, 0 });
        string sizesCut = dir.Write("cut", DataBytes.Images(1, 1, 1, new byte[1])[..9]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(magicOnly));
        Assert.Contains("tiny", ex.Message);
        Assert.Contains("has 2 bytes, too short for the 4-byte IDX magic number", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(sizesCut));
        Assert.Contains("cut", ex.Message);
        Assert.Contains("ends inside the IDX header: 3 dimension(s) need 16 header bytes, it has 9", ex.Message);
    }

    [Fact]
    public void GzipCutInTheMiddleIsReported()
    {
        using var dir = new TempFolder();
        byte[] gz = DataBytes.Gzip(DataBytes.Images(50, 28, 28, DataBytes.Random(50 * 784, 4)));
        string path = dir.Write("half.gz", gz[..(gz.Length / 2)]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("half.gz", ex.Message);
        Assert.Contains("header says 50 images of 28×28 (39200 bytes) but the decompressed file has", ex.Message);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void GzipMissingItsTrailerIsReported(int cut)
    {
        // The deflate data is complete, so every payload byte decompresses; only the trailer check can tell.
        using var dir = new TempFolder();
        byte[] gz = DataBytes.Gzip(DataBytes.Labels(DataBytes.Random(300, 5)));
        string path = dir.Write("trailer-cut.gz", gz[..^cut]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("trailer-cut.gz", ex.Message);
        Assert.Contains("gzip file is truncated or damaged", ex.Message);
    }

    [Fact]
    public void GzipWithBadChecksumIsReported()
    {
        using var dir = new TempFolder();
        byte[] gz = DataBytes.Gzip(DataBytes.Labels(DataBytes.Random(300, 6)));
        gz[^6] ^= 0x40; // inside the CRC-32 field
        string path = dir.Write("crc.gz", gz);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("crc.gz", ex.Message);
        Assert.Contains("gzip data is damaged", ex.Message);
    }

    [Fact]
    public void EmptyFileIsReported()
    {
        using var dir = new TempFolder();
        string path = dir.Write("empty", Array.Empty<byte>());

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("empty: the file has 0 bytes", ex.Message);
    }
}
