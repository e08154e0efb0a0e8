using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Tests.Data;

namespace AlexNet.Gen.Tests.Checkpoints;

public class CheckpointRoundTripTests
{
    private static readonly float[] Special =
    {
        float.NaN, BitConverter.Int32BitsToSingle(0x7FC12345), -0f, float.Epsilon, -float.Epsilon,
        float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, 1e-40f,
    };

    [Fact]
    public void RoundTripIsBitExact()
    {
        using var dir = new TempFolder();
        var source = TestModels.Create(TestModels.Small, seed: 1);
        Special.CopyTo(source.Values, 3);
        var target = TestModels.Create(TestModels.Small, seed: 2);
        string path = dir.File("model.safetensors");

        Checkpoint.Save(path, source, new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "ünïcode ✓" });
        CheckpointContents contents = Checkpoint.Load(path, target);

        Assert.Equal(TestModels.Bits(source.Values), TestModels.Bits(target.Values));
        Assert.Equal("3", contents.Metadata["epoch"]);
        Assert.Equal("ünïcode ✓", contents.Metadata["note"]);
        Assert.Equal(TestModels.Small.Select(p => p.Name), contents.LoadedParameters);
        Assert.Empty(contents.Tensors);
        Assert.Empty(contents.MissingParameters);
    }

    [Fact]
    public void FileIsValidSafetensorsForAnIndependentParser()
    {
        using var dir = new TempFolder();
        var model = TestModels.Create(TestModels.Small, seed: 3);
        var momentum = new NamedTensor("optimizer.momentum.fc1.bias", new[] { 4 }, new[] { 1f, -2f, 3.5f, 0f });
        string path = dir.File("model.safetensors");

        Checkpoint.Save(path, model, new Dictionary<string, string> { ["framework"] = "AlexNet.Gen" }, new[] { momentum });
        byte[] bytes = File.ReadAllBytes(path);
        var file = MiniSafetensors.Parse(bytes);

        Assert.Equal(0UL, file.HeaderLength % 8);
        Assert.StartsWith("{", file.HeaderText);
        Assert.Equal(file.HeaderText.TrimEnd(' ').Length, file.HeaderText.TrimEnd(' ').TrimEnd().Length); // only spaces pad
        Assert.Equal("AlexNet.Gen", file.Metadata["framework"]);
        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias", "optimizer.momentum.fc1.bias" }, file.Order);
        long cursor = 0;
        foreach (string name in file.Order)
        {
            var t = file.Tensors[name];
            Assert.Equal("F32", t.DType);
            Assert.Equal(cursor, t.Begin);
            Assert.Equal(4 * t.Shape.Aggregate(1L, (a, b) => a * b), t.End - t.Begin);
            cursor = t.End;
        }
        Assert.Equal(cursor, file.Buffer.Length);
        Assert.Equal(8 + (long)file.HeaderLength + cursor, bytes.Length);
        foreach (var p in model)
        {
            Assert.Equal(p.Shape.ToArray().Select(d => (long)d), file.Tensors[p.Name].Shape);
            Assert.Equal(TestModels.Bits(p.Values), TestModels.Bits(file.Floats(p.Name)));
        }
        Assert.Equal(momentum.Data, file.Floats(momentum.Name));
    }

    [Fact]
    public void SavingIsDeterministic()
    {
        using var dir = new TempFolder();
        var model = TestModels.Create(TestModels.Small, seed: 4);
        var m1 = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" };
        var m2 = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" };

        Checkpoint.Save(dir.File("1.safetensors"), model, m1);
        Checkpoint.Save(dir.File("2.safetensors"), model, m2);

        Assert.Equal(File.ReadAllBytes(dir.File("1.safetensors")), File.ReadAllBytes(dir.File("2.safetensors")));
    }

    [Fact]
    public void ExtraTensorsComeBackFromLoadAndRead()
    {
        using var dir = new TempFolder();
        var model = TestModels.Create(TestModels.Small, seed: 5);
        var extras = new[]
        {
            new NamedTensor("optimizer.momentum.conv1.weight", new[] { 2, 3, 3, 3 }, Enumerable.Range(0, 54).Select(i => i * 0.5f).ToArray()),
            new NamedTensor("optimizer.step", Array.Empty<int>(), new[] { 42f }),
        };
        string path = dir.File("train.safetensors");
        Checkpoint.Save(path, model, extraTensors: extras);

        var target = TestModels.Create(TestModels.Small, seed: 6);
        CheckpointContents loaded = Checkpoint.Load(path, target);
        CheckpointContents read = Checkpoint.Read(path);

        Assert.Equal(extras.Select(e => e.Name), loaded.Tensors.Select(t => t.Name));
        Assert.Equal(extras[0].Data, loaded.GetTensor(extras[0].Name).Data);
        Assert.Equal(extras[0].Shape, loaded.GetTensor(extras[0].Name).Shape);
        Assert.Empty(loaded.GetTensor("optimizer.step").Shape);
        Assert.Equal(new[] { 42f }, loaded.GetTensor("optimizer.step").Data);
        Assert.Equal(6, read.Tensors.Count);
        Assert.Equal(TestModels.Bits(model["fc1.weight"].Values), TestModels.Bits(read.GetTensor("fc1.weight").Data));
        Assert.Equal(new[] { 4, 8 }, read.GetTensor("fc1.weight").Shape);
        Assert.Throws<KeyNotFoundException>(() => read.GetTensor("nope"));
    }

    [Fact]
    public void TorchvisionNamesLoadIntoTheModel()
    {
        using var dir = new TempFolder();
        var model = TestModels.Create(TestModels.TinyAlexNet, seed: 7);
        var map = TorchvisionNames.AlexNet;
        var ours = TorchvisionNames.Invert(map);
        // A file as torchvision would name it, written by the independent writer.
        var rng = new Random(8);
        var tensors = model.Select(p => (Name: ours[p.Name], Shape: p.Shape.ToArray(), Data: Enumerable.Range(0, p.Length).Select(_ => (float)rng.NextDouble()).ToArray())).ToList();
        string path = dir.Write("alexnet-torchvision.safetensors", MiniSafetensors.Write(tensors));

        CheckpointContents contents = Checkpoint.Load(path, model, new CheckpointLoadOptions { NameMap = map });

        Assert.Equal("conv1.weight", map["features.0.weight"]);
        Assert.Equal("conv5.bias", map["features.10.bias"]);
        Assert.Equal("fc1.weight", map["classifier.1.weight"]);
        Assert.Equal("fc3.bias", map["classifier.6.bias"]);
        Assert.Equal(16, map.Count);
        foreach (var t in tensors) Assert.Equal(t.Data, model[map[t.Name]].Values.ToArray());
        Assert.Equal(16, contents.LoadedParameters.Count);
    }

    [Fact]
    public void ExcludedClassifierKeepsItsValues()
    {
        using var dir = new TempFolder();
        var model = TestModels.Create(TestModels.TinyAlexNet, seed: 9);
        var ours = TorchvisionNames.Invert(TorchvisionNames.AlexNet);
        // ImageNet's 1000-way classifier: a different shape for fc3.
        var tensors = model.Select(p => (Name: ours[p.Name], Shape: p.Name.StartsWith("fc3") ? (p.Name.EndsWith("weight") ? new[] { 1000, 8 } : new[] { 1000 }) : p.Shape.ToArray(),
            Data: Array.Empty<float>())).ToList();
        tensors = tensors.Select(t => (t.Name, t.Shape, Data: Enumerable.Repeat(0.25f, t.Shape.Aggregate(1, (a, b) => a * b)).ToArray())).ToList();
        string path = dir.Write("imagenet.safetensors", MiniSafetensors.Write(tensors));
        float[] fc3Before = model["fc3.weight"].Values.ToArray();

        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, new CheckpointLoadOptions { NameMap = TorchvisionNames.AlexNet }));
        Assert.Contains("tensor 'classifier.6.weight' (model parameter 'fc3.weight') has shape [1000, 8] but the model's is [10, 8]", ex.Message);

        var contents = Checkpoint.Load(path, model, new CheckpointLoadOptions { NameMap = TorchvisionNames.AlexNet, Exclude = new HashSet<string> { "fc3.weight", "fc3.bias" } });

        Assert.Equal(fc3Before, model["fc3.weight"].Values.ToArray());
        Assert.All(model["conv1.weight"].Values.ToArray(), v => Assert.Equal(0.25f, v));
        Assert.Equal(new[] { "classifier.6.weight", "classifier.6.bias" }, contents.IgnoredTensors);
        Assert.Equal(new[] { "fc3.weight", "fc3.bias" }, contents.MissingParameters);
    }

    [Fact]
    public void AllowMissingAndAllowUnexpectedRelaxTheMatch()
    {
        using var dir = new TempFolder();
        var model = TestModels.Create(TestModels.Small, seed: 10);
        string path = dir.Write("partial.safetensors", MiniSafetensors.Write(new[]
        {
            ("conv1.bias", new[] { 2 }, new[] { 5f, 6f }),
            ("bn.running_mean", new[] { 3 }, new[] { 1f, 2f, 3f }),
        }));
        float[] fcBefore = model["fc1.weight"].Values.ToArray();

        var contents = Checkpoint.Load(path, model, new CheckpointLoadOptions { AllowMissing = true, AllowUnexpected = true });

        Assert.Equal(new[] { 5f, 6f }, model["conv1.bias"].Values.ToArray());
        Assert.Equal(fcBefore, model["fc1.weight"].Values.ToArray());
        Assert.Equal(new[] { "bn.running_mean" }, contents.IgnoredTensors);
        Assert.Equal(new[] { "conv1.weight", "fc1.weight", "fc1.bias" }, contents.MissingParameters);
    }

    [Fact]
    public void SaveRejectsInconsistentExtraTensors()
    {
        using var dir = new TempFolder();
        var model = TestModels.Create(TestModels.Small, seed: 11);
        string path = dir.File("x.safetensors");

        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, model, extraTensors: new[] { new NamedTensor("optimizer.m", new[] { 2, 2 }, new float[3]) }));
        Assert.Contains("shape [2, 2] (4 elements) but 3 values", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, model, extraTensors: new[] { new NamedTensor("fc1.bias", new[] { 4 }, new float[4]) }));
        Assert.Contains("'fc1.bias'", ex.Message);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
