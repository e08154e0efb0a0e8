using System;
using System.Linq;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>ANG0012–ANG0021 and ANG0030: shapes that do not line up, misplaced layers, names, and the stride warning.</summary>
public sealed class ShapeDiagnosticTests
{
    private static string Source(string network, string layers) => $$"""
        using AlexNet.Gen;
        namespace Models;
        [{{network}}]
        {{layers}}
        public partial class Net { }
        """;

    /// <summary>The paper's layers over a given input; pool3 is the third MaxPool2d.</summary>
    private static string PaperLayers(string pool3) => $$"""
        [Conv2d(96, 11, Stride = 4)] [ReLU] [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)] [MaxPool2d(3, Stride = 2)]
        [Conv2d(256, 5, Padding = 2, Groups = 2)] [ReLU] [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)] [MaxPool2d(3, Stride = 2)]
        [Conv2d(384, 3, Padding = 1)] [ReLU]
        [Conv2d(384, 3, Padding = 1, Groups = 2)] [ReLU]
        [Conv2d(256, 3, Padding = 1, Groups = 2)] [ReLU]
        [{{pool3}}]
        [Flatten] [Dense(4096)] [ReLU] [Dense(4096)] [ReLU] [Dense(1000)]
        """;

    /// <summary>floor((n + 2p − k) / s) + 1, written out here so the test does not reuse the generator's arithmetic.</summary>
    private static int Out(int n, int k, int s, int p = 0) => (n + 2 * p - k) / s + 1;

    [Fact]
    public void WindowLargerThanItsInput()
    {
        // 51 → conv1 11/4 → 11 → pool1 → 5 → conv2 → 5 → pool2 → 2 → conv3..5 → 2: pool3's 3×3 window cannot fit.
        int h = Out(Out(Out(51, 11, 4), 3, 2), 3, 2);
        Assert.Equal(2, h);
        DeclarationDiagnosticTests.Expect("ANG0012", DiagnosticSeverity.Error,
            "pool3: 3×3 window with stride 2 needs at least 3×3 input but receives 256×2×2",
            Source("Network(3, 51, 51, Classes = 1000)", PaperLayers("{|ANG0012:MaxPool2d(3, Stride = 2)|}")));
    }

    [Fact]
    public void WindowLargerThanItsPaddedInputMentionsThePadding()
    {
        DeclarationDiagnosticTests.Expect("ANG0012", DiagnosticSeverity.Error,
            "conv1: 7×7 window with stride 1 needs at least 7×7 input but receives 3×4×4 (padded to 6×6)",
            Source("Network(3, 4, 4)", "[{|ANG0012:Conv2d(8, 7, Padding = 1)|}]"));
    }

    [Fact]
    public void WindowLargerOnOneAxisOnly()
    {
        DeclarationDiagnosticTests.Expect("ANG0012", DiagnosticSeverity.Error,
            "pool1: 1×5 window with stride 1×2 needs at least 1×5 input but receives 2×9×4",
            Source("Network(2, 9, 4)", "[{|ANG0012:MaxPool2d(1, KernelWidth = 5, StrideHeight = 1, StrideWidth = 2)|}]"));
    }

    [Fact]
    public void GroupsDoNotDivideInputChannels()
    {
        DeclarationDiagnosticTests.Expect("ANG0013", DiagnosticSeverity.Error,
            "conv1: Groups = 2 does not divide the 3 input channels from the input",
            Source("Network(3, 8, 8)", "[Conv2d(4, 3, {|ANG0013:Groups = 2|})]"));
    }

    [Fact]
    public void GroupsDoNotDivideOutputChannels()
    {
        DeclarationDiagnosticTests.Expect("ANG0013", DiagnosticSeverity.Error,
            "conv2: Groups = 4 does not divide the 6 output channels",
            Source("Network(3, 8, 8)", "[Conv2d(8, 3)] [Conv2d(6, 3, {|ANG0013:Groups = 4|})]"));
    }

    [Fact]
    public void InChannelsMismatchWithoutHint()
    {
        DeclarationDiagnosticTests.Expect("ANG0014", DiagnosticSeverity.Error,
            "conv1 declares 4 input channels but receives 3 from the input",
            Source("Network(3, 8, 8)", "[Conv2d(8, 3, {|ANG0014:InChannels = 4|})]"));
    }

    [Fact]
    public void InChannelsMatchingPerGroupDepthIsAccepted()
    {
        var run = GeneratorHarness.RunMarkup(Source("Network(4, 8, 8)", "[Conv2d(8, 3, Groups = 2, InChannels = 2)] [Conv2d(8, 3, InChannels = 8)]"));
        run.AssertDiagnosticsMatchMarkup();
        Assert.Single(run.Sources);
    }

