using AlexNet.Gen;

namespace AlexNet.Gen.Benchmarks.Models;

// The three networks of issue #6, generated from these attributes exactly as in a user project. Dropout keeps its
// real probability: the training-step benchmarks draw masks on both sides (libtorch's modules run in train()).

/// <summary>
/// torchvision.models.alexnet at 224×224 (logits). torchvision's AdaptiveAvgPool2d((6, 6)) is the identity at 224
/// (the trunk already ends at 256×6×6), so neither side runs it.
/// </summary>
[Network(3, 224, 224, Classes = 1000)]
[Conv2d(64, 11, Stride = 4, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
[Conv2d(192, 5, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
[Conv2d(384, 3, Padding = 1)] [ReLU]
[Conv2d(256, 3, Padding = 1)] [ReLU]
[Conv2d(256, 3, Padding = 1)] [ReLU] [MaxPool2d(3, Stride = 2)]
[Flatten]
[Dropout(0.5f)] [Dense(4096)] [ReLU]
[Dropout(0.5f)] [Dense(4096)] [ReLU]
[Dense(1000)]
public partial class TorchvisionAlexNet { }

/// <summary>samples/PaperAlexNet/Models.cs: Krizhevsky et al. 2012, 227×227, LRN, the two-GPU split as groups, softmax output.</summary>
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

/// <summary>
/// The compact Fashion-MNIST AlexNet of issue #6 (1×28×28): conv 32/64 with LRN and max-pool, conv 128/128/64,
/// max-pool, dense 256/256/10 (logits). samples/FashionMnist trains the same layout with 64/64/64 in conv3–conv5.
/// </summary>
[Network(1, 28, 28, Classes = 10)]
[Conv2d(32, 3, Padding = 1, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)]
[ReLU]
[LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)]
[MaxPool2d(2)]
[Conv2d(64, 3, Padding = 1, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)]
[ReLU]
[LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f)]
[MaxPool2d(2)]
[Conv2d(128, 3, Padding = 1, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)] [ReLU]
[Conv2d(128, 3, Padding = 1, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)] [ReLU]
[Conv2d(64, 3, Padding = 1, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)] [ReLU]
[MaxPool2d(3, Stride = 2)]
[Flatten]
[Dropout(0.5f)] [Dense(256, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)] [ReLU]
[Dropout(0.5f)] [Dense(256, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)] [ReLU]
[Dense(10)]
public partial class CompactAlexNet { }
