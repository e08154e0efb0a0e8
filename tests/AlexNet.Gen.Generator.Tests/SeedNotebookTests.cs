using System.Globalization;
using System.Linq;
using AlexNet.Gen.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator.Tests;

/// <summary>
/// The seed notebook's TensorFlow AlexNet transcribed into attributes, mistakes included. Shape propagation stops
/// at the first shape error, so each mistake is shown by one build in which the earlier mistakes are fixed.
/// </summary>
public sealed class SeedNotebookTests
{
    // conv1: SAME, stride 4 (weights [11, 11, 3, 96]); norm/pool after conv1 and conv2; conv2 weights [5, 5, 48, 256]
    // (48 is the paper's per-GPU depth, but the notebook has one tower); conv4/conv5 weights [3, 3, 192, ·];
    // fc1 input a·b·c = 8·8·64 "just an example"; a third 4096-wide layer fed to a "1000-way" softmax.
    private const string Template = """
        using AlexNet.Gen;
        namespace Seed;
        [Network(3, 224, 224, $CLASSES$)]
        [Conv2d(96, 11, Stride = 4, Padding = Padding.Same, WeightInit = Init.TruncatedNormal, WeightStd = 5e-2f, BiasValue = 0f)]
        [ReLU]
        [TfLocalResponseNorm(4, Bias = 1f, Alpha = 0.001f / 9, Beta = 0.75f)]
        [{|ANG0030:MaxPool2d(3, Stride = 2)|}]
        [Conv2d(256, 5, Padding = Padding.Same, $CONV2$, WeightInit = Init.TruncatedNormal, WeightStd = 5e-2f, BiasValue = 0.1f)]
        [ReLU]
        [TfLocalResponseNorm(4, Bias = 1f, Alpha = 0.001f / 9, Beta = 0.75f)]
        [MaxPool2d(3, Stride = 2)]
        [Conv2d(384, 3, Padding = Padding.Same, InChannels = 256, WeightInit = Init.TruncatedNormal, WeightStd = 5e-2f, BiasValue = 0f)]
        [ReLU]
        [Conv2d(384, 3, Padding = Padding.Same, $CONV4$, WeightInit = Init.TruncatedNormal, WeightStd = 5e-2f, BiasValue = 0f)]
        [ReLU]
        [Conv2d(256, 3, Padding = Padding.Same, $CONV5$, WeightInit = Init.TruncatedNormal, WeightStd = 5e-2f, BiasValue = 0f)]
        [ReLU]
        [Flatten]
        [Dense(4096, $FC1$, WeightInit = Init.GlorotTruncatedNormal)] [ReLU] [Dropout(0.5f)]
        [Dense(4096, InFeatures = 4096, WeightInit = Init.GlorotTruncatedNormal)] [ReLU] [Dropout(0.5f)]
        [$FC3$] [ReLU]
        [Softmax]
        public partial class SeedAlexNet { }
        """;

    private const string Conv2Bug = "{|ANG0014:InChannels = 48|}", Conv2Fix = "InChannels = 48, Groups = 2";
    private const string Conv4Bug = "{|ANG0014:InChannels = 192|}", Conv4Fix = "InChannels = 192, Groups = 2";
    private const string Conv5Bug = "{|ANG0014:InChannels = 192|}", Conv5Fix = "InChannels = 192, Groups = 2";
    private const string Fc1Bug = "{|ANG0015:InFeatures = 8 * 8 * 64|}", Fc1Fix = "InFeatures = 256 * 13 * 13";
    private const string Fc3Bug = "Dense(4096, WeightInit = Init.GlorotTruncatedNormal)", Fc3Fix = "Dense(1000, WeightInit = Init.GlorotTruncatedNormal)";
    private const string ClassesBug = "{|ANG0016:Classes = 1000|}", ClassesFine = "Classes = 1000";

    private static string Seed(string conv2, string conv4, string conv5, string fc1, string fc3, string classes) => Template
        .Replace("$CONV2$", conv2).Replace("$CONV4$", conv4).Replace("$CONV5$", conv5)
        .Replace("$FC1$", fc1).Replace("$FC3$", fc3).Replace("$CLASSES$", classes);

    // The notebook's spatial sizes, from TensorFlow's formulas: SAME out = ceil(n / s); VALID out = floor((n − k) / s) + 1.
    private static int Same(int n, int s) => (n + s - 1) / s;
    private static int Valid(int n, int k, int s) => (n - k) / s + 1;
    private static readonly int Conv1 = Same(224, 4);            // 56
    private static readonly int Pool1 = Valid(Conv1, 3, 2);      // 27
    private static readonly int Pool2 = Valid(Same(Pool1, 1), 3, 2); // 13
    private static readonly int Conv5 = Same(Same(Same(Pool2, 1), 1), 1);

