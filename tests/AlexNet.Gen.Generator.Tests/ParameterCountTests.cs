using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>Parameter counts of well-known AlexNets, read from the generated constant, and clean generated code.</summary>
public sealed class ParameterCountTests
{
    [Theory]
    [InlineData(nameof(SampleModels.PaperAlexNet), "PaperAlexNetSample.PaperAlexNet", 60_965_224L)]
    [InlineData(nameof(SampleModels.SingleTowerAlexNet), "Variants.SingleTowerAlexNet", 62_378_344L)]
    [InlineData(nameof(SampleModels.TorchVisionAlexNet), "Variants.TorchVisionAlexNet", 61_100_840L)]
    public void ParameterCountConstant(string model, string typeName, long expected)
    {
        string source = (string)typeof(SampleModels).GetField(model, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(source), runAnalyzer: false);
        run.AssertNoCrash();
        Assert.Empty(run.Diagnostics);
        run.AssertOutputClean();

        // From the semantic model: the const as the compiler sees it.
        var type = run.Output.GetTypeByMetadataName(typeName)!;
        Assert.Equal(expected, SeedNotebookTests.Const(type, "ParameterCount"));
        Assert.Equal(1000, SeedNotebookTests.Const(type, "OutputLength"));

        // From the emitted assembly: the same const in metadata.
        using var stream = new MemoryStream();
        var emit = run.Output.Emit(stream);
        Assert.True(emit.Success, run.Describe(emit.Diagnostics));
        var context = new AssemblyLoadContext("gentests-" + model, isCollectible: true);
        try
        {
            stream.Position = 0;
            var assembly = context.LoadFromStream(stream);
            var field = assembly.GetType(typeName, throwOnError: true)!.GetField("ParameterCount", BindingFlags.Public | BindingFlags.Static)!;
            Assert.True(field.IsLiteral);
            Assert.Equal(expected, (long)field.GetRawConstantValue()!);
            Assert.True(typeof(INetwork).IsAssignableFrom(assembly.GetType(typeName)), "the generated class implements INetwork from the loaded runtime");
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void PaperCountsPerLayerMatchTheFormula()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(SampleModels.PaperAlexNet), runAnalyzer: false);
        var type = run.Output.GetTypeByMetadataName("PaperAlexNetSample.PaperAlexNet")!;
        // out·(in/groups)·k² (+ out) per conv; out·in (+ out) per dense: 227 → 55 → 27 → 13 → 6, flatten 256·6·6.
        (string Name, long Weight, long Bias)[] layers =
        {
            ("Conv1", 96L * 3 * 11 * 11, 96), ("Conv2", 256L * 48 * 5 * 5, 256), ("Conv3", 384L * 256 * 3 * 3, 384),
            ("Conv4", 384L * 192 * 3 * 3, 384), ("Conv5", 256L * 192 * 3 * 3, 256),
            ("Fc1", 4096L * 256 * 6 * 6, 4096), ("Fc2", 4096L * 4096, 4096), ("Fc3", 1000L * 4096, 1000),
        };
        foreach (var (name, weight, bias) in layers)
        {
            Assert.Equal(weight, SeedNotebookTests.Const(type, name + "WeightLength"));
            Assert.Equal(bias, SeedNotebookTests.Const(type, name + "BiasLength"));
        }
        Assert.Equal(60_965_224L, layers.Sum(l => l.Weight + l.Bias));
        // Offsets are the running sum, in layer order, weight before bias.
        long offset = 0;
        foreach (var (name, weight, bias) in layers)
        {
            Assert.Equal(offset, SeedNotebookTests.Const(type, name + "WeightOffset"));
            Assert.Equal(offset + weight, SeedNotebookTests.Const(type, name + "BiasOffset"));
            offset += weight + bias;
        }
    }

    [Theory]
    [InlineData(1, 72)]
    [InlineData(2, 72)]
    [InlineData(4, 72)]
    public void ConvolutionFanOutIsPyTorchs(int groups, int fanOut)
    {
        // torch.nn.init._calculate_fan_in_and_fan_out on a [out, in/groups, kh, kw] weight: fan_in = (in/groups)·kh·kw,
        // fan_out = weight.size(0)·kh·kw = out·kh·kw, whatever the groups. Initializers.Fill says it takes them "as
        // PyTorch computes them"; Glorot initializers depend on fan_out.
        int fanIn = 4 / groups * 3 * 3;
        Assert.Equal(8 * 3 * 3, fanOut);
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(
            $"using AlexNet.Gen; [Network(4, 5, 5)] [Conv2d(8, 3, Groups = {groups}, WeightInit = Init.GlorotUniform)] public partial class Net {{ }}"),
            runAnalyzer: false);
        Assert.Contains($"Initializers.Fill(Conv1Weight, (global::AlexNet.Gen.Init)3, {fanIn}, {fanOut}, ", run.Source("Net.g.cs"));
    }
}
