using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Parity.Support;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace AlexNet.Gen.Parity.Models;

/// <summary>
/// Weights written by PyTorch tooling load into our models. TorchSharp.PyBridge 1.4.4 writes two formats from a
/// module's state_dict: <c>save_safetensors</c> (safetensors, which <see cref="Checkpoint.Load"/> reads) and
/// <c>save_py</c> (torch.save's zip archive of a pickle, which it does not).
/// </summary>
public sealed class PyTorchWeightsTests : IDisposable
{
    private static readonly string[] TorchvisionParameterNames =
    {
        "features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias", "features.6.weight", "features.6.bias",
        "features.8.weight", "features.8.bias", "features.10.weight", "features.10.bias",
        "classifier.1.weight", "classifier.1.bias", "classifier.4.weight", "classifier.4.bias", "classifier.6.weight", "classifier.6.bias",
    };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "alexnet-gen-parity-" + Guid.NewGuid().ToString("N"));

    public PyTorchWeightsTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TorchvisionStateDict_SavedAsSafetensorsByPyBridge_LoadsThroughTheNameMap_AndGivesTheSameOutputs()
    {
        using var threads = new TorchThreads(2);
        torch.manual_seed(2012);
        // PyTorch's own initialization (kaiming-uniform), float32 as torchvision's checkpoints.
        using var torchvision = new TorchvisionAlexNet(classes: 1000, dropout: 0.5, ScalarType.Float32);
        torchvision.eval();
        string path = Path.Combine(_folder, "alexnet.safetensors");
        torchvision.save_safetensors(path);

        // What PyBridge wrote: torchvision's state_dict names, every tensor F32.
        var header = ReadSafetensorsHeader(path);
        Assert.Equal(TorchvisionParameterNames.OrderBy(n => n, StringComparer.Ordinal), header.Keys.OrderBy(n => n, StringComparer.Ordinal));
        Assert.All(header, entry => Assert.Equal("F32", entry.Value));

        var ours = new TorchvisionAlexNetParity(seed: 5);
        var ourToTorch = TorchvisionNames.Invert(TorchvisionNames.AlexNet);
        var theirs = ModelParity.ByOurName(torchvision, ours.Parameters, ourToTorch);
        Assert.False(SameValues(ours.Parameters["conv1.weight"].Values, theirs["conv1.weight"]), "the seeded model already had PyTorch's values");

        var contents = Checkpoint.Load(path, ours.Parameters, new CheckpointLoadOptions { NameMap = TorchvisionNames.AlexNet });

        Assert.Equal(ours.Parameters.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal), contents.LoadedParameters.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Empty(contents.IgnoredTensors);
        Assert.Empty(contents.MissingParameters);
        foreach (var p in ours.Parameters)
            Assert.True(SameValues(p.Values, theirs[p.Name]), $"{p.Name} differs from {ourToTorch[p.Name]} after loading");

        // The loaded model computes what the PyTorch model computes (reference in float64 from the same weights).
        torchvision.to(ScalarType.Float64);
        var parity = new ModelParity(ours, torchvision, ourToTorch);
        parity.AssertForward(TestData.Uniform(77, 2 * 3 * 224 * 224), new long[] { 2, 3, 224, 224 });
    }

    [Fact]
    public void PyBridgeSavePy_WritesTorchSaveZipArchive_WhichCheckpointLoadRejectsNamingTheFile()
    {
        using var module = nn.Sequential(
            ("conv1", nn.Conv2d(3, 8, 4)),
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(8, 7)));
        string path = Path.Combine(_folder, "model.bin");
        module.save_py(path);

        // torch.save's format: a zip archive holding the pickled state_dict (data.pkl) and one entry per tensor storage.
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 4 && bytes[0] == (byte)'P' && bytes[1] == (byte)'K' && bytes[2] == 3 && bytes[3] == 4, "not a zip file");
        using (var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            var pickle = Assert.Single(names, n => n.EndsWith("/data.pkl", StringComparison.Ordinal));
            Assert.Single(names, n => n.EndsWith("/version", StringComparison.Ordinal));
            Assert.Equal(4, names.Count(n => n.Contains("/data/", StringComparison.Ordinal)));
            using var reader = new StreamReader(zip.GetEntry(pickle)!.Open(), Encoding.Latin1);
            string text = reader.ReadToEnd();
            foreach (string name in new[] { "conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias" })
                Assert.Contains(name, text);
        }

        var ours = new MixedLayersNet(seed: 3);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, ours.Parameters));
        Assert.StartsWith(path, error.Message);
    }

    /// <summary>Tensor name → dtype from a safetensors header (8-byte little-endian length, then JSON).</summary>
    private static Dictionary<string, string> ReadSafetensorsHeader(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        file.ReadExactly(prefix);
        var json = new byte[checked((int)BinaryPrimitives.ReadUInt64LittleEndian(prefix))];
        file.ReadExactly(json);
        using var document = JsonDocument.Parse(json);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__") continue;
            result.Add(property.Name, property.Value.GetProperty("dtype").GetString()!);
        }
        return result;
    }

    /// <summary>Bit-for-bit the same float32 values (our span against a float32 torch tensor).</summary>
    private static bool SameValues(ReadOnlySpan<float> ours, Tensor theirs)
    {
        using var scope = torch.NewDisposeScope();
        var flat = theirs.detach().flatten();
        if (flat.dtype != ScalarType.Float32 || flat.shape[0] != ours.Length) return false;
        return ModelParity.Float32(ours).eq(flat).all().item<bool>();
    }
}
