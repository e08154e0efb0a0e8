using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace AlexNet.Gen.Parity.Support;

/// <summary>
/// torchvision.models.AlexNet rebuilt in TorchSharp with the same module tree, so its state_dict has torchvision's
/// names (<c>features.0.weight</c> … <c>features.10.bias</c>, <c>classifier.1.weight</c> … <c>classifier.6.bias</c>):
/// features (conv/ReLU/max-pool), avgpool (adaptive average pooling to 6×6), flatten, classifier (dropout/linear/ReLU).
/// </summary>
internal sealed class TorchvisionAlexNet : TorchModule
{
    private const int Pooled = 6;

    // Field names are the state_dict prefixes (RegisterComponents uses them), hence torchvision's lower case.
    private readonly TorchSharp.Modules.Sequential features;
    private readonly TorchSharp.Modules.Sequential classifier;

    /// <param name="classes">Outputs of the last linear layer.</param>
    /// <param name="dropout">Probability of the two dropout layers (identity in eval mode whatever it is).</param>
    /// <param name="dtype">Parameter dtype.</param>
    public TorchvisionAlexNet(int classes, double dropout, ScalarType dtype) : base("AlexNet")
    {
        features = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride: 4, padding: 2, dtype: dtype), // features.0
            nn.ReLU(),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding: 2, dtype: dtype), // features.3
            nn.ReLU(),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding: 1, dtype: dtype), // features.6
            nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding: 1, dtype: dtype), // features.8
            nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding: 1, dtype: dtype), // features.10
            nn.ReLU(),
            nn.MaxPool2d(3, 2));
        classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(256 * Pooled * Pooled, 4096, dtype: dtype), // classifier.1
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096, dtype: dtype), // classifier.4
            nn.ReLU(),
            nn.Linear(4096, classes, dtype: dtype)); // classifier.6
        RegisterComponents();
    }

    /// <summary>Optional watcher of the ReLU and max-pool inputs of <c>features</c> and <c>classifier</c>.</summary>
    public KinkWatch? Kinks { get; init; }

    /// <summary>The convolutional trunk: [N, 3, 224, 224] → [N, 256, 6, 6].</summary>
    public Tensor Features(Tensor input) => RunWatched(features, "features", input);

    /// <summary>A Sequential's layers in order, each ReLU/max-pool input shown to <see cref="Kinks"/> first.</summary>
    private Tensor RunWatched(TorchSharp.Modules.Sequential sequence, string prefix, Tensor input)
    {
        if (Kinks is null) return sequence.call(input);
        using var scope = torch.NewDisposeScope();
        var x = input;
        foreach (var (name, child) in sequence.named_children())
        {
            // Every pool of this network is 3×3 stride 2.
            // The watcher returns its input, moved across a near-kink where it follows our side of it.
            if (child is TorchSharp.Modules.ReLU) x = Kinks.Relu(prefix + "." + name)(x);
            if (child is TorchSharp.Modules.MaxPool2d) x = Kinks.MaxPool(prefix + "." + name, 3, 2)(x);
            x = ((TorchModule)child).call(x);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>torchvision's avgpool, <c>AdaptiveAvgPool2d((6, 6))</c>, as the functional op.</summary>
    public static Tensor AveragePool(Tensor featureMap) => F.adaptive_avg_pool2d(featureMap, new long[] { Pooled, Pooled });

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var pooled = AveragePool(Features(input));
        return RunWatched(classifier, "classifier", torch.flatten(pooled, 1)).MoveToOuterDisposeScope();
    }
}
