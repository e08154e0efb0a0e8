using System;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Scratch memory that kernels borrow (im2col panels, packed weights, partial sums). Each generated model owns
/// one; buffers grow on first use and are kept, so repeated calls at the same batch size allocate nothing. Each buffer is
/// followed by <see cref="TrailingGap"/> floats of address space that nothing touches.
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

    /// <summary>
    /// Floats after every buffer that nothing touches (address space only: the pages are never written, so never backed).
    /// The pinned buffers lie back to back, and a lane's region that began right after memory the other core was using ran
    /// slow: the compact conv3's backward pass, whose first lane writes 1.2 MB of flipped weights at the start of its buffer,
    /// took 105–150 µs for that against 62–65 µs on the second lane, whichever thread wrote there, when the buffer followed
    /// the chunk partials the other lane writes (a lone weight transform, too, when its buffer followed the weights both
    /// cores read: 110 against 63 µs). 64 KB between them made the two equal, 16 KB did not; 1 MB is also the gap between
    /// the lanes' regions within a buffer (Conv2d.LaneStride).
    /// </summary>
    internal const int TrailingGap = 1 << 18;

    /// <summary>A buffer of at least <paramref name="length"/> floats for <paramref name="slot"/>; contents are unspecified.</summary>
    public Span<float> Get(int slot, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if ((uint)slot >= (uint)_slots.Length)
            Array.Resize(ref _slots, Math.Max(slot + 1, _slots.Length * 2));
        ref float[] buffer = ref _slots[slot];
        if (buffer is null || buffer.Length - TrailingGap < length)
            buffer = GC.AllocateUninitializedArray<float>(checked(length + TrailingGap), pinned: true);
        return buffer.AsSpan(0, length);
    }

    /// <summary>Floats usable in <paramref name="slot"/>'s buffer (the largest length asked for so far; 0 before any).</summary>
    internal int Capacity(int slot) => (uint)slot < (uint)_slots.Length && _slots[slot] is { } buffer ? buffer.Length - TrailingGap : 0;

    /// <summary>The array behind <paramref name="slot"/> (for kernels that need stable addresses across threads).</summary>
    public float[] GetArray(int slot, int length)
    {
        Get(slot, length);
        return _slots[slot];
    }
}
