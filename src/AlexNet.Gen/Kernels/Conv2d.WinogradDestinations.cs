using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    /// <summary>
    /// Where a tile transform writes channel c's transformed tiles t0..t0+7: element ξ's vector at At(c, t0) + ξ·Plane.
    /// One struct per layout, so each transform is compiled for its destination without a branch per tile group.
    /// </summary>
    private unsafe interface ITransformDestination
    {
        float* At(int c, int t0);

        /// <summary>Floats between the element planes.</summary>
        nint Plane { get; }

        /// <summary>Called after channel c's tiles t0..t0+7 are written.</summary>
        void Complete(int c, int t0);
    }

    /// <summary>
    /// The forward GEMMs' packed op(B) (<see cref="Gemm.PackedBOffset(int, int, int, int)"/>): channels are the K rows,
    /// tiles the columns. That offset takes three integer divisions, once per 8 tiles of a transform; here the panel
    /// width, a power of two, is a shift, and a channel number below 2¹⁶ divided by the slice depth (below 2¹⁶ too) is
    /// exactly its product with ⌈2³²/depth⌉ shifted right by 32.
    /// </summary>
    private readonly unsafe struct PackedDestination : ITransformDestination
    {
        private readonly float* _v;
        private readonly int _plane, _channels, _paddedTiles, _sliceDepth, _panelWidth, _panelShift;
        private readonly ulong _sliceReciprocal;

        public PackedDestination(float* v, int plane, int channels, int tiles)
        {
            _v = v;
            (_plane, _channels) = (plane, channels);
            (_paddedTiles, _sliceDepth, _panelWidth) = (Gemm.PackedBWidth(tiles), Gemm.SliceDepth, Gemm.PanelWidth);
            _panelShift = System.Numerics.BitOperations.Log2((uint)_panelWidth);
            // 0 when the shortcut does not hold (At then divides).
            bool exact = (1 << _panelShift) == _panelWidth && channels < 1 << 16 && _sliceDepth < 1 << 16;
            _sliceReciprocal = exact ? ((1UL << 32) + (ulong)_sliceDepth - 1) / (ulong)_sliceDepth : 0;
        }

        public nint Plane => _plane;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* At(int c, int t0)
        {
            if (_sliceReciprocal == 0) return _v + Gemm.PackedBOffset(c, t0, _channels, _paddedTiles, _sliceDepth, _panelWidth);
            int pc = (int)(((ulong)(uint)c * _sliceReciprocal) >> 32) * _sliceDepth, sliceRows = Math.Min(_sliceDepth, _channels - pc);
            return _v + (nint)pc * _paddedTiles + (nint)(t0 >> _panelShift) * sliceRows * _panelWidth + (nint)(c - pc) * _panelWidth
                + (t0 & (_panelWidth - 1));
        }

        public void Complete(int c, int t0) { }
    }

    /// <summary>Plain rows: channel c's tiles at v + c·stride (the weight gradient's GEMM A, which its pack interleaves).</summary>
    private readonly unsafe struct PlainDestination(float* v, int plane, int stride) : ITransformDestination
    {
        public nint Plane => plane;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* At(int c, int t0) => v + (nint)c * stride + t0;

        public void Complete(int c, int t0) { }
    }

    /// <summary>
    /// The weight gradient's GEMM B, transposed: element ξ's [<see cref="Rows"/>(tiles) × channels] matrix in the packed
    /// op(B) layout, tiles as the K rows, at v + ξ·<see cref="PlaneSize"/>.
    /// </summary>
    /// <remarks>
    /// A transform yields 8 tiles of one channel per vector, a column of this layout. Written there directly they would be
    /// 8 scattered floats per vector; written to plain rows they made a round trip through L3 before the GEMM's
    /// transposing pack read them back (a tenth of a 5×5 layer's weight gradient). Instead 8 channels' vectors go to a
    /// scratch ([ξ][8 channels][8 tiles], 9 KB at most, in L1) and <see cref="Complete"/> stores each element's 8×8 block
    /// transposed into the packed layout once the 8th channel (or the last) is in. The channels of a panel are visited
    /// for each 8 tiles in turn (<see cref="TileOrder.ChannelPanels"/>).
    /// </remarks>
    private readonly unsafe struct TransposedDestination(float* v, float* scratch, int elements, int channels, int tiles) : ITransformDestination
    {
        private readonly int _rows = Rows(tiles), _paddedChannels = Gemm.PackedBWidth(channels), _planeSize = PlaneSize(tiles, channels);
        private readonly int _sliceDepth = Gemm.SliceDepth, _panelWidth = Gemm.PanelWidth;

        /// <summary>Floats of the scratch: elements·64.</summary>
        public const int ScratchPerElement = 64;

        /// <summary>K rows: whole 8-tile groups (the tiles past the end are zero).</summary>
        public static int Rows(int tiles) => (tiles + 7) / 8 * 8;

        /// <summary>Floats of one element's matrix.</summary>
        public static int PlaneSize(int tiles, int channels) => Gemm.PackedBSize(Rows(tiles), channels);

        public nint Plane => ScratchPerElement;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* At(int c, int t0) => scratch + (c & 7) * 8;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Complete(int c, int t0)
        {
            if ((c & 7) == 7 || c == channels - 1) Store(c & ~7, (c & 7) + 1, t0);
        }

        /// <summary>Channels c0..c0+count−1 of tiles t0..t0+7, every element, from the scratch into the packed layout;
        /// after the last channel, zeros in the padding columns of those rows.</summary>
        [SkipLocalsInit]
        private void Store(int c0, int count, int t0)
        {
            nint* rows = stackalloc nint[8];
            float* block = stackalloc float[64];
            bool contiguous = RowOffsets(c0, t0, rows);
            if (count < 8)
                for (int e = 0; e < elements; e++)
                    for (int i = count; i < 8; i++) Vector256.Store(Vector256<float>.Zero, scratch + e * ScratchPerElement + i * 8);
            for (int e = 0; e < elements; e++)
                StoreBlock(scratch + e * ScratchPerElement, v + (nint)e * _planeSize, rows, contiguous, block);
            if (c0 + count < channels) return;
            for (int z = c0 + 8; z < _paddedChannels; z += 8)
            {
                RowOffsets(z, t0, rows);
                for (int e = 0; e < elements; e++)
                    for (int r = 0; r < 8; r++) Vector256.Store(Vector256<float>.Zero, v + (nint)e * _planeSize + rows[r]);
            }
        }

        /// <summary>Offsets of rows t0..t0+7 at <paramref name="column"/> in an element's matrix: PanelWidth floats apart
        /// (true) unless a K slice ends among them (a test's odd slice depth).</summary>
        private bool RowOffsets(int column, int t0, nint* rows)
        {
            if (t0 % _sliceDepth + 8 <= _sliceDepth)
            {
                rows[0] = Gemm.PackedBOffset(t0, column, _rows, _paddedChannels, _sliceDepth, _panelWidth);
                for (int r = 1; r < 8; r++) rows[r] = rows[0] + r * _panelWidth;
                return true;
            }
            for (int r = 0; r < 8; r++) rows[r] = Gemm.PackedBOffset(t0 + r, column, _rows, _paddedChannels, _sliceDepth, _panelWidth);
            return false;
        }

        /// <summary>The 8×8 block at src ([channel][tile]) transposed to rows of 8 channels at plane + rows[tile] (through
        /// <paramref name="block"/>, 64 floats, when the rows are not contiguous).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void StoreBlock(float* src, float* plane, nint* rows, bool contiguous, float* block)
        {
            if (contiguous)
            {
                Gemm.Transpose8x8(src, 8, plane + rows[0], _panelWidth);
                return;
            }
            Gemm.Transpose8x8(src, 8, block, 8);
            for (int r = 0; r < 8; r++) Vector256.Store(Vector256.Load(block + r * 8), plane + rows[r]);
        }
    }
}
