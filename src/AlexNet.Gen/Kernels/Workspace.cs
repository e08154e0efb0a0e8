using System;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Scratch memory that kernels borrow (im2col panels, packed weights, partial sums). Each generated model owns
/// one; buffers grow on first use and are kept, so repeated calls at the same batch size allocate nothing.
/// It also holds what a layer keeps across calls: a Winograd convolution's transformed weights packed for the GEMM, one
/// set per tile size its batches have used (1.4–4× the layer's weights each), and a copy of the weights they were made
/// from (rebuilt when the weights change).
/// Not thread-safe: one model, one caller at a time.
/// </summary>
public sealed class Workspace
{
    private float[][] _slots = new float[8][];
    private object?[] _caches = new object?[8];
    private static int _cacheKeys;

    /// <summary>A new key for <see cref="Cache"/> (one per layer configuration type, see Conv2d).</summary>
    internal static int NewCacheKey() => System.Threading.Interlocked.Increment(ref _cacheKeys) - 1;

    /// <summary>What a kernel keeps for one layer across calls (Winograd-transformed weights), by key.</summary>
    internal ref object? Cache(int key)
    {
        if ((uint)key >= (uint)_caches.Length)
            Array.Resize(ref _caches, Math.Max(key + 1, _caches.Length * 2));
        return ref _caches[key];
    }

    /// <summary>A buffer of at least <paramref name="length"/> floats for <paramref name="slot"/>; contents are unspecified.</summary>
    public Span<float> Get(int slot, int length)
    {
        if ((uint)slot >= (uint)_slots.Length)
            Array.Resize(ref _slots, Math.Max(slot + 1, _slots.Length * 2));
        ref float[] buffer = ref _slots[slot];
        if (buffer is null || buffer.Length < length)
            buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return buffer.AsSpan(0, length);
    }

    /// <summary>The array behind <paramref name="slot"/> (for kernels that need stable addresses across threads).</summary>
    public float[] GetArray(int slot, int length)
    {
        Get(slot, length);
        return _slots[slot];
    }
}
