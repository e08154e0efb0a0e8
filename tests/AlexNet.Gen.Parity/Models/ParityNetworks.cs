namespace AlexNet.Gen.Parity.Models;

// The networks the model-level parity tests compare with libtorch. Each is generated from these attributes exactly as
// in a user project (the parity project references the generator as an analyzer).
//
// Dropout: the parity versions declare Dropout(0f) where the originals have 0.5. Our ForwardTraining applies
// dropout with masks from the model's own generator, which libtorch cannot reproduce; with p = 0 our training
// forward is the identity there (an all-ones mask, no draws) and so is torch's Dropout(0), so gradients and SGD
// trajectories compare the same function. Inference (Forward) ignores p, so the forward tests are unaffected.
// FashionMnistSampleNet below keeps the sample's Dropout(0.5): its test replays our masks into libtorch instead.

/// <summary>samples/PaperAlexNet/Models.cs (Krizhevsky et al. 2012, 227×227, LRN, two-GPU groups, Softmax) with Dropout(0).</summary>
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
[Dropout(0f)] [Dense(4096, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 1f)] [ReLU]
[Dropout(0f)] [Dense(4096, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 1f)] [ReLU]
[Dense(1000, WeightInit = Init.Normal, WeightStd = 0.01f, BiasValue = 0f)]
[Softmax]
internal partial class PaperAlexNetParity { }

/// <summary>
/// torchvision.models.alexnet (224×224, logits) with Dropout(0). torchvision's AdaptiveAvgPool2d((6, 6)) has no
/// counterpart: at 224 its input is already 6×6, so it is the identity (the test shows it on the torch side).
/// </summary>
[Network(3, 224, 224, Classes = 1000)]
[Conv2d(64, 11, Stride = 4, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
[Conv2d(192, 5, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
[Conv2d(384, 3, Padding = 1)] [ReLU]
[Conv2d(256, 3, Padding = 1)] [ReLU]
[Conv2d(256, 3, Padding = 1)] [ReLU] [MaxPool2d(3, Stride = 2)]
[Flatten]
[Dropout(0f)] [Dense(4096)] [ReLU]
[Dropout(0f)] [Dense(4096)] [ReLU]
[Dense(1000)]
internal partial class TorchvisionAlexNetParity { }

/// <summary>samples/FashionMnist/Models.cs exactly, Dropout(0.5) included (its test replays our dropout masks).</summary>
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
internal partial class FashionMnistSampleNet { }

/// <summary>The Fashion-MNIST network with Dropout(0) (the masks cannot matter).</summary>
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
[Dropout(0f)] [Dense(256, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)] [ReLU]
[Dropout(0f)] [Dense(256, WeightInit = Init.HeNormal, BiasInit = Init.Zeros)] [ReLU]
[Dense(10)]
internal partial class FashionAlexNetParity { }

/// <summary>
/// The TensorFlow-flavoured layers on a non-square odd input (3×21×17):
/// conv1 SAME 4×4 stride 2 → pads top/left 1, bottom/right 2 (21×17 → 11×9);
/// ELU; TensorFlow LRN; average pool 3 stride 1 padding 1 counting the padding (PyTorch's default);
/// conv2 2×2 VALID in two groups (11×9 → 10×8); ReLU;
/// average pool 3 stride 2 SAME not counting the padding → pads bottom/right 1 only (10×8 → 5×4);
/// conv3 3×3 SAME stride 1 (pads 1 all round); ELU; dense.
/// </summary>
[Network(3, 21, 17, Classes = 7)]
[Conv2d(8, 4, Stride = 2, Padding = Padding.Same, WeightInit = Init.HeUniform)]
[ELU(Alpha = 0.7f)]
[TfLocalResponseNorm(2, Bias = 1f, Alpha = 0.2f, Beta = 0.75f)]
[AvgPool2d(3, Stride = 1, Padding = 1)]
[Conv2d(12, 2, Groups = 2, Padding = Padding.Valid, WeightInit = Init.HeUniform)]
[ReLU]
[AvgPool2d(3, Stride = 2, Padding = Padding.Same, CountIncludePad = false)]
[Conv2d(16, 3, Padding = Padding.Same, WeightInit = Init.HeUniform)]
[ELU]
[Flatten]
[Dropout(0f)]
[Dense(7)]
internal partial class MixedLayersNet { }
