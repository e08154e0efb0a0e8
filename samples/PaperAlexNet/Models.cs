using AlexNet.Gen;

namespace PaperAlexNetSample;

/// <summary>
/// The network of Krizhevsky, Sutskever and Hinton (2012): 227×227 input (the paper says 224, which its
/// 11×11 stride-4 first layer does not tile), LRN after conv1 and conv2, the two-GPU split as Groups = 2 on
/// conv2, conv4 and conv5, and the paper's initialization: N(0, 0.01) weights, bias 1 on conv2/4/5 and the
/// dense layers, 0 elsewhere.
/// </summary>
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
