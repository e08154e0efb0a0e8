using AlexNet.Gen;

namespace AlexNet.Gen.DeterminismProbe;

/// <summary>
/// The probe's network: two convolutions (parallel GEMM paths), max pooling, dense layers and a dropout whose
/// mask comes from the model's generator, so parameters after training depend on every kernel and on the RNG.
/// 1×16×16 → 8×16×16 → 8×8×8 → 16×8×8 → 16×4×4 → 32 → 2.
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
public partial class ProbeNet { }
