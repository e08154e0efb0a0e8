using System.Linq;
using System.Text.RegularExpressions;
using AlexNet.Gen.Generator.Tests.Support;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>
/// ReLU fusion: a ReLU right after a Conv2d or Dense layer becomes that layer's epilogue (its config says FusedRelu, the
/// ReLU has no forward call, method or buffer, and its backward reads the producer's output); every other ReLU stays a
/// layer of its own.
/// </summary>
public sealed class FusionTests
{
    private const string Model = """
        using AlexNet.Gen;
        namespace Fusion;
        [Network(3, 12, 12)]
        [Conv2d(4, 3, Padding = 1)] [ReLU]
        [MaxPool2d(2)] [ReLU]
        [Conv2d(4, 3, Padding = 1)] [ELU]
        [Conv2d(4, 3, Padding = 1)] [ReLU] [ReLU]
        [Flatten]
        [Dense(10)] [ReLU]
        public partial class Fused { }
        """;

    private static string Generate()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(Model), runAnalyzer: false);
        run.AssertNoCrash();
        Assert.Empty(run.Diagnostics);
        run.AssertOutputClean();
        return run.Sources.Single().SourceText.ToString();
    }

    [Fact]
    public void ReluAfterConvolutionOrDenseIsFusedAndNoOtherIs()
    {
        string code = Generate();
        // Producers: conv1, conv3 and fc1 write max(0, ·); conv2 (followed by ELU) does not.
        Assert.Equal(new[] { "Conv1Config", "Conv3Config", "Fc1Config" }, ConfigsWithFusedRelu(code));
        // relu1, relu3 and relu5 are fused: no forward method or buffer; relu2 (after a pool) and relu4 (after a ReLU) keep theirs.
        foreach (string fused in new[] { "Relu1", "Relu3", "Relu5" })
        {
            Assert.DoesNotContain($"private void {fused}Forward(", code);
            Assert.DoesNotContain($"_{char.ToLowerInvariant(fused[0])}{fused[1..]}Output", code);
            Assert.Contains($"private void {fused}Backward(", code);
        }
        foreach (string kept in new[] { "Relu2", "Relu4" })
        {
            Assert.Contains($"private void {kept}Forward(", code);
            Assert.Contains($"{kept}Forward(_", code);
        }
        Assert.Contains("// relu1: fused into conv1, which writes max(0, ·)", code);
        // The fused ReLU's backward reads the producer's (post-ReLU) output; the next layer reads it too.
        Assert.Contains("Relu1Backward(global::System.ReadOnlySpan<float> dy, global::System.Span<float> dx, int n) => global::AlexNet.Gen.Kernels.Activations.ReluBackward(_conv1Output.AsSpan(0, n * 576), dy, dx);", code);
        Assert.Contains("Pool1ForwardTraining(_conv1Output.AsSpan(0, n * 576), _pool1Output.AsSpan(0, n * 144), n);", code);
        Assert.Contains("Pool1Forward(_inferenceA.AsSpan(0, n * 576), _inferenceB.AsSpan(0, n * 144), n);", code);
        // The last layer is a fused ReLU: the output is copied from fc1's buffer.
        Assert.Contains("_fc1Output.AsSpan(0, n * 10).CopyTo(output);", code);
    }

    [Fact]
    public void SummaryCountsNoBufferForFusedRelus()
    {
        string code = Generate();
        Assert.Matches(@"relu1 +ReLU +4×12×12 +fused into conv1\n", code);
        Assert.Matches(@"relu2 +ReLU +4×6×6\n", code);
        // Inference: conv1 576 (A), pool1 144 (B), relu2 (A), conv2 (B), elu1 (A), conv3 (B), relu4 (A), fc1 10 (B), so
        // A holds 576 and B 144 floats per sample. Training keeps the input and those outputs (not relu1/3/5's) and
        // pool1's argmax: (432 + 576 + 144 · 6 + 10 + 144) · 4 bytes.
        Assert.Contains($"Activations per sample: {576 + 144:N0} floats at inference; training keeps {(432 + 576 + 144 * 6 + 10 + 144) * 4 / 1024.0:0.0} KiB", code);
    }

    private static string[] ConfigsWithFusedRelu(string code) =>
        Regex.Matches(code, @"private readonly struct (\w+) : global::AlexNet\.Gen\.Kernels\.I(?:Conv2d|Dense)Config\s*\{[^}]*FusedRelu => true;")
            .Select(m => m.Groups[1].Value).ToArray();
}
