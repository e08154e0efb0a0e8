using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace AlexNet.Gen.Training;

/// <summary>
/// One named float tensor of training state (momentum buffers, Adam moments), in the shape a checkpoint stores
/// next to the parameters. Converts to and from the tuple <c>(string Name, int[] Shape, float[] Data)</c>.
/// </summary>
public readonly record struct StateTensor(string Name, int[] Shape, float[] Data)
{
    public static implicit operator (string Name, int[] Shape, float[] Data)(StateTensor tensor)
        => (tensor.Name, tensor.Shape, tensor.Data);

    public static implicit operator StateTensor((string Name, int[] Shape, float[] Data) tensor)
        => new(tensor.Name, tensor.Shape, tensor.Data);
}

/// <summary>
/// Everything besides the parameters that a training checkpoint must hold to resume bit-exactly: named float
/// tensors (optimizer state) and string metadata (step counts, learning rates, RNG states, schedule state).
/// Optimizers, schedules and the <see cref="Trainer"/> write into one instance and read back from it; keys are
/// prefixed by their owner (<c>optimizer.</c>, <c>schedule.</c>, <c>trainer.</c>). Numbers are stored as
/// invariant-culture round-trip text, so a value read back is bitwise the value written.
/// </summary>
public sealed class TrainingState
{
    private readonly List<StateTensor> _tensors = new();

    /// <summary>The tensors, in the order they were added.</summary>
    public IReadOnlyList<StateTensor> Tensors => _tensors;

    /// <summary>String metadata by key.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor (the data is stored as given, not copied); a name may appear once.</summary>
    public void AddTensor(StateTensor tensor)
    {
        if (string.IsNullOrEmpty(tensor.Name)) throw new ArgumentException("A state tensor needs a name.", nameof(tensor));
        ArgumentNullException.ThrowIfNull(tensor.Shape);
        ArgumentNullException.ThrowIfNull(tensor.Data);
        long length = 1;
        foreach (int d in tensor.Shape)
        {
            if (d < 0) throw new ArgumentException($"State tensor '{tensor.Name}' has a negative dimension {d}.", nameof(tensor));
            length *= d;
        }
        if (length != tensor.Data.Length)
            throw new ArgumentException($"State tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] ({length} elements) but {tensor.Data.Length} values.", nameof(tensor));
        if (TryGetTensor(tensor.Name, out _))
            throw new ArgumentException($"State tensor '{tensor.Name}' was added twice.", nameof(tensor));
        _tensors.Add(tensor);
    }

    public bool TryGetTensor(string name, out StateTensor tensor)
    {
        foreach (var t in _tensors)
        {
            if (string.Equals(t.Name, name, StringComparison.Ordinal))
            {
                tensor = t;
                return true;
            }
        }
        tensor = default;
        return false;
    }

    /// <summary>The tensor with this name, checked to hold <paramref name="expectedLength"/> values.</summary>
    public StateTensor GetTensor(string name, int expectedLength)
    {
        if (!TryGetTensor(name, out var tensor))
            throw new ArgumentException($"The training state has no tensor '{name}'. It has: {string.Join(", ", _tensors.Select(t => t.Name))}.", nameof(name));
        if (tensor.Data.Length != expectedLength)
            throw new ArgumentException($"State tensor '{name}' has {tensor.Data.Length} values; this model needs {expectedLength}.", nameof(name));
        return tensor;
    }

    /// <summary>The metadata value for <paramref name="key"/>; throws <see cref="ArgumentException"/> naming it when missing.</summary>
    public string GetString(string key)
        => Metadata.TryGetValue(key, out var value)
            ? value
            : throw new ArgumentException($"The training state has no metadata '{key}'.", nameof(key));

    public void SetDouble(string key, double value) => Metadata[key] = value.ToString("R", CultureInfo.InvariantCulture);

    public double GetDouble(string key)
    {
        string text = GetString(key);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new ArgumentException($"Metadata '{key}' = '{text}' is not a number.", nameof(key));
    }

    public void SetInt64(string key, long value) => Metadata[key] = value.ToString(CultureInfo.InvariantCulture);

    public long GetInt64(string key)
    {
        string text = GetString(key);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new ArgumentException($"Metadata '{key}' = '{text}' is not an integer.", nameof(key));
    }

    /// <summary>Stores words (an RNG state) as comma-separated decimal text.</summary>
    public void SetWords(string key, ReadOnlySpan<ulong> words)
    {
        var parts = new string[words.Length];
        for (int i = 0; i < words.Length; i++) parts[i] = words[i].ToString(CultureInfo.InvariantCulture);
        Metadata[key] = string.Join(",", parts);
    }

    public ulong[] GetWords(string key)
    {
        string text = GetString(key);
        string[] parts = text.Split(',');
        var words = new ulong[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!ulong.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out words[i]))
                throw new ArgumentException($"Metadata '{key}' = '{text}' is not a list of unsigned integers.", nameof(key));
        }
        return words;
    }

    /// <summary>A deep copy (tensor data included), e.g. to keep a snapshot while training continues.</summary>
    public TrainingState Clone()
    {
        var copy = new TrainingState();
        foreach (var t in _tensors) copy._tensors.Add(new StateTensor(t.Name, (int[])t.Shape.Clone(), (float[])t.Data.Clone()));
        foreach (var kv in Metadata) copy.Metadata[kv.Key] = kv.Value;
        return copy;
    }
}
