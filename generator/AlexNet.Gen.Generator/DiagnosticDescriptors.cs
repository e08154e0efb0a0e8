using Microsoft.CodeAnalysis;

namespace AlexNet.Gen.Generator;

/// <summary>Every diagnostic AlexNet.Gen reports. Ids are stable: never reuse one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "AlexNet.Gen";
    // The catalogue with examples ships in the repository (docs/diagnostics.md); ids are its anchors.
    private const string HelpBase = "docs/diagnostics.md#";

    public const string ClassNotPartialId = "ANG0001";
    public const string GenericClassId = "ANG0002";
    public const string NestedInNonPartialId = "ANG0003";
    public const string LayerWithoutNetworkId = "ANG0004";
    public const string NoLayersId = "ANG0005";
    public const string LayersSplitId = "ANG0006";
    public const string NotAClassId = "ANG0007";
    public const string InvalidArgumentId = "ANG0010";
    public const string SizeOverflowId = "ANG0011";
    public const string WindowTooLargeId = "ANG0012";
    public const string GroupsDoNotDivideId = "ANG0013";
    public const string InChannelsMismatchId = "ANG0014";
    public const string InFeaturesMismatchId = "ANG0015";
    public const string ClassesMismatchId = "ANG0016";
    public const string SpatialAfterFlattenId = "ANG0017";
    public const string DenseOnSpatialId = "ANG0018";
    public const string SoftmaxNotLastId = "ANG0019";
    public const string DuplicateNameId = "ANG0020";
    public const string InvalidNameId = "ANG0021";
    public const string UnknownLayerId = "ANG0022";
    public const string StrideDropsInputId = "ANG0030";

    private static DiagnosticDescriptor Error(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description: description, helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor ClassNotPartial = Error(ClassNotPartialId,
        "Network class must be partial",
        "Network class '{0}' must be declared partial so the generated layers can be added to it",
        "The generator adds Forward, Backward and the parameters to the class, which needs every declaration to be partial.");

    public static readonly DiagnosticDescriptor GenericClass = Error(GenericClassId,
        "Network class must not be generic",
        "Network class '{0}' must not be generic: every dimension is a compile-time constant",
        "Generated code is specialized for one set of shapes; a generic class cannot carry them.");

    public static readonly DiagnosticDescriptor NestedInNonPartial = Error(NestedInNonPartialId,
        "Containing type must be partial",
        "Network class '{0}' is nested in '{1}', which must be partial too",
        "The generated part of a nested class is emitted inside its containing types, which therefore must be partial.");

    public static readonly DiagnosticDescriptor LayerWithoutNetwork = Error(LayerWithoutNetworkId,
        "Layer attribute without [Network]",
        "'{0}' has layer attributes but no [Network(channels, height, width)] declaring its input",
        "Layers are only compiled on a class that also declares its input shape with [Network].");

    public static readonly DiagnosticDescriptor NoLayers = Error(NoLayersId,
        "Network has no layers",
        "Network '{0}' declares no layers",
        "Add layer attributes ([Conv2d], [ReLU], [Dense], …) after [Network], in order.");

    public static readonly DiagnosticDescriptor LayersSplit = Error(LayersSplitId,
        "Layers split over partial declarations",
        "Network '{0}' declares layers on more than one partial declaration; their order would be undefined",
        "C# does not order attributes across partial declarations; put [Network] and all layers on one declaration.");

    public static readonly DiagnosticDescriptor NotAClass = Error(NotAClassId,
        "Network must be a non-static class",
        "'{0}' is a {1}; [Network] needs a partial, non-static, non-record class",
        "The generated model is an instance class with a constructor, parameters and buffers.");

    public static readonly DiagnosticDescriptor UnknownLayer = Error(UnknownLayerId,
        "Unknown layer attribute",
        "'{0}' derives from LayerAttribute but is not a layer AlexNet.Gen can compile",
        "Only the layer attributes in the AlexNet.Gen namespace (Conv2d, Dense, ReLU, …) have generated code.");

    public static readonly DiagnosticDescriptor InvalidArgument = Error(InvalidArgumentId,
        "Invalid layer argument",
        "{0}: {1}",
        "Kernel sizes, strides, channels, features and groups must be positive; padding non-negative (or Padding.Same); probabilities in [0, 1); LRN sizes positive; ELU alpha non-negative.");

    public static readonly DiagnosticDescriptor SizeOverflow = Error(SizeOverflowId,
        "Tensor too large",
        "{0}: {1} exceeds the largest supported tensor ({2} elements)",
        "Every tensor length must fit in an int (per sample, and parameters in total).");

    public static readonly DiagnosticDescriptor WindowTooLarge = Error(WindowTooLargeId,
        "Window larger than its input",
        "{0}: {1}×{2} window with stride {3} needs at least {1}×{2} input but receives {4}",
        "A convolution or pooling window must fit in its padded input, otherwise the output would be empty.");

    public static readonly DiagnosticDescriptor GroupsDoNotDivide = Error(GroupsDoNotDivideId,
        "Groups do not divide the channels",
        "{0}: Groups = {1} does not divide {2}",
        "A grouped convolution splits input and output channels into equal groups.");

    public static readonly DiagnosticDescriptor InChannelsMismatch = Error(InChannelsMismatchId,
        "InChannels assertion does not hold",
        "{0} declares {1} input channels but receives {2} from {3}{4}",
        "InChannels states what the author believes the input depth is; the inferred depth differs.");

    public static readonly DiagnosticDescriptor InFeaturesMismatch = Error(InFeaturesMismatchId,
        "InFeatures assertion does not hold",
        "{0} declares {1} input features{2} but receives {3} from {4}",
        "InFeatures states what the author believes the input width is; the inferred width differs.");

    public static readonly DiagnosticDescriptor ClassesMismatch = Error(ClassesMismatchId,
        "Classes assertion does not hold",
        "Network '{0}' declares {1} classes but its last layer {2} outputs {3}",
        "Classes states the width of the network's output; the inferred output differs.");

    public static readonly DiagnosticDescriptor SpatialAfterFlatten = Error(SpatialAfterFlattenId,
        "Spatial layer on features",
        "{0} needs a C×H×W input but receives {1} features from {2}",
        "Convolutions, pooling and LRN work on images; after Flatten or Dense the tensor is a feature vector.");

    public static readonly DiagnosticDescriptor DenseOnSpatial = Error(DenseOnSpatialId,
        "Dense on a spatial tensor",
        "{0} receives a {1} tensor from {2}; add [Flatten] before it",
        "Dense layers take feature vectors; flatten the C×H×W tensor first, as PyTorch's torch.flatten(x, 1).");

    public static readonly DiagnosticDescriptor SoftmaxNotLast = Error(SoftmaxNotLastId,
        "Softmax must be the last layer",
        "{0} is followed by {1}; Softmax must be the last layer",
        "Training fuses Softmax with cross-entropy, which needs it last.");

    public static readonly DiagnosticDescriptor DuplicateName = Error(DuplicateNameId,
        "Duplicate layer name",
        "Layer name '{0}' is already used by layer {1}",
        "Names become member and parameter names (conv1.weight) and must be unique.");

    public static readonly DiagnosticDescriptor InvalidName = Error(InvalidNameId,
        "Invalid layer name",
        "Layer name '{0}' is not valid: use a letter followed by letters, digits or '_'",
        "Names become member names and parameter names.");

    public static readonly DiagnosticDescriptor StrideDropsInput = new(StrideDropsInputId,
        "Stride does not tile the input",
        "{0}: {1}×{2} window with stride {3} over {4} ignores the last {5}; windows stop at {6}",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Rows or columns that no window covers are silently dropped (the paper's 224 vs 227 input). Pad the input or change the stride.",
        helpLinkUri: HelpBase + StrideDropsInputId.ToLowerInvariant());
}
