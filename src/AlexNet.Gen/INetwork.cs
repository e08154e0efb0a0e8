using System;

namespace AlexNet.Gen;

/// <summary>
/// What every generated network implements, so optimizers, the training loop and checkpoints work on any of them.
/// All tensors are NCHW float32, batch first.
/// </summary>
public interface INetwork
{
    /// <summary>Floats per input sample (C·H·W).</summary>
    int InputLength { get; }

    /// <summary>Channels of an input sample (C).</summary>
    int InputChannels { get; }

    /// <summary>Rows of an input sample (H).</summary>
    int InputHeight { get; }

    /// <summary>Columns of an input sample (W).</summary>
    int InputWidth { get; }

    /// <summary>Floats per output sample (classes or features).</summary>
    int OutputLength { get; }

    /// <summary>True when the last layer is Softmax (outputs are probabilities), false when outputs are logits.</summary>
    bool OutputsProbabilities { get; }

    /// <summary>The parameters by name, in PyTorch's layouts.</summary>
    ParameterCollection Parameters { get; }

    /// <summary>The model's seeded generator (dropout masks); part of a training checkpoint.</summary>
    SeededRandom Random { get; }

    /// <summary>Inference: dropout is the identity. No allocation on repeated calls with the same batch size.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize);

    /// <summary>Training forward: dropout masks are drawn, and what backward needs is kept.</summary>
    void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batchSize);

    /// <summary>
    /// Backward of softmax cross-entropy (mean over the batch, optional label smoothing) after
    /// <see cref="ForwardTraining"/>: overwrites every parameter gradient and returns the loss.
    /// </summary>
    float Backward(ReadOnlySpan<int> labels, float labelSmoothing = 0f);

    /// <summary>
    /// Backward from a caller's gradient of the loss with respect to the output (for custom losses):
    /// overwrites every parameter gradient.
    /// </summary>
    void BackwardFromOutputGradient(ReadOnlySpan<float> outputGradient);
}
