using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace AlexNet.Gen.Checkpoints;

/// <summary>
/// Saves and loads model parameters as safetensors: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (padded with spaces to a multiple of 8) describing each tensor's dtype, shape and byte range, then the
/// little-endian data. Files load in Hugging Face's safetensors library and vice versa (F32 tensors).
/// </summary>
public static class Checkpoint
{
    /// <summary>
    /// Writes every parameter (model order), then <paramref name="extraTensors"/> (given order), with
    /// <paramref name="metadata"/> in the header. The write is atomic: a temporary file in the same folder is
    /// written and flushed to disk, then moved over <paramref name="path"/>; on failure the old file is untouched.
    /// </summary>
    /// <param name="nameMap">Optional model name → file name (e.g. <c>TorchvisionNames.Invert(TorchvisionNames.AlexNet)</c>).</param>
    public static void Save(string path, ParameterCollection parameters, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlyList<NamedTensor>? extraTensors = null, IReadOnlyDictionary<string, string>? nameMap = null)
        => Save(path, parameters, metadata, extraTensors, nameMap,
            static temp => new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16));

    /// <summary>The write path with the temporary file's stream supplied by <paramref name="openTemp"/> (tests inject failures).</summary>
    internal static void Save(string path, ParameterCollection parameters, IReadOnlyDictionary<string, string>? metadata,
        IReadOnlyList<NamedTensor>? extraTensors, IReadOnlyDictionary<string, string>? nameMap, Func<string, Stream> openTemp)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameters);
        List<(string Name, int[] Shape, float[] Array, int Offset, int Length)> tensors = Collect(parameters, extraTensors, nameMap);
        byte[] header = BuildHeader(tensors, metadata);

        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        string temp = Path.Combine(directory, $"{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Stream? stream = null;
        try
        {
            stream = openTemp(temp);
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var t in tensors) WriteFloats(stream, t.Array.AsSpan(t.Offset, t.Length));
            if (stream is FileStream fs) fs.Flush(flushToDisk: true);
            else stream.Flush();
            stream.Dispose();
            stream = null;
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            stream?.Dispose();
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // The original failure matters more than a leftover temporary file.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="parameters"/>. Everything is validated first (header, dtypes,
    /// shapes against the model, offsets, missing and unexpected tensors) and the data read into staging arrays;
    /// only then are the model's values overwritten, so on any error the model is unchanged.
    /// </summary>
    /// <returns>The metadata and the extra tensors (names starting with an <see cref="CheckpointLoadOptions.ExtraTensorPrefixes"/> entry).</returns>
    /// <exception cref="InvalidDataException">The file is damaged or does not fit the model; the message names the file, the tensor and the mismatch.</exception>
    public static CheckpointContents Load(string path, ParameterCollection parameters, CheckpointLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameters);
        options ??= new CheckpointLoadOptions();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        SafetensorsHeader header = SafetensorsHeader.Read(file, path);

        var targets = new Dictionary<SafetensorsEntry, Parameter>();
        var claimedBy = new Dictionary<string, string>(StringComparer.Ordinal); // model name → file name
        var extras = new List<SafetensorsEntry>();
        var extraSet = new HashSet<SafetensorsEntry>(ReferenceEqualityComparer.Instance);
        var ignored = new List<string>();
        var unexpected = new List<string>();
        foreach (var entry in header.Entries)
        {
            string modelName = options.NameMap is not null && options.NameMap.TryGetValue(entry.Name, out var mapped) ? mapped : entry.Name;
            string described = modelName == entry.Name ? $"tensor '{entry.Name}'" : $"tensor '{entry.Name}' (model parameter '{modelName}')";
            if (options.Exclude is not null && Contains(options.Exclude, modelName))
            {
                ignored.Add(entry.Name);
            }
            else if (parameters.TryGet(modelName, out Parameter p))
            {
                if (!claimedBy.TryAdd(modelName, entry.Name))
                    throw CheckpointError.Create(path, entry.Name, $"tensors '{claimedBy[modelName]}' and '{entry.Name}' both map to model parameter '{modelName}'");
                RequireF32(path, entry, described);
                if (!SameShape(entry.Shape, p.Shape))
                    throw CheckpointError.Create(path, entry.Name, $"{described} has shape {entry.ShapeText} but the model's is {p.ShapeText}");
                targets.Add(entry, p);
            }
            else if (IsExtra(entry.Name, options.ExtraTensorPrefixes))
            {
                RequireReadable(path, entry, described);
                extras.Add(entry);
                extraSet.Add(entry);
            }
            else if (options.AllowUnexpected)
            {
                ignored.Add(entry.Name);
            }
            else
            {
                unexpected.Add(entry.Name);
            }
        }
        if (unexpected.Count > 0)
            throw CheckpointError.Create(path, unexpected[0],
                $"{unexpected.Count} tensor(s) are not parameters of the model: {string.Join(", ", unexpected)} (the model has {ModelNames(parameters)}; " +
                "set AllowUnexpected to ignore them, or a NameMap if the names differ)");

        var missing = new List<string>();
        foreach (Parameter p in parameters)
        {
            if (!claimedBy.ContainsKey(p.Name)) missing.Add(p.Name);
        }
        var notExcluded = missing.FindAll(n => options.Exclude is null || !Contains(options.Exclude, n));
        if (notExcluded.Count > 0 && !options.AllowMissing)
            throw CheckpointError.Create(path, null,
                $"the checkpoint lacks {notExcluded.Count} model parameter(s): {string.Join(", ", notExcluded)} (it has {string.Join(", ", header.Entries.ConvertAll(e => e.Name))}; " +
                "set AllowMissing to keep their current values)");

        // Stage everything, then commit: nothing below the reads can fail.
        var staged = new Dictionary<SafetensorsEntry, float[]>();
        ReadData(file, path, header, e => targets.TryGetValue(e, out var p) ? p.Length : extraSet.Contains(e) ? (int)e.ElementCount : -1, staged);

        var loaded = new List<string>();
        foreach (var entry in header.Entries)
        {
            if (!targets.TryGetValue(entry, out var p)) continue;
            staged[entry].CopyTo(p.Values);
            loaded.Add(p.Name);
        }
        var extraTensors = extras.ConvertAll(e => new NamedTensor(e.Name, ToIntShape(e.Shape), staged[e]));
        return new CheckpointContents(header.Metadata, extraTensors, loaded, ignored, missing);
    }

    /// <summary>Reads and validates every tensor of a checkpoint without a model (all must be F32).</summary>
    public static CheckpointContents Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        SafetensorsHeader header = SafetensorsHeader.Read(file, path);
        foreach (var entry in header.Entries)
        {
            RequireReadable(path, entry, $"tensor '{entry.Name}'");
        }
        var staged = new Dictionary<SafetensorsEntry, float[]>();
        ReadData(file, path, header, e => (int)e.ElementCount, staged);
        var tensors = header.Entries.ConvertAll(e => new NamedTensor(e.Name, ToIntShape(e.Shape), staged[e]));
        return new CheckpointContents(header.Metadata, tensors, Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>());
    }

    private static List<(string, int[], float[], int, int)> Collect(ParameterCollection parameters, IReadOnlyList<NamedTensor>? extraTensors,
        IReadOnlyDictionary<string, string>? nameMap)
    {
        var list = new List<(string, int[], float[], int, int)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Add(string name, int[] shape, float[] array, int offset, int length, string what)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__")
                throw new ArgumentException($"{what} has the name '{name}', which a safetensors file cannot hold.");
            if (!names.Add(name))
                throw new ArgumentException($"Two tensors would be saved as '{name}'.");
            list.Add((name, shape, array, offset, length));
        }
        foreach (Parameter p in parameters)
        {
            string name = nameMap is not null && nameMap.TryGetValue(p.Name, out var mapped) ? mapped : p.Name;
            Add(name, p.Shape.ToArray(), parameters.Values, p.Offset, p.Length, $"Parameter '{p.Name}'");
        }
        if (extraTensors is null) return list;
        foreach (NamedTensor t in extraTensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(extraTensors));
            if (t.Shape is null || t.Data is null) throw new ArgumentException($"Extra tensor '{t.Name}' needs a shape and data.", nameof(extraTensors));
            foreach (int d in t.Shape)
            {
                if (d < 0) throw new ArgumentException($"Extra tensor '{t.Name}' has a negative dimension {d}.", nameof(extraTensors));
            }
            if (t.ElementCount != t.Data.Length)
                throw new ArgumentException($"Extra tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}] ({t.ElementCount} elements) but {t.Data.Length} values.", nameof(extraTensors));
            Add(t.Name, t.Shape, t.Data, 0, t.Data.Length, $"Extra tensor '{t.Name}'");
        }
        return list;
    }

    private static byte[] BuildHeader(List<(string Name, int[] Shape, float[] Array, int Offset, int Length)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            if (metadata is not null)
            {
                // Sorted so the same metadata always gives the same bytes, whatever the dictionary's order.
                var keys = new List<string>(metadata.Keys);
                keys.Sort(StringComparer.Ordinal);
                foreach (string key in keys) json.WriteString(key, metadata[key] ?? throw new ArgumentException($"Metadata '{key}' is null.", nameof(metadata)));
            }
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += 4L * t.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces (valid JSON whitespace) so the data buffer starts 8-byte aligned.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> chunk = stackalloc byte[4096];
        while (!values.IsEmpty)
        {
            int n = Math.Min(values.Length, chunk.Length / 4);
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(chunk[(4 * i)..], values[i]);
            stream.Write(chunk[..(4 * n)]);
            values = values[n..];
        }
    }

    /// <summary>Reads the buffer front to back; tensors for which <paramref name="wanted"/> gives −1 are skipped.</summary>
    private static void ReadData(FileStream file, string path, SafetensorsHeader header, Func<SafetensorsEntry, int> wanted, Dictionary<SafetensorsEntry, float[]> staged)
    {
        foreach (var entry in header.Entries)
        {
            int length = wanted(entry);
            if (length < 0) continue;
            var values = GC.AllocateUninitializedArray<float>(length);
            file.Position = header.DataStart + entry.Begin;
            try
            {
                file.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            catch (EndOfStreamException)
            {
                throw CheckpointError.Create(path, entry.Name, $"the file ended while reading tensor '{entry.Name}' (it changed while being read)");
            }
            if (!BitConverter.IsLittleEndian)
            {
                Span<int> bits = MemoryMarshal.Cast<float, int>(values.AsSpan());
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }
            staged[entry] = values;
        }
    }

    private static void RequireF32(string path, SafetensorsEntry entry, string described)
    {
        if (entry.DType != "F32")
            throw CheckpointError.Create(path, entry.Name, $"{described} has dtype {entry.DType}; only F32 is supported (convert the checkpoint to float32 first)");
    }

    /// <summary>F32, and small enough to be returned as a <see cref="NamedTensor"/> (int shape, one array).</summary>
    private static void RequireReadable(string path, SafetensorsEntry entry, string described)
    {
        RequireF32(path, entry, described);
        if (entry.ElementCount > Array.MaxLength || Array.Exists(entry.Shape, d => d > int.MaxValue))
            throw CheckpointError.Create(path, entry.Name, $"{described} has shape {entry.ShapeText}, too large for one array");
    }

    private static bool SameShape(long[] file, ReadOnlySpan<int> model)
    {
        if (file.Length != model.Length) return false;
        for (int i = 0; i < file.Length; i++)
        {
            if (file[i] != model[i]) return false;
        }
        return true;
    }

    private static int[] ToIntShape(long[] shape) => Array.ConvertAll(shape, d => (int)d);

    private static bool IsExtra(string name, IReadOnlyList<string>? prefixes)
    {
        if (prefixes is null) return false;
        foreach (string prefix in prefixes)
        {
            if (!string.IsNullOrEmpty(prefix) && name.StartsWith(prefix, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static bool Contains(IReadOnlyCollection<string> set, string name)
    {
        if (set is ISet<string> s) return s.Contains(name);
        foreach (string x in set)
        {
            if (x == name) return true;
        }
        return false;
    }

    private static string ModelNames(ParameterCollection parameters)
    {
        var names = new List<string>(parameters.Count);
        foreach (Parameter p in parameters) names.Add(p.Name);
        return string.Join(", ", names);
    }
}
