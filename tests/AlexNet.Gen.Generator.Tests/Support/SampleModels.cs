namespace AlexNet.Gen.Generator.Tests.Support;

/// <summary>Model declarations shared by the parameter-count, baseline and incrementality tests.</summary>
internal static class SampleModels
{
    /// <summary>samples/PaperAlexNet/Models.cs's declaration (Krizhevsky et al. 2012, two towers as Groups = 2).</summary>
    public const string PaperAlexNet = """
        using AlexNet.Gen;

        namespace PaperAlexNetSample;

        [Network(3, 227, 227, Classes = 1000)]
        [Conv2d(96, 11, Stride = 4, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 0f)]
        [ReLU]
        [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)]
        [MaxPool2d(3, Stride = 2)]
        [Conv2d(256, 5, Padding = 2, Groups = 2, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 1f)]
        [ReLU]
        [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)]
        [MaxPool2d(3, Stride = 2)]
        [Conv2d(384, 3, Padding = 1, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 0f)] [ReLU]
        [Conv2d(384, 3, Padding = 1, Groups = 2, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 1f)] [ReLU]
        [Conv2d(256, 3, Padding = 1, Groups = 2, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 1f)] [ReLU]
        [MaxPool2d(3, Stride = 2)]
        [Flatten]
        [Dropout(0.5f)] [Dense(4096, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 1f)] [ReLU]
        [Dropout(0.5f)] [Dense(4096, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 1f)] [ReLU]
        [Dense(1000, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 0f)]
        [Softmax]
        public partial class PaperAlexNet { }
        """;

    /// <summary>The paper's network on one device: no Groups.</summary>
    public const string SingleTowerAlexNet = """
        using AlexNet.Gen;
        namespace Variants;
        [Network(3, 227, 227, Classes = 1000)]
        [Conv2d(96, 11, Stride = 4)] [ReLU] [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)] [MaxPool2d(3, Stride = 2)]
        [Conv2d(256, 5, Padding = 2)] [ReLU] [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)] [MaxPool2d(3, Stride = 2)]
        [Conv2d(384, 3, Padding = 1)] [ReLU]
        [Conv2d(384, 3, Padding = 1)] [ReLU]
        [Conv2d(256, 3, Padding = 1)] [ReLU]
        [MaxPool2d(3, Stride = 2)]
        [Flatten]
        [Dropout(0.5f)] [Dense(4096)] [ReLU]
        [Dropout(0.5f)] [Dense(4096)] [ReLU]
        [Dense(1000)]
        [Softmax]
        public partial class SingleTowerAlexNet { }
        """;

    /// <summary>torchvision.models.alexnet (64/192/384/256/256; its adaptive 6×6 average pool is the identity at 224).</summary>
    public const string TorchVisionAlexNet = """
        using AlexNet.Gen;
        namespace Variants;
        [Network(3, 224, 224, Classes = 1000)]
        [Conv2d(64, 11, Stride = 4, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
        [Conv2d(192, 5, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
        [Conv2d(384, 3, Padding = 1)] [ReLU]
        [Conv2d(256, 3, Padding = 1)] [ReLU]
        [Conv2d(256, 3, Padding = 1)] [ReLU]
        [MaxPool2d(3, Stride = 2)]
        [Flatten]
        [Dropout(0.5f)] [Dense(4096)] [ReLU]
        [Dropout(0.5f)] [Dense(4096)] [ReLU]
        [Dense(1000)]
        public partial class TorchVisionAlexNet { }
        """;

    /// <summary>A small network with every layer kind and most options, to snapshot everything the emitter can write.</summary>
    public const string AllLayers = """
        using AlexNet.Gen;
        namespace Samples.Small;
        [Network(3, 12, 10, Classes = 5)]
        [Conv2d(8, 3, Padding = 1, WeightInit = Init.HeNormal, Name = "stem")]
        [ELU(Alpha = 0.5f)]
        [LocalResponseNorm(3, Alpha = 1e-3f, Beta = 0.75f, K = 2f)]
        [MaxPool2d(2)]
        [Conv2d(8, 3, KernelWidth = 1, StrideHeight = 2, Padding = Padding.Same, Groups = 2, Bias = false, WeightInit = Init.GlorotUniform)]
        [ReLU]
        [TfLocalResponseNorm(1, Bias = 1f, Alpha = 1e-4f, Beta = 0.5f)]
        [AvgPool2d(3, Stride = 1, Padding = 1, CountIncludePad = false)]
        [Flatten]
        [Dropout(0.25f)]
        [Dense(16, InFeatures = 8 * 3 * 5, WeightInit = Init.TruncatedNormal, WeightStd = 0.05f, BiasValue = 0.1f)]
        [ReLU]
        [Dense(5, Bias = false)]
        [Softmax]
        public partial class AllLayers { }
        """;
}
