using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace AlexNet.Gen.Tests.Checkpoints;

/// <summary>Hand-built parameter collections.</summary>
internal static class TestModels
{
    public static readonly (string Name, int[] Shape)[] Small =
    {
        ("conv1.weight", new[] { 2, 3, 3, 3 }),
        ("conv1.bias", new[] { 2 }),
        ("fc1.weight", new[] { 4, 8 }),
        ("fc1.bias", new[] { 4 }),
    };

    /// <summary>torchvision-shaped (but tiny) AlexNet: conv1…conv5, fc1…fc3.</summary>
    public static readonly (string Name, int[] Shape)[] TinyAlexNet =
    {
        ("conv1.weight", new[] { 4, 3, 3, 3 }), ("conv1.bias", new[] { 4 }),
        ("conv2.weight", new[] { 5, 4, 3, 3 }), ("conv2.bias", new[] { 5 }),
        ("conv3.weight", new[] { 6, 5, 3, 3 }), ("conv3.bias", new[] { 6 }),
        ("conv4.weight", new[] { 6, 6, 3, 3 }), ("conv4.bias", new[] { 6 }),
        ("conv5.weight", new[] { 4, 6, 3, 3 }), ("conv5.bias", new[] { 4 }),
        ("fc1.weight", new[] { 8, 16 }), ("fc1.bias", new[] { 8 }),
        ("fc2.weight", new[] { 8, 8 }), ("fc2.bias", new[] { 8 }),
        ("fc3.weight", new[] { 10, 8 }), ("fc3.bias", new[] { 10 }),
    };

    public static ParameterCollection Create((string Name, int[] Shape)[] layout, int seed)
    {
        int total = layout.Sum(p => p.Shape.Aggregate(1, (a, b) => a * b));
        var values = new float[total];
        var grads = new float[total];
        var rng = new Random(seed);
        for (int i = 0; i < total; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        var items = new Parameter[layout.Length];
        int offset = 0;
        for (int i = 0; i < layout.Length; i++)
        {
            items[i] = new Parameter(layout[i].Name, layout[i].Shape, offset, values, grads);
            offset += items[i].Length;
        }
        return new ParameterCollection(values, grads, items);
    }

    /// <summary>The values' bit patterns, so NaN payloads and −0 compare exactly.</summary>
    public static int[] Bits(ReadOnlySpan<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}

/// <summary>A minimal safetensors parser and writer written from the format description, independent of the code under test.</summary>
internal static class MiniSafetensors
{
    public sealed record Tensor(string DType, long[] Shape, long Begin, long End);

    public sealed record File(ulong HeaderLength, string HeaderText, Dictionary<string, string> Metadata, Dictionary<string, Tensor> Tensors, List<string> Order, byte[] Buffer)
    {
        public float[] Floats(string name)
        {
            Tensor t = Tensors[name];
            var result = new float[(t.End - t.Begin) / 4];
            for (int i = 0; i < result.Length; i++)
                result[i] = BinaryPrimitives.ReadSingleLittleEndian(Buffer.AsSpan((int)t.Begin + 4 * i));
            return result;
        }
    }

    public static File Parse(byte[] bytes)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string text = Encoding.UTF8.GetString(bytes, 8, (int)n);
        using var doc = JsonDocument.Parse(text);
        var metadata = new Dictionary<string, string>();
        var tensors = new Dictionary<string, Tensor>();
        var order = new List<string>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                foreach (var m in p.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            long[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = p.Value.GetProperty("data_offsets");
            tensors[p.Name] = new Tensor(p.Value.GetProperty("dtype").GetString()!, shape, offsets[0].GetInt64(), offsets[1].GetInt64());
            order.Add(p.Name);
        }
        return new File(n, text, metadata, tensors, order, bytes[(8 + (int)n)..]);
    }

    /// <summary>Writes a file from a literal header and buffer (no padding added unless asked).</summary>
    public static byte[] Raw(string header, byte[] buffer, bool pad = true)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        int length = pad ? (json.Length + 7) / 8 * 8 : json.Length;
        var bytes = new byte[8 + length + buffer.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length, length - json.Length).Fill((byte)' ');
        buffer.CopyTo(bytes, 8 + length);
        return bytes;
    }

    /// <summary>Writes F32 tensors with contiguous offsets, in the given order.</summary>
    public static byte[] Write(IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, string dtype = "F32")
    {
        var header = new StringBuilder("{");
        var buffer = new List<byte>();
        bool first = true;
        foreach (var (name, shape, data) in tensors)
        {
            if (!first) header.Append(',');
            first = false;
            long begin = buffer.Count;
            foreach (float v in data)
            {
                var four = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                buffer.AddRange(four);
            }
            header.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{buffer.Count}]}}");
        }
        header.Append('}');
        return Raw(header.ToString(), buffer.ToArray());
    }
}

/// <summary>A stream that fails after a given number of bytes, writing the bytes before that to an inner stream.</summary>
internal sealed class FailingStream : Stream
{
    private readonly Stream _inner;
    private readonly long _failAfter;
    private long _written;

    public FailingStream(Stream inner, long failAfter)
    {
        _inner = inner;
        _failAfter = failAfter;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long room = _failAfter - _written;
        if (buffer.Length > room)
        {
            _inner.Write(buffer[..(int)Math.Max(0, room)]);
            _inner.Flush();
            _written = _failAfter;
            throw new IOException($"Injected failure after {_failAfter} bytes.");
        }
        _inner.Write(buffer);
        _written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() => _inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
