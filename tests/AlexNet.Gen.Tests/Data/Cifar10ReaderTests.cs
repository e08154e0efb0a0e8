using System;
using System.IO;
using AlexNet.Gen.Data;

namespace AlexNet.Gen.Tests.Data;

public class Cifar10ReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RecordsRoundTripExactly(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] labels = { 3, 0, 9 };
        byte[] pixels = DataBytes.Random(3 * 3072, seed: 10);
        byte[] file = DataBytes.Cifar(labels, pixels);
        string path = dir.Write("data_batch_1.bin", gzip ? DataBytes.Gzip(file) : file);

        Cifar10Batch batch = Cifar10Reader.Read(path);

        Assert.Equal(3, batch.Count);
        Assert.Equal(labels, batch.Labels);
        Assert.Equal(pixels, batch.Pixels);
    }

    [Fact]
    public void SeveralFilesAreJoinedInOrder()
    {
        using var dir = new TempFolder();
        byte[] p1 = DataBytes.Random(2 * 3072, 11), p2 = DataBytes.Random(1 * 3072, 12);
        string a = dir.Write("a.bin", DataBytes.Cifar(new byte[] { 1, 2 }, p1));
        string b = dir.Write("b.bin", DataBytes.Cifar(new byte[] { 7 }, p2));

        Cifar10Batch batch = Cifar10Reader.Read(new[] { a, b });

        Assert.Equal(new byte[] { 1, 2, 7 }, batch.Labels);
        Assert.Equal(p1, batch.Pixels.AsSpan(0, p1.Length).ToArray());
        Assert.Equal(p2, batch.Pixels.AsSpan(p1.Length).ToArray());
    }

    [Fact]
    public void PartialRecordIsReported()
    {
        using var dir = new TempFolder();
        byte[] file = DataBytes.Cifar(new byte[] { 1, 2 }, new byte[2 * 3072]);
        string path = dir.Write("data_batch_2.bin", file[..^100]);

        var ex = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Read(path));
        Assert.Contains("data_batch_2.bin", ex.Message);
        Assert.Contains("6046 bytes is not a whole number of 3073-byte records (1 records and 2973 extra bytes", ex.Message);
    }

    [Fact]
    public void LabelOutOfRangeNamesTheRecord()
    {
        using var dir = new TempFolder();
        string path = dir.Write("test_batch.bin", DataBytes.Cifar(new byte[] { 4, 10, 2 }, new byte[3 * 3072]));

        var ex = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Read(path));
        Assert.Contains("test_batch.bin", ex.Message);
        Assert.Contains("record 1 (byte offset 3073) has label 10; CIFAR-10 labels are 0–9", ex.Message);
    }

    [Fact]
    public void EmptyFileIsReported()
    {
        using var dir = new TempFolder();
        string path = dir.Write("data_batch_3.bin", Array.Empty<byte>());

        var ex = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Read(path));
        Assert.Contains("data_batch_3.bin: the file is empty", ex.Message);
    }

    [Fact]
    public void TruncatedGzipIsReported()
    {
        using var dir = new TempFolder();
        byte[] gz = DataBytes.Gzip(DataBytes.Cifar(new byte[] { 1 }, DataBytes.Random(3072, 13)));
        string path = dir.Write("data_batch_4.bin", gz[..^3]);

        var ex = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Read(path));
        Assert.Contains("data_batch_4.bin", ex.Message);
        Assert.Contains("gzip file is truncated or damaged", ex.Message);
    }

    [Fact]
    public void LoadFindsTheBatchesInTheSubfolderAndNormalizes()
    {
        using var dir = new TempFolder();
        string folder = Path.Combine(dir.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(folder);
        byte[][] pixels = new byte[6][];
        for (int i = 0; i < 6; i++)
        {
            pixels[i] = DataBytes.Random(3072, 20 + i);
            string name = i < 5 ? Cifar10.TrainFiles[i] : Cifar10.TestFile;
            File.WriteAllBytes(Path.Combine(folder, name), DataBytes.Cifar(new[] { (byte)i }, pixels[i]));
        }

        DatasetSplits splits = Cifar10.Load(dir.Path, Cifar10.Normalization);

        Assert.Equal(5, splits.Train.Count);
        Assert.Equal(1, splits.Test.Count);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, splits.Train.Labels);
        Assert.Equal(5, splits.Test.Labels[0]);
        Assert.Equal((3, 32, 32), (splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        double[] mean = { 0.4914, 0.4822, 0.4465 }, std = { 0.2470, 0.2435, 0.2616 };
        for (int k = 0; k < 3072; k += 97)
        {
            int c = k / 1024;
            double expected = (pixels[2][k] / 255.0 - (float)mean[c]) / (float)std[c];
            Assert.Equal(expected, splits.Train.Images[2 * 3072 + k], 1e-5);
        }
    }

    [Fact]
    public void LoadWithoutFilesSaysWhatIsMissing()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("data_batch_1.bin"), DataBytes.Cifar(new byte[] { 1 }, new byte[3072]));

        var ex = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(dir.Path));
        Assert.Contains(dir.Path, ex.Message);
        Assert.Contains("missing data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin", ex.Message);
        Assert.Contains("--data DIR", ex.Message);
    }

    [Fact]
    public void ClassNamesAreTheTenCifarClasses()
    {
        Assert.Equal(new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" }, Cifar10.ClassNames);
    }
}