    [Fact]
    public void InFeaturesMismatchAfterFlatten()
    {
        DeclarationDiagnosticTests.Expect("ANG0015", DiagnosticSeverity.Error,
            "fc1 declares 30 input features but receives 32 = 2×4×4 from the input",
            Source("Network(2, 4, 4)", "[Flatten] [Dense(10, {|ANG0015:InFeatures = 30|})]"));
    }

    [Fact]
    public void InFeaturesMismatchShowsTheExpressionAsWritten()
    {
        DeclarationDiagnosticTests.Expect("ANG0015", DiagnosticSeverity.Error,
            "fc2 declares 8 input features (2×2×2) but receives 10 from fc1",
            Source("Network(2, 4, 4)", "[Flatten] [Dense(10)] [ReLU] [Dense(5, {|ANG0015:InFeatures = 2 * 2 * 2|})]"));
    }

    [Fact]
    public void ClassesMismatchOnFeatures()
    {
        DeclarationDiagnosticTests.Expect("ANG0016", DiagnosticSeverity.Error,
            "Network 'Net' declares 10 classes but its last layer fc1 outputs 5",
            Source("Network(1, 4, 4, {|ANG0016:Classes = 10|})", "[Flatten] [Dense(5)]"));
    }

    [Fact]
    public void ClassesMismatchOnASpatialOutput()
    {
        DeclarationDiagnosticTests.Expect("ANG0016", DiagnosticSeverity.Error,
            "Network 'Net' declares 10 classes but its last layer relu1 outputs 32 = 8×2×2",
            Source("Network(3, 4, 4, {|ANG0016:Classes = 10|})", "[Conv2d(8, 3)] [ReLU]"));
    }

    [Theory]
    [InlineData("[Flatten] [{|ANG0017:Conv2d(8, 3)|}]", "conv1 needs a C×H×W input but receives 32 features from the input")]
    [InlineData("[Flatten] [Dense(7)] [{|ANG0017:MaxPool2d(2)|}]", "pool1 needs a C×H×W input but receives 7 features from fc1")]
    [InlineData("[Flatten] [Dense(7)] [ReLU] [{|ANG0017:LocalResponseNorm(3)|}]", "norm1 needs a C×H×W input but receives 7 features from fc1")]
    public void SpatialLayerAfterFlatten(string layers, string message)
    {
        DeclarationDiagnosticTests.Expect("ANG0017", DiagnosticSeverity.Error, message, Source("Network(2, 4, 4)", layers));
    }

    [Theory]
    [InlineData("[Conv2d(8, 3)] [ReLU] [{|ANG0018:Dense(10)|}]", "fc1 receives a 8×2×2 tensor from conv1; add [Flatten] before it")]
    [InlineData("[{|ANG0018:Softmax|}]", "softmax1 receives a 2×4×4 tensor from the input; add [Flatten] before it")]
    public void DenseWithoutFlatten(string layers, string message)
    {
        DeclarationDiagnosticTests.Expect("ANG0018", DiagnosticSeverity.Error, message, Source("Network(2, 4, 4)", layers));
    }

    [Fact]
    public void SoftmaxNotLast()
    {
        DeclarationDiagnosticTests.Expect("ANG0019", DiagnosticSeverity.Error,
            "softmax1 is followed by fc1; Softmax must be the last layer",
            Source("Network(2, 4, 4)", "[Flatten] [{|ANG0019:Softmax|}] [Dense(10)]"));
    }

    [Fact]
    public void DuplicateDeclaredName()
    {
        DeclarationDiagnosticTests.Expect("ANG0020", DiagnosticSeverity.Error,
            "Layer name 'a' is already used by layer 1 (Conv2d)",
            Source("Network(2, 4, 4)", """[Conv2d(4, 3, Name = "a")] [ReLU({|ANG0020:Name = "a"|})]"""));
    }

    [Fact]
    public void DuplicateNameIgnoresCase()
    {
        // Names become members (A → AForward), so names differing only in case would collide in spirit and in files.
        DeclarationDiagnosticTests.Expect("ANG0020", DiagnosticSeverity.Error,
            "Layer name 'Block' is already used by layer 1 (Conv2d)",
            Source("Network(2, 4, 4)", """[Conv2d(4, 3, Name = "block")] [ReLU({|ANG0020:Name = "Block"|})]"""));
    }

