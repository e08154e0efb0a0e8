namespace AlexNet.Gen.Tests.Models;

// Networks declared in the test project: the generator runs on them at build time (a warning would fail the
// build, so every window tiles its padded input). The tests read the same attributes back by reflection to build
// the reference, so attribute and reference never drift apart.

/// <summary>
/// A small AlexNet: both LRN conventions, groups 2 and 3, max and average pooling (padded, padding excluded),
/// ELU, two dropouts, Softmax. 3×19×19 → 12×10×10 → 12×5×5 → 12×5×5 → 9×5×5 → 9×3×3 → 16 → 5.
/// </summary>
[Network(3, 19, 19, Classes = 5)]
[Conv2d(12, 5, Stride = 2, Padding = 2)]
[ReLU]
[LocalResponseNorm(5, Alpha = 0.05f, Beta = 0.75f, K = 2f)]
[MaxPool2d(3, Stride = 2, Padding = 1)]
[Conv2d(12, 3, Padding = 1, Groups = 2)]
[ELU(Alpha = 0.8f)]
[TfLocalResponseNorm(2, Bias = 1f, Alpha = 0.02f, Beta = 0.75f)]
[Conv2d(9, 3, Padding = Padding.Same, Groups = 3)]
[ReLU]
[AvgPool2d(3, Stride = 2, Padding = 1, CountIncludePad = false)]
[Flatten]
[Dropout(0.5f)]
[Dense(16)]
[ReLU]
[Dropout(0.25f)]
[Dense(5)]
[Softmax]
public partial class TinyAlexNet { }

/// <summary>
/// Non-square everything, logits out: kernel 5×3 with stride 1×2 and padding 2×0, SAME max pooling with a default
/// (kernel) stride width, an even LRN window, a 2×1 kernel with per-axis padding, a counted-padding average pool.
/// 3×17×23 → 6×17×11 → 6×9×4 → 8×10×4 → 8×6×3 → 7.
/// </summary>
[Network(3, 17, 23)]
[Conv2d(6, 3, KernelHeight = 5, StrideWidth = 2, PaddingHeight = 2, Groups = 3)]
[ELU]
[MaxPool2d(3, StrideHeight = 2, Padding = Padding.Same)]
[LocalResponseNorm(4, Alpha = 0.3f, Beta = 0.6f, K = 1.5f)]
[Conv2d(8, 2, KernelWidth = 1, Padding = 1, PaddingWidth = 0, Groups = 2, Bias = false)]
[ReLU]
[AvgPool2d(2, Padding = 1)]
[Flatten]
[Dense(7)]
public partial class MixedOptionsNet { }

/// <summary>
/// Wide enough to cross the GEMM's cache blocks (out channels 160 > MC = 144, K = 18·5·5 = 450 and 80·3·3 = 720 > KC),
/// which the small random networks never reach. ELU (α = 1, smooth at 0) on the large conv1 output keeps
/// ReLU sign decisions, which float rounding could flip, to the smaller layers. 18×11×9 → 160×11×9 → 160×5×4 → 48×5×4 → 200 → 10.
/// </summary>
[Network(18, 11, 9)]
[Conv2d(160, 5, Padding = 2)]
[ELU]
[MaxPool2d(3, Stride = 2)]
[Conv2d(48, 3, Padding = 1, Groups = 2)]
[ReLU]
[Flatten]
[Dense(200)]
[ReLU]
[Dense(10)]
public partial class WideNet { }

/// <summary>The logits are a spatial tensor (no Flatten): 2×13×9 → 4×6×4 = 96 classes after a TensorFlow LRN.</summary>
[Network(2, 13, 9)]
[Conv2d(4, 3, Stride = 2)]
[TfLocalResponseNorm(1)]
public partial class SpatialLogitsNet { }

/// <summary>Declared layer names replace the defaults in parameter names.</summary>
[Network(1, 8, 8)]
[Conv2d(4, 3, Name = "stem")]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Dense(3, Name = "head")]
public partial class NamedLayersNet { }

/// <summary>The output is the masked input itself, so a training forward shows the dropout mask directly.</summary>
[Network(4, 16, 16)]
[Flatten]
[Dropout(0.5f)]
public partial class DropoutOnlyNet { }

/// <summary>Dropout in front of a dense layer: the weight gradient reveals the mask (dW[o, i] = g_o·x_i·m_i at batch 1).</summary>
[Network(1, 8, 8)]
[Flatten]
[Dropout(0.5f)]
[Dense(4)]
public partial class DropoutDenseNet { }

/// <summary>The paper's AlexNet (samples/PaperAlexNet/Models.cs), two towers as groups.</summary>
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
public partial class PaperAlexNetModel { }

/// <summary>The paper's AlexNet on one GPU: no groups.</summary>
[Network(3, 227, 227, Classes = 1000)]
[Conv2d(96, 11, Stride = 4)]
[ReLU]
[LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)]
[MaxPool2d(3, Stride = 2)]
[Conv2d(256, 5, Padding = 2)]
[ReLU]
[LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)]
[MaxPool2d(3, Stride = 2)]
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

/// <summary>torchvision.models.alexnet (its adaptive 6×6 average pool is the identity at 224×224).</summary>
[Network(3, 224, 224, Classes = 1000)]
[Conv2d(64, 11, Stride = 4, Padding = 2)] [ReLU]
[MaxPool2d(3, Stride = 2)]
[Conv2d(192, 5, Padding = 2)] [ReLU]
[MaxPool2d(3, Stride = 2)]
[Conv2d(384, 3, Padding = 1)] [ReLU]
[Conv2d(256, 3, Padding = 1)] [ReLU]
[Conv2d(256, 3, Padding = 1)] [ReLU]
[MaxPool2d(3, Stride = 2)]
[Flatten]
[Dropout(0.5f)] [Dense(4096)] [ReLU]
[Dropout(0.5f)] [Dense(4096)] [ReLU]
[Dense(1000)]
public partial class TorchvisionAlexNet { }
