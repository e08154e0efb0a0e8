using System;
using System.IO;
using AlexNet.Gen.Data;

namespace AlexNet.Gen.Tests.Data;

public class FashionMnistTests
{
    private static void WriteSet(TempFolder dir, string images, string labels, byte[] pixels, byte[] labelBytes, bool gzip)
    {
        byte[] img = DataBytes.Images(labelBytes.Length, 28, 28, pixels);
        byte[] lab = DataBytes.Labels(labelBytes);
        dir.Write(gzip ? images + ".gz" : images, gzip ? DataBytes.Gzip(img) : img);
        dir.Write(gzip ? labels + ".gz" : labels, gzip ? DataBytes.Gzip(lab) : lab);
    }

    [Fact]
    public void LoadsRawAndGzipFilesFromAFolder()
    {
        using var dir = new TempFolder();
        byte[] trainPixels = DataBytes.Random(6 * 784, 40), testPixels = DataBytes.Random(3 * 784, 41);
        WriteSet(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", trainPixels, new byte[] { 0, 1, 2, 3, 4, 9 }, gzip: true);
        WriteSet(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", testPixels, new byte[] { 5, 6, 7 }, gzip: false);

        DatasetSplits splits = FashionMnist.Load(dir.Path);

        Assert.Equal(6, splits.Train.Count);
        Assert.Equal(3, splits.Test.Count);
        Assert.Equal((1, 28, 28, 784), (splits.Test.Channels, splits.Test.Height, splits.Test.Width, splits.Test.SampleLength));
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 9 }, splits.Train.Labels);
        Assert.Equal(new[] { 5, 6, 7 }, splits.Test.Labels);
        for (int i = 0; i < testPixels.Length; i += 13) Assert.Equal(testPixels[i] / 255.0, splits.Test.Images[i], 1e-7);
        for (int i = 0; i < trainPixels.Length; i += 17) Assert.Equal(trainPixels[i] / 255.0, splits.Train.Images[i], 1e-7);
    }

    [Fact]
    public void MissingFilesAreListedWithTheInstallHint()
    {
        using var dir = new TempFolder();
        WriteSet(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", new byte[784], new byte[] { 1 }, gzip: true);

        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir.Path));
        Assert.Contains(dir.Path, ex.Message);
        Assert.Contains("looked for train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)", ex.Message);
        Assert.Contains("missing train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz).", ex.Message);
        Assert.Contains("install them with: sudo apt-get install dataset-fashion-mnist, or pass --data DIR", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Path.Combine(dir.Path, "train-images-idx3-ubyte"), ex.FileName);

        // The test split alone is present, so it loads.
        Assert.Equal(1, FashionMnist.LoadTest(dir.Path).Count);
    }

    [Fact]
    public void MissingFolderIsSaidToBeMissing()
    {
        string nowhere = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadTest(nowhere));
        Assert.Contains("(the folder does not exist)", ex.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message);
    }

    [Fact]
    public void ImagesAndLabelsMustAgree()
    {
        using var dir = new TempFolder();
        string images = dir.Write("img", DataBytes.Images(3, 28, 28, new byte[3 * 784]));
        string twoLabels = dir.Write("lab2", DataBytes.Labels(new byte[] { 1, 2 }));
        string badLabel = dir.Write("lab-bad", DataBytes.Labels(new byte[] { 1, 12, 2 }));
        string small = dir.Write("img-small", DataBytes.Images(3, 27, 28, new byte[3 * 27 * 28]));

        var ex = Assert.Throws<InvalidDataException>(() => FashionMnist.LoadPair(images, twoLabels));
        Assert.Contains($"{twoLabels}: has 2 labels but {images} has 3 images", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => FashionMnist.LoadPair(images, badLabel));
        Assert.Contains($"{badLabel}: label 1 is 12; Fashion-MNIST labels are 0–9", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => FashionMnist.LoadPair(small, badLabel));
        Assert.Contains($"{small}: images are 27×28", ex.Message);
    }

    [Fact]
    public void ClassNamesAreTheFashionMnistClasses()
    {
        Assert.Equal(new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" }, FashionMnist.ClassNames);
    }
}

/// <summary>The real data set from the Debian package dataset-fashion-mnist, when it is installed.</summary>
public class FashionMnistInstalledDataTests
{
    [Fact]
    public void InstalledDataLoadsOrLoadingExplainsHowToInstallIt()
    {
        string dir = FashionMnist.DefaultDirectory;
        bool installed = File.Exists(Path.Combine(dir, "t10k-images-idx3-ubyte.gz")) || File.Exists(Path.Combine(dir, "t10k-images-idx3-ubyte"));
        if (!installed)
        {
            // Without the package, the loader must say what to install instead of failing obscurely.
            var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadTest(dir));
            Assert.Contains("sudo apt-get install dataset-fashion-mnist", ex.Message);
            Assert.Contains("t10k-images-idx3-ubyte(.gz)", ex.Message);
        }
        else
        {
            CheckTestSet(FashionMnist.LoadTest(dir));
        }
    }

    private static void CheckTestSet(ImageDataset test)
    {
        Assert.Equal(10000, test.Count);
        Assert.Equal((1, 28, 28), (test.Channels, test.Height, test.Width));
        Assert.Equal(10000 * 784, test.Images.Length);
        var perClass = new int[10];
        foreach (int label in test.Labels) perClass[label]++;
        Assert.All(perClass, n => Assert.Equal(1000, n));

        float min = float.MaxValue, max = float.MinValue;
        double sum = 0;
        foreach (float v in test.Images)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
        }
        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
        // The published pixel mean of Fashion-MNIST is about 0.286 (train) and 0.287 (test).
        Assert.InRange(sum / test.Images.Length, 0.27, 0.30);
    }
}