    [Fact]
    public void DeclaredNameCollidingWithADefaultName()
    {
        DeclarationDiagnosticTests.Expect("ANG0020", DiagnosticSeverity.Error,
            "Layer name 'conv2' is already used by layer 1 (Conv2d)",
            Source("Network(2, 8, 8)", """[Conv2d(4, 3, Name = "conv2")] [{|ANG0020:Conv2d(4, 3)|}]"""));
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("")]
    [InlineData("_x")]
    [InlineData("über")]
    [InlineData("has space")]
    public void InvalidName(string name)
    {
        DeclarationDiagnosticTests.Expect("ANG0021", DiagnosticSeverity.Error,
            $"Layer name '{name}' is not valid: use a letter followed by letters, digits or '_'",
            Source("Network(2, 4, 4)", $$"""[ReLU({|ANG0021:Name = "{{name}}"|})]"""));
    }

    [Fact]
    public void NameLongerThan64IsInvalid()
    {
        string name = "a" + new string('b', 64);
        DeclarationDiagnosticTests.Expect("ANG0021", DiagnosticSeverity.Error,
            $"Layer name '{name}' is not valid: use a letter followed by letters, digits or '_'",
            Source("Network(2, 4, 4)", $$"""[ReLU({|ANG0021:Name = "{{name}}"|})]"""));
    }

    [Fact]
    public void StrideThatDropsInputWarnsAndStillGenerates()
    {
        // 224 input, 11×11 window, stride 4, no padding (the paper's text): computed here independently.
        const int input = 224, kernel = 11, stride = 4;
        int output = (input - kernel) / stride + 1;                  // 54
        int dropped = input - ((output - 1) * stride + kernel);      // 224 − 223 = 1
        int reach = (output - 1) * stride + kernel;
        Assert.Equal(1, dropped);
        var run = GeneratorHarness.RunMarkup(Source("Network(3, 224, 224)", "[{|ANG0030:Conv2d(96, 11, Stride = 4)|}] [ReLU]"));
        run.AssertInputCompiles();
        run.AssertDiagnosticsMatchMarkup();
        var d = run.Single("ANG0030");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal($"conv1: 11×11 window with stride 4 over 3×224×224 ignores the last {dropped} row and {dropped} column; windows stop at {reach}×{reach}",
            GeneratorRun.Message(d));

        // A warning does not stop generation, and the generated code carries the 54×54 output.
        var source = run.Source("Models.Net.g.cs");
        Assert.Contains($"public static int OutHeight => {output};", source);
        Assert.Contains($"public const int OutputLength = {96 * output * output};", source);
        var errors = run.Output.GetDiagnostics().Where(x => x.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, run.Describe(errors));
    }

    [Fact]
    public void StrideWarningCountsRowsAndColumnsSeparately()
    {
        // H = 10: windows at 0, 3, 6 reach row 8, so 2 rows are lost; W = 9: they reach column 8, so 1 column is lost.
        int outH = (10 - 2) / 3 + 1, outW = (9 - 2) / 3 + 1;
        int reachH = (outH - 1) * 3 + 2, reachW = (outW - 1) * 3 + 2;
        Assert.Equal((2, 1), (10 - reachH, 9 - reachW));
        DeclarationDiagnosticTests.Expect("ANG0030", DiagnosticSeverity.Warning,
            $"pool1: 2×2 window with stride 3 over 1×10×9 ignores the last 2 rows and 1 column; windows stop at {reachH}×{reachW}",
            Source("Network(1, 10, 9)", "[{|ANG0030:MaxPool2d(2, Stride = 3)|}]"));
    }

    [Fact]
    public void PaddingAtTheEndThatNoWindowCoversDoesNotWarn()
    {
        // torchvision's conv1 at 224: padded 228, windows reach 227; the missed column is padding, not input.
        var run = GeneratorHarness.RunMarkup(Source("Network(3, 224, 224)", "[Conv2d(64, 11, Stride = 4, Padding = 2)]"));
        run.AssertDiagnosticsMatchMarkup();
        Assert.Contains("public static int OutHeight => 55;", run.Source("Models.Net.g.cs"));
    }

    [Fact]
    public void SamePaddingNeverWarns()
    {
        var run = GeneratorHarness.RunMarkup(Source("Network(3, 224, 224)", "[Conv2d(96, 11, Stride = 4, Padding = Padding.Same)]"));
        run.AssertDiagnosticsMatchMarkup();
        var source = run.Source("Models.Net.g.cs");
        // SAME: out = ceil(224 / 4) = 56; total padding (56 − 1)·4 + 11 − 224 = 7, split 3 before and 4 after.
        int outSize = (224 + 3) / 4, total = (outSize - 1) * 4 + 11 - 224;
        Assert.Contains($"public static int OutHeight => {outSize};", source);
        Assert.Contains($"public static int PadTop => {total / 2};", source);
        Assert.Contains($"public static int PadLeft => {total / 2};", source);
        Assert.Equal(56, outSize);
        Assert.Equal(7, total);
    }
}
