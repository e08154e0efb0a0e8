using System;
using System.Collections.Generic;
using System.IO;

namespace AlexNet.Gen.Checkpoints;

/// <summary>A float32 tensor stored in a checkpoint besides the model's parameters (e.g. optimizer state).</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>The product of the shape (1 for a scalar's empty shape).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }
}

/// <summary>
/// Builds the <see cref="InvalidDataException"/> (a sealed type) thrown for a damaged or mismatched checkpoint:
/// the message starts with the file; <c>Data["File"]</c> and <c>Data["Tensor"]</c> hold the file and, when known, the tensor.
/// </summary>
public static class CheckpointError
{
    public const string FileKey = "File";
    public const string TensorKey = "Tensor";

    public static InvalidDataException Create(string filePath, string? tensorName, string message)
    {
        var ex = new InvalidDataException($"{filePath}: {message}");
        ex.Data[FileKey] = filePath;
        ex.Data[TensorKey] = tensorName;
        return ex;
    }

    /// <summary>The tensor a checkpoint error is about, if any.</summary>
    public static string? TensorOf(InvalidDataException exception) => exception?.Data[TensorKey] as string;
}

/// <summary>How <see cref="Checkpoint.Load"/> matches the file's tensors to the model.</summary>
public sealed class CheckpointLoadOptions
{
    /// <summary>File tensor name → model parameter name (e.g. <see cref="TorchvisionNames.AlexNet"/>). Unmapped names are used as they are.</summary>
    public IReadOnlyDictionary<string, string>? NameMap { get; init; }

    /// <summary>
    /// Tensors whose file names start with one of these are returned as extra tensors (<see cref="CheckpointContents.Tensors"/>)
    /// rather than counted as unexpected. Default: "optimizer.".
    /// </summary>
    public IReadOnlyList<string> ExtraTensorPrefixes { get; init; } = new[] { "optimizer." };

    /// <summary>Ignore tensors that are neither model parameters nor extra tensors (otherwise an error).</summary>
    public bool AllowUnexpected { get; init; }

    /// <summary>Keep the current values of model parameters the file lacks (otherwise an error).</summary>
    public bool AllowMissing { get; init; }

    /// <summary>Model parameter names not to load even when the file has them (e.g. a classifier being replaced).</summary>
    public IReadOnlyCollection<string>? Exclude { get; init; }
}

/// <summary>What a checkpoint held besides the values loaded into the model.</summary>
public sealed class CheckpointContents
{
    private readonly Dictionary<string, NamedTensor> _byName;

    internal CheckpointContents(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<NamedTensor> tensors,
        IReadOnlyList<string> loadedParameters, IReadOnlyList<string> ignoredTensors, IReadOnlyList<string> missingParameters)
    {
        Metadata = metadata;
        Tensors = tensors;
        LoadedParameters = loadedParameters;
        IgnoredTensors = ignoredTensors;
        MissingParameters = missingParameters;
        _byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var t in tensors) _byName[t.Name] = t;
    }

    /// <summary>The header's __metadata__ strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary><see cref="Checkpoint.Read"/>: every tensor. <see cref="Checkpoint.Load"/>: the extra tensors. In file order.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>Model parameters that received values (Load only).</summary>
    public IReadOnlyList<string> LoadedParameters { get; }

    /// <summary>File tensors that were skipped (unexpected with AllowUnexpected, or excluded).</summary>
    public IReadOnlyList<string> IgnoredTensors { get; }

    /// <summary>Model parameters the file lacked that kept their values (AllowMissing) or were excluded.</summary>
    public IReadOnlyList<string> MissingParameters { get; }

    public bool TryGetTensor(string name, out NamedTensor tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>The tensor with this name; throws <see cref="KeyNotFoundException"/> listing the names otherwise.</summary>
    public NamedTensor GetTensor(string name) => _byName.TryGetValue(name, out var t)
        ? t
        : throw new KeyNotFoundException($"The checkpoint has no tensor '{name}'. It has: {string.Join(", ", _byName.Keys)}.");
}

/// <summary>Names used by other frameworks for the same parameters.</summary>
public static class TorchvisionNames
{
    /// <summary>torchvision.models.alexnet state_dict names → AlexNet.Gen names (conv1…conv5, fc1…fc3).</summary>
    public static IReadOnlyDictionary<string, string> AlexNet { get; } = Build(
        ("features.0", "conv1"), ("features.3", "conv2"), ("features.6", "conv3"), ("features.8", "conv4"), ("features.10", "conv5"),
        ("classifier.1", "fc1"), ("classifier.4", "fc2"), ("classifier.6", "fc3"));

    /// <summary>The reverse map (model name → file name), e.g. to compare with a torchvision state_dict.</summary>
    public static IReadOnlyDictionary<string, string> Invert(IReadOnlyDictionary<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var inverse = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to) in map)
        {
            if (!inverse.TryAdd(to, from))
                throw new ArgumentException($"'{inverse[to]}' and '{from}' both map to '{to}'; the map cannot be inverted.", nameof(map));
        }
        return inverse;
    }

    private static IReadOnlyDictionary<string, string> Build(params (string Torch, string Ours)[] layers)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (torch, ours) in layers)
        {
            map.Add(torch + ".weight", ours + ".weight");
            map.Add(torch + ".bias", ours + ".bias");
        }
        return map;
    }
}
