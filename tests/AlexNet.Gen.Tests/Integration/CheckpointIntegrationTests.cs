using System;
using System.IO;
using AlexNet.Gen.Checkpoints;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>Issue #5: generated models round-trip through safetensors, and a checkpoint of another model is refused.</summary>
public class CheckpointIntegrationTests
{
    private const int Batch = 8;

    [Fact]
    public void SaveThenLoadIntoAModelWithAnotherSeed_GivesIdenticalForwardOutputs()
    {
        using var folder = new TempFolder();
        string path = folder.File("bars.safetensors");
        var (images, _) = OrientedBars.Generate(Batch, seed: 51);
        var source = new BarsNet(seed: 21);
        var target = new BarsNet(seed: 22);
        var expected = new float[Batch * BarsNet.OutputLength];
        var actual = new float[expected.Length];
        source.Forward(images, expected, Batch);
        target.Forward(images, actual, Batch);
        Assert.True(IntegrationUtil.FirstDifference(expected, actual) >= 0, "seeds 21 and 22 gave the same outputs before loading");

        Checkpoint.Save(path, source.Parameters);
        var contents = Checkpoint.Load(path, target.Parameters);
        target.Forward(images, actual, Batch);

        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" },
            contents.LoadedParameters);
        IntegrationUtil.AssertBitwiseEqual(source.Parameters.Values, target.Parameters.Values, source.Parameters, "loaded parameters");
        IntegrationUtil.AssertBitwiseEqual(expected, actual, null, "forward output after loading");
    }

    public static TheoryData<string, string, string, bool> Mismatches => new()
    {
        // file's model, target model, tensor the error must name, whether Data["Tensor"] names it
        { nameof(WideBarsNet), nameof(BarsNet), "conv1.weight", true },
        { nameof(BarsNetWithExtraHead), nameof(BarsNet), "fc3.weight", true },
        { nameof(BarsNet), nameof(BarsNetWithExtraHead), "fc3.weight", false },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void LoadingAnotherModelsCheckpoint_ThrowsNamingATensor_AndLeavesTheModelUnchanged(string fileModel, string targetModel, string tensor, bool inData)
    {
        using var folder = new TempFolder();
        string path = folder.File(fileModel + ".safetensors");
        Checkpoint.Save(path, Create(fileModel, seed: 61).Parameters);
        var target = Create(targetModel, seed: 62);
        float[] before = (float[])target.Parameters.Values.Clone();

        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, target.Parameters));

        Assert.Contains(tensor, ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        if (inData) Assert.Equal(tensor, CheckpointError.TensorOf(ex));
        IntegrationUtil.AssertBitwiseEqual(before, target.Parameters.Values, target.Parameters, "parameters after a failed load");
    }

    private static INetwork Create(string name, int seed) => name switch
    {
        nameof(BarsNet) => new BarsNet(seed),
        nameof(WideBarsNet) => new WideBarsNet(seed),
        nameof(BarsNetWithExtraHead) => new BarsNetWithExtraHead(seed),
        _ => throw new ArgumentException($"Unknown model {name}.", nameof(name)),
    };
}
