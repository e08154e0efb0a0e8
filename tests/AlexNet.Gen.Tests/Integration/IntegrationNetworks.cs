using AlexNet.Gen;

namespace AlexNet.Gen.Tests.Integration;

// Networks the generator compiles at build time for the integration tests. BarsNet has the same layers as the
// determinism probe's ProbeNet (tests/AlexNet.Gen.DeterminismProbe/ProbeNet.cs).
// He initialization for the ReLU layers: with PyTorch's default the loss sits on a plateau for the first epoch.

/// <summary>
/// Two convolutions, max pooling, a hidden dense layer and dropout (so the model's generator matters in training).
/// 1×16×16 → 8×16×16 → 8×8×8 → 16×8×8 → 16×4×4 → 256 → 32 → 2 logits.
/// </summary>
[Network(1, 16, 16, Classes = 2)]
[Conv2d(8, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[MaxPool2d(2)]
[Conv2d(16, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Dense(32, WeightInit = Init.HeNormal)]
[ReLU]
[Dropout(0.25f)]
[Dense(2)]
public partial class BarsNet { }

/// <summary>BarsNet with 12 first-layer filters: conv1.weight is [12, 1, 3, 3] instead of [8, 1, 3, 3].</summary>
[Network(1, 16, 16, Classes = 2)]
[Conv2d(12, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[MaxPool2d(2)]
[Conv2d(16, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Dense(32, WeightInit = Init.HeNormal)]
[ReLU]
[Dropout(0.25f)]
[Dense(2)]
public partial class WideBarsNet { }

/// <summary>BarsNet plus a third dense layer: the same tensors with the same shapes, and fc3.weight/fc3.bias besides.</summary>
[Network(1, 16, 16, Classes = 2)]
[Conv2d(8, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[MaxPool2d(2)]
[Conv2d(16, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Dense(32, WeightInit = Init.HeNormal)]
[ReLU]
[Dropout(0.25f)]
[Dense(2)]
[Dense(2)]
public partial class BarsNetWithExtraHead { }

/// <summary>
/// A network whose 32 → 32-channel 3×3 and 5×5 convolutions take the Winograd path (the kernels' threshold is 32
/// channels), on a 13×13 map (F(2×2, 3×3) or F(4×4, 3×3) by batch; F(4×4, 5×5) at these batches) and a 6×6 one (after
/// a 3×3 pool of stride 2). 3×13×13 → 32×13×13 → 32×13×13 → 32×13×13 → 32×6×6 → 32×6×6 → 1152 → 4 logits.
/// </summary>
[Network(3, 13, 13, Classes = 4)]
[Conv2d(32, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[Conv2d(32, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[Conv2d(32, 5, Padding = 2, WeightInit = Init.HeNormal)]
[ReLU]
[MaxPool2d(3, Stride = 2)]
[Conv2d(32, 3, Padding = 1, WeightInit = Init.HeNormal)]
[ReLU]
[Flatten]
[Dense(4)]
public partial class WinogradNet { }
