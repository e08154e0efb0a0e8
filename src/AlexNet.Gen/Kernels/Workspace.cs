using System;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// Scratch memory that kernels borrow (im2col panels, packed weights, partial sums). Each generated model owns
/// one; buffers grow on first use and are kept, so repeated calls at the same batch size allocate nothing.
/// Not thread-safe: one model, one caller at a time.
/// </summary>
public sealed class Workspace
{
    private float[][] _slots = new float[8][];

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
