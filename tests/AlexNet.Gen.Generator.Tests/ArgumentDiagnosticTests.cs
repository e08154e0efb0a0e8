using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>ANG0010: invalid arguments, each located at the argument that is wrong.</summary>
public sealed class ArgumentDiagnosticTests
{
    private static string Network(string layers, string network = "Network(3, 16, 16)") => $$"""
        using AlexNet.Gen;
        namespace Models;
        [{{network}}]
        {{layers}}
        public partial class Net { }
        """;

    [Theory]
    [InlineData("[Conv2d(8, {|ANG0010:0|})]", "conv1: kernel size must be positive but is 0")]
    [InlineData("[Conv2d(8, {|ANG0010:int.MinValue|})]", "conv1: kernel size must be positive but is -2147483648")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:Stride = -1|})]", "conv1: stride must be positive but is -1")]
    [InlineData("[Conv2d({|ANG0010:0|}, 3)]", "conv1: output channels must be positive but is 0")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:Groups = 0|})]", "conv1: groups must be positive but is 0")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:Padding = -2|})]", "conv1: padding must be non-negative (or Padding.Same) but is -2")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:PaddingHeight = -1|})]", "conv1: padding height must be non-negative but is -1")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:KernelWidth = -3|})]", "conv1: kernel width must be positive but is -3")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:StrideHeight = 0|})]", "conv1: stride height must be positive but is 0")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:InChannels = 0|})]", "conv1: InChannels must be positive but is 0")]
    [InlineData("[Conv2d(8, 3, Padding = Padding.Same, {|ANG0010:PaddingHeight = 1|})]", "conv1: Padding.Same cannot be combined with PaddingHeight/PaddingWidth")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:WeightInit = Init.Normal|})]", "conv1: a normal initializer needs WeightStd > 0 but it is 0")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:WeightInit = (Init)42|})]", "conv1: unknown initializer 42")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:BiasInit = (Init)(-1)|})]", "conv1: unknown initializer -1")]
    [InlineData("[Conv2d(8, 3, {|ANG0010:BiasValue = float.NaN|})]", "conv1: BiasValue must be finite but is NaN")]
    [InlineData("[MaxPool2d(3, {|ANG0010:Padding = 2|})]", "pool1: padding 2×2 must be at most half of the 3×3 window")]
    [InlineData("[AvgPool2d(2, {|ANG0010:Stride = 0|})]", "pool1: stride must be positive but is 0")]
    [InlineData("[Dropout({|ANG0010:1.0f|})]", "dropout1: dropout probability must be in [0, 1) but is 1")]
    [InlineData("[Dropout({|ANG0010:float.NaN|})]", "dropout1: dropout probability must be in [0, 1) but is NaN")]
    [InlineData("[LocalResponseNorm({|ANG0010:0|})]", "norm1: LRN size must be positive but is 0")]
    [InlineData("[LocalResponseNorm(5, {|ANG0010:Beta = float.NaN|})]", "norm1: LRN beta must be non-negative and finite but is NaN")]
    [InlineData("[LocalResponseNorm(5, {|ANG0010:K = 0f|})]", "norm1: LRN k must be positive and finite but is 0")]
    [InlineData("[TfLocalResponseNorm({|ANG0010:-1|})]", "norm1: depth radius must be a non-negative integer but is -1")]
    [InlineData("[TfLocalResponseNorm(2, {|ANG0010:Alpha = float.PositiveInfinity|})]", "norm1: LRN alpha must be non-negative and finite but is Infinity")]
    [InlineData("[TfLocalResponseNorm(2, {|ANG0010:Bias = 0f|})]", "norm1: LRN bias must be positive and finite but is 0")]
    [InlineData("[ELU({|ANG0010:Alpha = -1f|})]", "elu1: ELU alpha must be non-negative and finite but is -1")]
    [InlineData("[ELU({|ANG0010:Alpha = float.NaN|})]", "elu1: ELU alpha must be non-negative and finite but is NaN")]
    [InlineData("[Flatten] [Dense({|ANG0010:0|})]", "fc1: output features must be positive but is 0")]
    [InlineData("[Flatten] [Dense(4, {|ANG0010:InFeatures = -5|})]", "fc1: InFeatures must be positive but is -5")]
    [InlineData("[Flatten] [Dense(4, {|ANG0010:WeightStd = -0.5f|}, WeightInit = Init.TruncatedNormal)]", "fc1: a normal initializer needs WeightStd > 0 but it is -0.5")]
    public void InvalidLayerArgument(string layers, string message)
    {
        DeclarationDiagnosticTests.Expect("ANG0010", DiagnosticSeverity.Error, message, Network(layers));
    }

    [Theory]
    [InlineData("{|ANG0010:Network(0, 4, 4)|}", "Net: the input 0×4×4 must have positive channels, height and width")]
    [InlineData("{|ANG0010:Network(3, -1, 4)|}", "Net: the input 3×-1×4 must have positive channels, height and width")]
    [InlineData("{|ANG0010:Network(3, 4, int.MinValue)|}", "Net: the input 3×4×-2147483648 must have positive channels, height and width")]
    [InlineData("Network(3, 4, 4, {|ANG0010:Classes = 0|})", "Net: Classes = 0 must be positive")]
    [InlineData("Network(3, 4, 4, {|ANG0010:Classes = -10|})", "Net: Classes = -10 must be positive")]
    public void InvalidNetworkArgument(string network, string message)
    {
        DeclarationDiagnosticTests.Expect("ANG0010", DiagnosticSeverity.Error, message, Network("[ReLU]", network));
    }

    [Fact]
    public void EveryLayersArgumentErrorsAreReported()
    {
        // Argument checks do not depend on shapes, so one build lists them all.
        var run = GeneratorHarness.RunMarkup(Network("""
            [Conv2d({|ANG0010:0|}, {|ANG0010:0|})]
            [ReLU]
            [Dropout({|ANG0010:2f|})]
            [Flatten]
            [Dense(10, {|ANG0010:WeightInit = (Init)10|})]
            """));
        run.AssertInputCompiles();
        run.AssertDiagnosticsMatchMarkup();
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void DropoutMessageShowsTheProbabilityAsWritten()
    {
        // -0.1f widened to double prints as -0.10000000149011612; the author wrote -0.1.
        DeclarationDiagnosticTests.Expect("ANG0010", DiagnosticSeverity.Error,
            "dropout1: dropout probability must be in [0, 1) but is -0.1",
            Network("[Dropout({|ANG0010:-0.1f|})]"));
    }

    [Fact]
    public void NonFiniteWeightStdIsReportedAtWeightStd()
    {
        // Reported once, at the WeightStd argument (it used to point at BiasValue, or the whole attribute).
        DeclarationDiagnosticTests.Expect("ANG0010", DiagnosticSeverity.Error,
            "conv1: WeightStd must be finite but is NaN",
            Network("[Conv2d(8, 3, {|ANG0010:WeightStd = float.NaN|})]"));
    }

    [Fact]
    public void ExplicitValidPaddingIsTheSameAsNone()
    {
        var run = GeneratorHarness.RunMarkup(Network("[Conv2d(8, 3, Padding = Padding.Valid)] [ReLU]"));
        run.AssertDiagnosticsMatchMarkup();
        Assert.Contains("public static int PadTop => 0;", run.Source("Models.Net.g.cs"));
        Assert.Contains("public static int OutHeight => 14;", run.Source("Models.Net.g.cs"));
    }
}
