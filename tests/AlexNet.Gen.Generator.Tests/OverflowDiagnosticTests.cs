using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>ANG0011: sizes that do not fit. Huge inputs give a diagnostic, never a crash or wrapped arithmetic.</summary>
public sealed class OverflowDiagnosticTests
{
    /// <summary>The largest tensor the generator accepts (int.MaxValue / 2), stated independently of the generator.</summary>
    private const long Limit = 1073741823;

    private static string Source(string network, string layers) => $$"""
        using AlexNet.Gen;
        [{{network}}]
        {{layers}}
        public partial class Net { }
        """;

    [Fact]
    public void HugeInput()
    {
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"Net: the input 3×2147483647×2147483647 exceeds the largest supported tensor ({Limit} elements)",
            Source("{|ANG0011:Network(3, int.MaxValue, int.MaxValue)|}", "[ReLU]"));
    }

    [Fact]
    public void HugeDenseAfterBigFlatten()
    {
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"fc1: the weight tensor exceeds the largest supported tensor ({Limit} elements)",
            Source("Network(3, 224, 224)", "[Flatten] [{|ANG0011:Dense(int.MaxValue)|}]"));
    }

    [Fact]
    public void ParameterTotal()
    {
        // 600,000,000 weights fit; with as many biases the total (1.2e9) does not.
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"fc1: the total parameter count exceeds the largest supported tensor ({Limit} elements)",
            Source("Network(1, 1, 1)", "[Flatten] [{|ANG0011:Dense(600000000)|}]"));
    }

    [Fact]
    public void ParameterTotalOverSeveralLayers()
    {
        // Each 20000×20000 weight (4e8) fits and two sum to 8e8; the third takes the total to 1.2e9.
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"fc3: the total parameter count exceeds the largest supported tensor ({Limit} elements)",
            Source("Network(20000, 1, 1)", "[Flatten] [Dense(20000, Bias = false)] [Dense(20000, Bias = false)] [{|ANG0011:Dense(20000, Bias = false)|}]"));
    }

    [Fact]
    public void ConvolutionOutput()
    {
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"conv1: the output tensor exceeds the largest supported tensor ({Limit} elements)",
            Source("Network(1, 30000, 30000)", "[{|ANG0011:Conv2d(64, 1)|}]"));
    }

    [Fact]
    public void ConvolutionWeight()
    {
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"conv1: the weight tensor exceeds the largest supported tensor ({Limit} elements)",
            Source("Network(3, 8, 8)", "[{|ANG0011:Conv2d(int.MaxValue, 3)|}]"));
    }

    [Fact]
    public void HugeConvolutionPaddingIsASizeOverflowNotAWindowThatDoesNotFit()
    {
        // 1×4×4 padded by int.MaxValue on each side: the window fits easily; the output (about 2^32 per side)
        // is what cannot be represented.
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"conv1: the output tensor exceeds the largest supported tensor ({Limit} elements)",
            Source("Network(1, 4, 4)", "[{|ANG0011:Conv2d(1, 3, Padding = int.MaxValue)|}]"));
    }

    [Fact]
    public void HugePoolPaddingIsRejectedAsMoreThanHalfTheWindow()
    {
        // 2^30 · 2 wraps to int.MinValue in 32-bit arithmetic; the half-window rule must still reject it.
        var d = DeclarationDiagnosticTests.Expect("ANG0010", DiagnosticSeverity.Error,
            "pool1: padding 1073741824×1073741824 must be at most half of the 3×3 window",
            Source("Network(1, 4, 4)", "[MaxPool2d(3, Stride = 1000, {|ANG0010:Padding = 1 << 30|})] [Flatten]"));
        Assert.Equal("ANG0010", d.Id);
    }

    [Fact]
    public void PoolOutputBeyondTheLimit()
    {
        // A padded pool can grow its input by one row and column: 32767² fits the limit, 32768² = 2^30 does not.
        Assert.True(32767L * 32767 <= Limit && 32768L * 32768 > Limit);
        DeclarationDiagnosticTests.Expect("ANG0011", DiagnosticSeverity.Error,
            $"pool1: the output tensor exceeds the largest supported tensor ({Limit} elements)",
            Source("Network(1, 32767, 32767)", "[{|ANG0011:AvgPool2d(2, Stride = 1, Padding = 1)|}]"));
    }

    [Fact]
    public void LargestAcceptedInputGeneratesCode()
    {
        // 1×32767×32767 = 1,073,676,289 ≤ limit: accepted, and the constants in the generated code are exact.
        var run = GeneratorHarness.RunMarkup(Source("Network(1, 32767, 32767)", "[ReLU]"));
        run.AssertDiagnosticsMatchMarkup();
        Assert.Contains($"public const int InputLength = {32767L * 32767};", run.Source("Net.g.cs"));
        run.AssertOutputClean();
    }
}