    private static GeneratorRun Run(string source)
    {
        var run = GeneratorHarness.RunMarkup(source);
        run.AssertInputCompiles();
        run.AssertDiagnosticsMatchMarkup();
        // pool1's VALID 3×3 / 2 over the even 56×56 misses the last row and column: a warning in every build.
        int reach = (Pool1 - 1) * 2 + 3;
        var warning = run.Single("ANG0030");
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal($"pool1: 3×3 window with stride 2 over 96×{Conv1}×{Conv1} ignores the last {Conv1 - reach} row and {Conv1 - reach} column; windows stop at {reach}×{reach}",
            GeneratorRun.Message(warning));
        return run;
    }

    private static void AssertError(GeneratorRun run, string id, string message)
    {
        var d = run.Single(id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(message, GeneratorRun.Message(d));
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Conv2ExpectsThePerGpuDepth()
    {
        // The notebook as written: later mistakes are not reached (propagation stops at conv2), so they carry no marker.
        var run = Run(Seed(Conv2Bug, "InChannels = 192", "InChannels = 192", "InFeatures = 8 * 8 * 64", Fc3Bug, ClassesFine));
        AssertError(run, "ANG0014",
            "conv2 declares 48 input channels but receives 96 from pool1; use Groups = 2 if each group should see 48 channels (the paper's per-GPU depth)");
    }

    [Fact]
    public void Conv4ExpectsThePerGpuDepth()
    {
        var run = Run(Seed(Conv2Fix, Conv4Bug, "InChannels = 192", "InFeatures = 8 * 8 * 64", Fc3Bug, ClassesFine));
        AssertError(run, "ANG0014",
            "conv4 declares 192 input channels but receives 384 from conv3; use Groups = 2 if each group should see 192 channels (the paper's per-GPU depth)");
    }

    [Fact]
    public void Conv5ExpectsThePerGpuDepth()
    {
        var run = Run(Seed(Conv2Fix, Conv4Fix, Conv5Bug, "InFeatures = 8 * 8 * 64", Fc3Bug, ClassesFine));
        AssertError(run, "ANG0014",
            "conv5 declares 192 input channels but receives 384 from conv4; use Groups = 2 if each group should see 192 channels (the paper's per-GPU depth)");
    }

    [Fact]
    public void Fc1AssumesAnExampleSizeInsteadOfConv5sOutput()
    {
        int features = 256 * Conv5 * Conv5;
        Assert.Equal(43264, features);
        var run = Run(Seed(Conv2Fix, Conv4Fix, Conv5Fix, Fc1Bug, Fc3Bug, ClassesFine));
        AssertError(run, "ANG0015",
            $"fc1 declares {8 * 8 * 64} input features (8×8×64) but receives {features} = 256×{Conv5}×{Conv5} from conv5");
    }

    [Fact]
    public void TheLastLayerIs4096WideButTheNetworkClaims1000Classes()
    {
        var run = Run(Seed(Conv2Fix, Conv4Fix, Conv5Fix, Fc1Fix, Fc3Bug, ClassesBug));
        AssertError(run, "ANG0016", "Network 'SeedAlexNet' declares 1000 classes but its last layer softmax1 outputs 4096");
    }

    [Fact]
    public void WithEveryMistakeFixedTheNotebookCompiles()
    {
        var run = Run(Seed(Conv2Fix, Conv4Fix, Conv5Fix, Fc1Fix, Fc3Fix, ClassesFine));
        run.AssertOutputClean();
        var type = run.Output.GetTypeByMetadataName("Seed.SeedAlexNet")!;
        long Conv(int outC, int inPerGroup, int k) => (long)outC * inPerGroup * k * k + outC;
        long Dense(int outF, int inF) => (long)outF * inF + outF;
        long expected = Conv(96, 3, 11) + Conv(256, 48, 5) + Conv(384, 256, 3) + Conv(384, 192, 3) + Conv(256, 192, 3)
            + Dense(4096, 256 * Conv5 * Conv5) + Dense(4096, 4096) + Dense(1000, 4096);
        Assert.Equal(expected, Const(type, "ParameterCount"));
        Assert.Equal(1000, Const(type, "OutputLength"));

        // tf.nn.lrn(depth_radius 4, bias 1, alpha 0.001/9, beta 0.75): window 4 + 1 + 4, alpha not divided by it.
        var source = run.Source("Seed.SeedAlexNet.g.cs");
        Assert.Contains("public static int WindowBefore => 4;", source);
        Assert.Contains("public static int WindowAfter => 4;", source);
        Assert.Contains($"public static float Coefficient => {(0.001f / 9).ToString("R", CultureInfo.InvariantCulture)}f;", source);
        Assert.Contains("public static float K => 1f;", source);
        // SAME on conv1: total padding (56 − 1)·4 + 11 − 224 = 7, 3 before (the smaller half).
        Assert.Contains($"public static int OutHeight => {Conv1};", source);
        Assert.Contains("public static int PadTop => 3;", source);
    }

    internal static long Const(INamedTypeSymbol type, string name)
        => System.Convert.ToInt64(type.GetMembers(name).OfType<IFieldSymbol>().Single().ConstantValue, CultureInfo.InvariantCulture);
}
