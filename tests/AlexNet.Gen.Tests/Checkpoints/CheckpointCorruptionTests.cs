using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using AlexNet.Gen.Checkpoints;
using AlexNet.Gen.Tests.Data;

namespace AlexNet.Gen.Tests.Checkpoints;

/// <summary>Each damage or mismatch is reported by file, tensor and problem, and never changes the model.</summary>
public sealed class CheckpointCorruptionTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly ParameterCollection _model = TestModels.Create(TestModels.Small, seed: 20);
    private readonly int[] _before;

    public CheckpointCorruptionTests() => _before = TestModels.Bits(_model.Values);

    public void Dispose() => _dir.Dispose();

    /// <summary>A good checkpoint of another instance of the same architecture.</summary>
    private byte[] GoodFile()
    {
        string path = _dir.File("good.safetensors");
        Checkpoint.Save(path, TestModels.Create(TestModels.Small, seed: 21));
        return File.ReadAllBytes(path);
    }

    /// <summary>Loads <paramref name="bytes"/>, expects failure, checks the message and that the model kept its values.</summary>
    private InvalidDataException Fails(byte[] bytes, string expected, string? tensor = null, CheckpointLoadOptions? options = null)
    {
        string path = _dir.Write("bad.safetensors", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, _model, options));
        Assert.StartsWith(path + ": ", ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.Equal(tensor, CheckpointError.TensorOf(ex));
        Assert.Equal(_before, TestModels.Bits(_model.Values));
        return ex;
    }

    private static string Tensor(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    /// <summary>The Small model's four tensors with the given overrides, laid out by hand.</summary>
    private static byte[] Hand(string? conv1Weight = null, string? conv1Bias = null, string? fc1Weight = null, string? fc1Bias = null, string extra = "", int bufferLength = 368)
    {
        string header = "{" + string.Join(",",
            conv1Weight ?? Tensor("conv1.weight", "F32", "[2,3,3,3]", 0, 216),
            conv1Bias ?? Tensor("conv1.bias", "F32", "[2]", 216, 224),
            fc1Weight ?? Tensor("fc1.weight", "F32", "[4,8]", 224, 352),
            fc1Bias ?? Tensor("fc1.bias", "F32", "[4]", 352, 368)) + extra + "}";
        return MiniSafetensors.Raw(header, new byte[bufferLength]);
    }

    [Fact]
    public void HandBuiltFileLoads()
    {
        // Guards the other tests: their files differ from this valid one only in the damage under test.
        string path = _dir.Write("hand.safetensors", Hand(bufferLength: 368));
        Checkpoint.Load(path, _model);
        Assert.All(_model.Values, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TruncatedDataIsReported()
    {
        byte[] good = GoodFile();
        Fails(good[..^10], "tensor 'fc1.bias' has data_offsets [352, 368] outside the 358-byte data buffer (the file is truncated or damaged)", "fc1.bias");
    }

    [Fact]
    public void FileShorterThanTheLengthPrefixIsReported() =>
        Fails(GoodFile()[..5], "the file has 5 bytes; a safetensors file starts with an 8-byte header length");

    [Fact]
    public void FileCutInsideTheHeaderIsReported() =>
        Fails(GoodFile()[..40], "runs past the end of the file (40 bytes");

    [Fact]
    public void HugeHeaderLengthIsReported()
    {
        byte[] bytes = GoodFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 60);
        Fails(bytes, "header length 1152921504606846976 exceeds the 100000000-byte limit");
    }

    [Fact]
    public void TinyHeaderLengthIsReported()
    {
        byte[] bytes = GoodFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1);
        Fails(bytes, "header length 1 is too small");
    }

    [Fact]
    public void FlippedByteInTheHeaderJsonIsReported()
    {
        byte[] bytes = GoodFile();
        int quote = Array.IndexOf(bytes, (byte)'"', 8);
        bytes[quote] ^= 0x01; // '"' becomes '#'
        Fails(bytes, "the header is not valid JSON");
    }

    [Fact]
    public void InvalidUtf8InTheHeaderIsReported()
    {
        byte[] bytes = GoodFile();
        int at = Array.IndexOf(bytes, (byte)'c', 8); // inside "conv1.weight"
        bytes[at] = 0xFF;
        Fails(bytes, "the header is not valid UTF-8");
    }

    [Fact]
    public void HeaderThatIsNotAnObjectIsReported() =>
        Fails(MiniSafetensors.Raw("[1, 2]", Array.Empty<byte>()), "the header is a JSON Array, not an object");

    [Fact]
    public void NegativeOffsetIsReported() =>
        Fails(Hand(conv1Bias: Tensor("conv1.bias", "F32", "[2]", -8, 0)), "tensor 'conv1.bias' has data_offsets begin -8; offsets must be non-negative integers", "conv1.bias");

    [Fact]
    public void OffsetBeyondAnyFileIsReported() =>
        Fails(Hand(conv1Bias: "\"conv1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[216,18446744073709551615]}"),
            "tensor 'conv1.bias' has data_offsets end 18446744073709551615, beyond any file", "conv1.bias");

    [Fact]
    public void BeginAfterEndIsReported() =>
        Fails(Hand(conv1Bias: Tensor("conv1.bias", "F32", "[2]", 224, 216)), "tensor 'conv1.bias' has data_offsets [224, 216]: begin is after end", "conv1.bias");

    [Fact]
    public void OutOfRangeOffsetIsReported() =>
        Fails(Hand(fc1Bias: Tensor("fc1.bias", "F32", "[4]", 352, 368), bufferLength: 360),
            "tensor 'fc1.bias' has data_offsets [352, 368] outside the 360-byte data buffer", "fc1.bias");

    [Fact]
    public void OverlappingTensorsAreReported() =>
        Fails(Hand(fc1Weight: Tensor("fc1.weight", "F32", "[4,8]", 200, 328), fc1Bias: Tensor("fc1.bias", "F32", "[4]", 328, 344), bufferLength: 344),
            "overlap in the data buffer", "fc1.weight");

    [Fact]
    public void HoleInTheBufferIsReported() =>
        Fails(Hand(fc1Bias: Tensor("fc1.bias", "F32", "[4]", 356, 372), bufferLength: 372),
            "bytes [352, 356) of the data buffer belong to no tensor (before 'fc1.bias')", "fc1.bias");

    [Fact]
    public void BytesAfterTheLastTensorAreReported() =>
        Fails(Hand(bufferLength: 372), "the data buffer has 4 bytes after the last tensor ends at 368");

    [Fact]
    public void SizeThatDisagreesWithTheShapeIsReported() =>
        Fails(Hand(conv1Bias: Tensor("conv1.bias", "F32", "[3]", 216, 224)),
            "tensor 'conv1.bias' has shape [3] of F32 (3 elements, 12 bytes) but data_offsets [216, 224] span 8 bytes", "conv1.bias");

    [Fact]
    public void WrongDtypeIsReported()
    {
        // An F16 tensor of the right shape: 2 bytes per element, consistent offsets.
        byte[] bytes = Hand(conv1Bias: Tensor("conv1.bias", "F16", "[2]", 216, 220), fc1Weight: Tensor("fc1.weight", "F32", "[4,8]", 220, 348),
            fc1Bias: Tensor("fc1.bias", "F32", "[4]", 348, 364), bufferLength: 364);
        Fails(bytes, "tensor 'conv1.bias' has dtype F16; only F32 is supported", "conv1.bias");

        string path = _dir.Write("f16.safetensors", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains("tensor 'conv1.bias' has dtype F16; only F32 is supported", ex.Message);
    }

    [Fact]
    public void UnknownDtypeIsReported() =>
        Fails(Hand(conv1Bias: Tensor("conv1.bias", "F33", "[2]", 216, 224)), "tensor 'conv1.bias' has unknown dtype 'F33'", "conv1.bias");

    [Fact]
    public void WrongShapeIsReported() =>
        Fails(Hand(fc1Weight: Tensor("fc1.weight", "F32", "[8,4]", 224, 352)),
            "tensor 'fc1.weight' has shape [8, 4] but the model's is [4, 8]", "fc1.weight");

    [Fact]
    public void MissingTensorIsReported()
    {
        string header = "{" + string.Join(",", Tensor("conv1.weight", "F32", "[2,3,3,3]", 0, 216), Tensor("conv1.bias", "F32", "[2]", 216, 224),
            Tensor("fc1.weight", "F32", "[4,8]", 224, 352)) + "}";
        Fails(MiniSafetensors.Raw(header, new byte[352]), "the checkpoint lacks 1 model parameter(s): fc1.bias");
    }

    [Fact]
    public void UnexpectedTensorIsReported() =>
        Fails(Hand(extra: "," + Tensor("conv9.weight", "F32", "[1]", 368, 372), bufferLength: 372),
            "1 tensor(s) are not parameters of the model: conv9.weight (the model has conv1.weight, conv1.bias, fc1.weight, fc1.bias", "conv9.weight");

    [Fact]
    public void DuplicateTensorIsReported() =>
        Fails(Hand(extra: "," + Tensor("conv1.bias", "F32", "[2]", 368, 376), bufferLength: 376), "'conv1.bias' appears twice in the header", "conv1.bias");

    [Fact]
    public void UnknownFieldIsReported() =>
        Fails(Hand(conv1Bias: "\"conv1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[216,224],\"stride\":[1]}"),
            "tensor 'conv1.bias' has an unknown field 'stride'", "conv1.bias");

    [Fact]
    public void NonStringMetadataIsReported() =>
        Fails(Hand(extra: ",\"__metadata__\":{\"epoch\":3}", bufferLength: 368), "__metadata__ entry 'epoch' is a JSON Number; metadata values must be strings");

    [Fact]
    public void AnotherModelsCheckpointIsReported()
    {
        string other = _dir.File("other.safetensors");
        Checkpoint.Save(other, TestModels.Create(TestModels.TinyAlexNet, seed: 22));
        Fails(File.ReadAllBytes(other), "tensor 'conv1.weight' has shape [4, 3, 3, 3] but the model's is [2, 3, 3, 3]", "conv1.weight");

        // Same shapes for the shared names, but layers this model does not have.
        var bigger = TestModels.Create(new[] { TestModels.Small[0], TestModels.Small[1], TestModels.Small[2], TestModels.Small[3], ("fc2.weight", new[] { 3, 4 }) }, seed: 23);
        Checkpoint.Save(other, bigger);
        Fails(File.ReadAllBytes(other), "1 tensor(s) are not parameters of the model: fc2.weight", "fc2.weight");
    }

    [Fact]
    public void TwoFileNamesMappingToOneParameterAreReported()
    {
        var map = new System.Collections.Generic.Dictionary<string, string> { ["old.bias"] = "conv1.bias" };
        Fails(Hand(extra: "," + Tensor("old.bias", "F32", "[2]", 368, 376), bufferLength: 376),
            "tensors 'conv1.bias' and 'old.bias' both map to model parameter 'conv1.bias'", "old.bias", new CheckpointLoadOptions { NameMap = map });
    }

    [Fact]
    public void ReadValidatesWithoutAModel()
    {
        string path = _dir.Write("hole.safetensors", Hand(bufferLength: 380));
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains("hole.safetensors: the data buffer has 12 bytes after the last tensor", ex.Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Read(_dir.File("absent.safetensors")));
    }

    [Fact]
    public void EmptyCheckpointReadsAsNoTensors()
    {
        string path = _dir.Write("empty.safetensors", MiniSafetensors.Raw("{}", Array.Empty<byte>()));
        var contents = Checkpoint.Read(path);
        Assert.Empty(contents.Tensors);
        Assert.Empty(contents.Metadata);
        Fails(File.ReadAllBytes(path), "the checkpoint lacks 4 model parameter(s): conv1.weight, conv1.bias, fc1.weight, fc1.bias");
        Assert.Equal("{}", Encoding.UTF8.GetString(File.ReadAllBytes(path), 8, 2));
    }
}
