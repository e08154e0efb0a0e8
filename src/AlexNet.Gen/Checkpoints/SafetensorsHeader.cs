using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;

namespace AlexNet.Gen.Checkpoints;

/// <summary>One tensor entry of a safetensors header, offsets relative to the data buffer.</summary>
internal sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End, long ElementCount)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// Reads and validates a safetensors header against the file it came from: length bounds, UTF-8, JSON
/// structure, dtypes, shapes, and that the tensors tile the data buffer exactly (no overlap, no hole, no tail),
/// as the format requires.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The same bound as the reference implementation: a larger header is taken as damage, not data.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly Dictionary<string, int> DTypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private SafetensorsHeader(Dictionary<string, string> metadata, List<SafetensorsEntry> entries, long dataStart, long bufferLength)
    {
        Metadata = metadata;
        Entries = entries;
        DataStart = dataStart;
        BufferLength = bufferLength;
    }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>Tensors in header order.</summary>
    public List<SafetensorsEntry> Entries { get; }

    /// <summary>File offset of the data buffer (8 + header length).</summary>
    public long DataStart { get; }

    public long BufferLength { get; }

    public static SafetensorsHeader Read(Stream file, string path)
    {
        long fileLength = file.Length;
        if (fileLength < 8)
            throw CheckpointError.Create(path, null, $"the file has {fileLength} bytes; a safetensors file starts with an 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        file.Position = 0;
        file.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2)
            throw CheckpointError.Create(path, null, $"header length {headerLength} is too small for a JSON object");
        if (headerLength > MaxHeaderLength)
            throw CheckpointError.Create(path, null, $"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit (the file is damaged or not a safetensors file)");
        if ((long)headerLength > fileLength - 8)
            throw CheckpointError.Create(path, null, $"header length {headerLength} runs past the end of the file ({fileLength} bytes; the file is truncated or damaged)");

        byte[] json = new byte[headerLength];
        file.ReadExactly(json);
        try
        {
            new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(json);
        }
        catch (DecoderFallbackException ex)
        {
            throw CheckpointError.Create(path, null, $"the header is not valid UTF-8 ({ex.Message})");
        }

        long dataStart = 8 + (long)headerLength;
        long bufferLength = fileLength - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            throw CheckpointError.Create(path, null, $"the header is not valid JSON ({ex.Message})");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw CheckpointError.Create(path, null, $"the header is a JSON {root.ValueKind}, not an object");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafetensorsEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = property.Name;
                if (!seen.Add(name))
                    throw CheckpointError.Create(path, name, $"'{name}' appears twice in the header");
                if (name == "__metadata__")
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, name, property.Value, bufferLength));
            }
            CheckTiling(path, entries, bufferLength);
            return new SafetensorsHeader(metadata, entries, dataStart, bufferLength);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw CheckpointError.Create(path, null, $"__metadata__ is a JSON {value.ValueKind}; it must be an object of strings");
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw CheckpointError.Create(path, null, $"__metadata__ entry '{item.Name}' is a JSON {item.Value.ValueKind}; metadata values must be strings");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw CheckpointError.Create(path, null, $"__metadata__ entry '{item.Name}' appears twice");
        }
    }

    private static SafetensorsEntry ReadEntry(string path, string name, JsonElement value, long bufferLength)
    {
        if (name.Length == 0) throw CheckpointError.Create(path, name, "a tensor has an empty name");
        if (value.ValueKind != JsonValueKind.Object)
            throw CheckpointError.Create(path, name, $"tensor '{name}' is described by a JSON {value.ValueKind}, not an object");

        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null: dtype = field.Value; break;
                case "shape" when shape is null: shape = field.Value; break;
                case "data_offsets" when offsets is null: offsets = field.Value; break;
                case "dtype" or "shape" or "data_offsets":
                    throw CheckpointError.Create(path, name, $"tensor '{name}' has field '{field.Name}' twice");
                default:
                    throw CheckpointError.Create(path, name, $"tensor '{name}' has an unknown field '{field.Name}' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw CheckpointError.Create(path, name, $"tensor '{name}' lacks {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}");

        if (dtype.Value.ValueKind != JsonValueKind.String)
            throw CheckpointError.Create(path, name, $"tensor '{name}' has a dtype that is a JSON {dtype.Value.ValueKind}, not a string");
        string dtypeName = dtype.Value.GetString()!;
        if (!DTypeSizes.TryGetValue(dtypeName, out int elementSize))
            throw CheckpointError.Create(path, name, $"tensor '{name}' has unknown dtype '{dtypeName}'");

        if (shape.Value.ValueKind != JsonValueKind.Array)
            throw CheckpointError.Create(path, name, $"tensor '{name}' has a shape that is a JSON {shape.Value.ValueKind}, not an array");
        var dims = new long[shape.Value.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (JsonElement d in shape.Value.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long size) || size < 0)
                throw CheckpointError.Create(path, name, $"tensor '{name}' has shape entry {i} = {d.GetRawText()}; sizes must be non-negative integers");
            dims[i++] = size;
            // Compared by division so the product never overflows; a tensor larger than the whole buffer is damage.
            if (size != 0 && elements > bufferLength / size)
                elements = long.MaxValue;
            else
                elements = elements == long.MaxValue ? elements : elements * size;
        }
        if (Array.IndexOf(dims, 0L) >= 0) elements = 0;

        if (offsets.Value.ValueKind != JsonValueKind.Array || offsets.Value.GetArrayLength() != 2)
            throw CheckpointError.Create(path, name, $"tensor '{name}' has data_offsets {offsets.Value.GetRawText()}; expected [begin, end]");
        long begin = Offset(path, name, offsets.Value[0], "begin");
        long end = Offset(path, name, offsets.Value[1], "end");
        if (begin > end)
            throw CheckpointError.Create(path, name, $"tensor '{name}' has data_offsets [{begin}, {end}]: begin is after end");
        if (end > bufferLength)
            throw CheckpointError.Create(path, name, $"tensor '{name}' has data_offsets [{begin}, {end}] outside the {bufferLength}-byte data buffer (the file is truncated or damaged)");
        if (elements == long.MaxValue || end - begin != elements * elementSize)
        {
            string count = elements == long.MaxValue ? "more than the buffer can hold" : $"{elements} elements, {elements * elementSize} bytes";
            throw CheckpointError.Create(path, name, $"tensor '{name}' has shape [{string.Join(", ", dims)}] of {dtypeName} ({count}) but data_offsets [{begin}, {end}] span {end - begin} bytes");
        }
        return new SafetensorsEntry(name, dtypeName, dims, begin, end, elements);
    }

    private static long Offset(string path, string name, JsonElement value, string which)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long v) && v >= 0) return v;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out ulong big))
            throw CheckpointError.Create(path, name, $"tensor '{name}' has data_offsets {which} {big}, beyond any file");
        throw CheckpointError.Create(path, name, $"tensor '{name}' has data_offsets {which} {value.GetRawText()}; offsets must be non-negative integers");
    }

    private static void CheckTiling(string path, List<SafetensorsEntry> entries, long bufferLength)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long cursor = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin < cursor)
                throw CheckpointError.Create(path, e.Name, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}) and '{e.Name}' [{e.Begin}, {e.End}) overlap in the data buffer");
            if (e.Begin > cursor)
                throw CheckpointError.Create(path, e.Name, $"bytes [{cursor}, {e.Begin}) of the data buffer belong to no tensor (before '{e.Name}'); safetensors buffers have no holes");
            cursor = e.End;
            previous = e;
        }
        if (cursor != bufferLength)
            throw CheckpointError.Create(path, null, $"the data buffer has {bufferLength - cursor} bytes after the last tensor ends at {cursor}; the file is damaged or was appended to");
    }
}
