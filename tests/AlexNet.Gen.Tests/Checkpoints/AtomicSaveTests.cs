using System;
using System.IO;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Tests.Data;

namespace AlexNet.Gen.Tests.Checkpoints;

public class AtomicSaveTests
{
    [Theory]
    [InlineData(0)]     // before the length prefix
    [InlineData(5)]     // inside the length prefix
    [InlineData(40)]    // inside the header
    [InlineData(300)]   // inside the data
    public void FailedSaveLeavesThePreviousFileIntactAndNoTemporaryFile(int failAfter)
    {
        using var dir = new TempFolder();
        string path = dir.File("model.safetensors");
        Checkpoint.Save(path, TestModels.Create(TestModels.Small, seed: 30));
        byte[] previous = File.ReadAllBytes(path);
        string? tempSeen = null;

        var ex = Assert.Throws<IOException>(() => Checkpoint.Save(path, TestModels.Create(TestModels.Small, seed: 31), null, null, null, temp =>
        {
            tempSeen = temp;
            return new FailingStream(new FileStream(temp, FileMode.CreateNew, FileAccess.Write), failAfter);
        }));

        Assert.Contains($"after {failAfter} bytes", ex.Message);
        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.NotNull(tempSeen);
        Assert.Equal(dir.Path, Path.GetDirectoryName(tempSeen));
        Assert.StartsWith("model.safetensors.tmp-", Path.GetFileName(tempSeen));
        Assert.False(File.Exists(tempSeen));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void FailureToOpenTheTemporaryFileLeavesThePreviousFile()
    {
        using var dir = new TempFolder();
        string path = dir.File("model.safetensors");
        Checkpoint.Save(path, TestModels.Create(TestModels.Small, seed: 32));
        byte[] previous = File.ReadAllBytes(path);

        Assert.Throws<UnauthorizedAccessException>(() => Checkpoint.Save(path, TestModels.Create(TestModels.Small, seed: 33), null, null, null,
            _ => throw new UnauthorizedAccessException("no")));

        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void SuccessfulSaveReplacesTheFileAndLeavesNoTemporaryFile()
    {
        using var dir = new TempFolder();
        string path = dir.File("model.safetensors");
        var first = TestModels.Create(TestModels.Small, seed: 34);
        var second = TestModels.Create(TestModels.Small, seed: 35);
        Checkpoint.Save(path, first);

        Checkpoint.Save(path, second);

        var target = TestModels.Create(TestModels.Small, seed: 36);
        Checkpoint.Load(path, target);
        Assert.Equal(TestModels.Bits(second.Values), TestModels.Bits(target.Values));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void SaveIntoAMissingFolderFailsWithoutCreatingFiles()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "absent", "model.safetensors");
        Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.Save(path, TestModels.Create(TestModels.Small, seed: 37)));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
