using AlexNet.Gen.Generator.Model;

namespace AlexNet.Gen.Generator.Emit;

/// <summary>
/// Which buffer holds each layer's input and output. Training keeps every layer's output (backward reads them), one
/// field per layer. Inference needs only the previous output: the layers that write one alternate between two buffers,
/// A and B, each as long as the largest output it holds, so a layer never writes the buffer it reads.
/// </summary>
internal sealed class BufferPlan
{
    public const string InferenceA = "_inferenceA", InferenceB = "_inferenceB";

    private readonly NetworkPlan _plan;
    private readonly int[] _inferenceSlot;

    public BufferPlan(NetworkPlan plan)
    {
        _plan = plan;
        _inferenceSlot = Slots(plan);
    }

    /// <summary>Flatten is always a view; Dropout is the identity at inference; a fused ReLU's output is its producer's.</summary>
    public static bool OwnsOutput(LayerPlan layer, bool training) =>
        layer.Kind != LayerKind.Flatten && !(layer.Kind == LayerKind.Dropout && !training) && layer.FusedInto is null;

    public bool OwnsOutput(int i, bool training) => OwnsOutput(_plan.Layers[i], training);

    /// <summary>The training field of layer <paramref name="i"/>'s output.</summary>
    public string Field(int i) => LayerEmitter.FieldName(_plan.Layers[i], "Output");

    public string Output(int i, bool training)
    {
        if (!OwnsOutput(i, training)) return Input(i, training);
        string buffer = training ? Field(i) : _inferenceSlot[i] == 0 ? InferenceA : InferenceB;
        return $"{buffer}.AsSpan(0, n * {_plan.Layers[i].Output.Length})";
    }

    public string Input(int i, bool training)
    {
        if (i == 0) return training ? $"_inputCopy.AsSpan(0, n * {_plan.Input.Length})" : "input";
        return Output(i - 1, training);
    }

    /// <summary>Floats per sample of inference buffers A and B (0 when unused).</summary>
    public static (long A, long B) InferenceLengths(NetworkPlan plan)
    {
        var slots = Slots(plan);
        long a = 0, b = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            long length = plan.Layers[i].Output.Length;
            if (slots[i] == 0 && length > a) a = length;
            if (slots[i] == 1 && length > b) b = length;
        }
        return (a, b);
    }

    /// <summary>0 (A) or 1 (B) for each layer that writes an output at inference, in turn; −1 for the others.</summary>
    private static int[] Slots(NetworkPlan plan)
    {
        var slots = new int[plan.Layers.Count];
        int next = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (!OwnsOutput(plan.Layers[i], training: false))
            {
                slots[i] = -1;
                continue;
            }
            slots[i] = next;
            next = 1 - next;
        }
        return slots;
    }
}
