using System.Collections.Generic;
using AlexNet.Gen.Generator.Model;

namespace AlexNet.Gen.Generator;

/// <summary>
/// Fusion decided on the inferred layers: a ReLU right after a Conv2d or Dense layer becomes that layer's epilogue (its
/// kernel writes max(0, ·) as it stores each output row, the same bits as the separate pass), which saves a pass over
/// the activation and its buffer. The ReLU keeps its backward (dx = dy where y &gt; 0), which reads the fused output.
/// </summary>
internal static class LayerFusion
{
    public static void FuseRelu(List<LayerPlan> layers)
    {
        for (int i = 1; i < layers.Count; i++)
        {
            var producer = layers[i - 1];
            if (layers[i].Kind != LayerKind.ReLU || producer.Kind is not (LayerKind.Conv2d or LayerKind.Dense)) continue;
            layers[i - 1] = producer with { FusedRelu = true };
            layers[i] = layers[i] with { FusedInto = producer.Name, Options = "fused into " + producer.Name };
        }
    }
}
