using System;
using System.Collections;
using System.Collections.Generic;

namespace AlexNet.Gen;

/// <summary>
/// One named parameter tensor of a generated model (e.g. <c>conv1.weight</c>, shape [96, 3, 11, 11]).
/// Values and gradients are views into the model's two flat arrays, in PyTorch's layouts.
/// </summary>
public sealed class Parameter
{
    private readonly float[] _values;
    private readonly float[] _gradients;
    private readonly int[] _shape;

    public Parameter(string name, int[] shape, int offset, float[] values, float[] gradients)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        _shape = (int[])(shape ?? throw new ArgumentNullException(nameof(shape))).Clone();
        long length = 1;
        foreach (int d in _shape)
        {
            if (d <= 0) throw new ArgumentException($"Parameter '{name}' has a non-positive dimension {d}.", nameof(shape));
            length *= d;
        }
        if (offset < 0 || offset + length > values.Length || values.Length != gradients.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Parameter '{name}' [{offset}, {offset + length}) lies outside the model's {values.Length} parameters.");
        Offset = offset;
        Length = (int)length;
        _values = values;
        _gradients = gradients;
    }

    /// <summary>The PyTorch-style name, e.g. <c>conv1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The shape, e.g. [out, in/groups, kh, kw] for a convolution weight, [out, in] for a dense weight.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Where this tensor starts in the model's flat parameter array.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The values, readable and writable.</summary>
    public Span<float> Values => _values.AsSpan(Offset, Length);

    /// <summary>The gradient written by the last backward pass, same layout as <see cref="Values"/>.</summary>
    public Span<float> Gradient => _gradients.AsSpan(Offset, Length);

    /// <summary>The shape as text, e.g. <c>[96, 3, 11, 11]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", _shape) + "]";

    public override string ToString() => Name + " " + ShapeText;
}

/// <summary>
/// The parameters of a model in declaration order, by index or by name. <see cref="Values"/> and
/// <see cref="Gradients"/> are the flat arrays behind every tensor, so optimizers can update all at once.
/// </summary>
public sealed class ParameterCollection : IReadOnlyList<Parameter>
{
    private readonly Parameter[] _items;
    private readonly Dictionary<string, Parameter> _byName;

    public ParameterCollection(float[] values, float[] gradients, Parameter[] items)
    {
        Values = values ?? throw new ArgumentNullException(nameof(values));
        Gradients = gradients ?? throw new ArgumentNullException(nameof(gradients));
        _items = items ?? throw new ArgumentNullException(nameof(items));
        _byName = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var p in items)
        {
            if (!_byName.TryAdd(p.Name, p))
                throw new ArgumentException($"Duplicate parameter name '{p.Name}'.", nameof(items));
        }
    }

    /// <summary>All parameter values, tensor after tensor.</summary>
    public float[] Values { get; }

    /// <summary>All gradients, in the same order as <see cref="Values"/>.</summary>
    public float[] Gradients { get; }

    public int Count => _items.Length;

    public Parameter this[int index] => _items[index];

    /// <summary>The parameter with this name; throws <see cref="KeyNotFoundException"/> listing the names otherwise.</summary>
    public Parameter this[string name] => _byName.TryGetValue(name, out var p)
        ? p
        : throw new KeyNotFoundException($"No parameter named '{name}'. The model has: {string.Join(", ", _byName.Keys)}.");

    public bool TryGet(string name, out Parameter parameter) => _byName.TryGetValue(name, out parameter!);

    public bool Contains(string name) => _byName.ContainsKey(name);

    public IEnumerator<Parameter> GetEnumerator() => ((IEnumerable<Parameter>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
