using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    // The input transforms read element (i, j) of 8 tiles' patches per vector. Tiles step m = 2 (or 4) columns apart,
    // so those elements are every m-th float of an input row, and gathering them (36 masked gathers per 8 tiles and
    // channel for 5×5) took more time than the transform's arithmetic. Instead each block's input is copied once,
    // zero-padded, with every row split into its m column phases: element (i, j) of tile (th, tw) then sits at
    //   padded[(m·th + i)·mL + (j mod m)·L + tw + j / m]   (L = TilesWide + ⌈n/m⌉, n = 4 or 6 the patch size),
    // so 8 tiles of one tile row are one plain load, and 8 tiles that wrap onto the next row two masked loads.

    /// <summary>Rows of a channel's padded copy (m·TilesHigh + n − m) and floats per phase (TilesWide + ⌈n/m⌉).</summary>
    private static int PaddedRows(in WinogradPlan plan) => plan.Tile * plan.TilesHigh + plan.Patch - plan.Tile;

    private static int PhaseLength(in WinogradPlan plan) => plan.TilesWide + (plan.Patch + plan.Tile - 1) / plan.Tile;

    /// <summary>Floats of the padded, phase-split copy of <paramref name="samples"/> samples of one group, and the
    /// <see cref="PaddedSlack"/> its narrow rows' whole-vector stores may overhang.</summary>
    internal static int PaddedPatchesSize(in Geometry g, in WinogradPlan plan, int samples) =>
        checked(samples * g.InPerGroup * PaddedPlane(plan) + PaddedSlack);

    /// <summary>Floats past a channel's last padded row that <see cref="SplitNarrowRow"/> and <see cref="SplitNarrowRow4"/> may
    /// write (at most 8, zeros).</summary>
    private const int PaddedSlack = 16;

    /// <summary>
    /// Floats of one channel's padded copy: its rows, then <see cref="PaddedSlack"/> floats that only the last row's overhang
    /// writes. Without them that overhang (zeros) landed on the next channel's first row: harmless when that row is top
    /// padding, but with no top padding it is input, and when the threads split a block's channels the next channel may
    /// belong to the other thread, which had already filled it (a 32 → 16-channel layer without padding, an even output
    /// height and batch 1 or 3 gave wrong outputs in about one run in three).
    /// </summary>
    internal static int PaddedPlane(in WinogradPlan plan) => PaddedRows(plan) * plan.Tile * PhaseLength(plan) + PaddedSlack;

    /// <summary>
    /// What a tile transform reads: the block's size×size patches (size 4 or 6 for the input transforms, 2 for the
    /// output gradient's tiles), from the padded copy of its map or, for maps too narrow for it, gathered from x.
    /// </summary>
    private unsafe struct PatchOperands
    {
        public Geometry G;
        public WinogradPlan Plan;
        public int Tiles, Size;
        public float* X, Padded;
        public nint Plane;
        public int* Patch, Offsets, Inside;
        public Vector256<int>* Index;
        public Vector256<float>* Mask;

        /// <summary>
        /// Fills the padded copy of the block's samples (g: the map read, as an input) and the offsets of the patch
        /// elements (i·size + j) in a channel's copy. Scratch: size² patch offsets, gather indices and masks; 16 ints.
        /// </summary>
        public static PatchOperands Prepare(in Geometry g, in WinogradPlan plan, int size, float* x, int tiles, float* padded, int* patch,
            Vector256<int>* index, Vector256<float>* mask, int* lanes) =>
            Prepare(g, plan, size, x, tiles, padded, patch, index, mask, lanes, 0, g.InPerGroup);

        /// <summary>As above, filling the padded copy of channels [<paramref name="c0"/>, <paramref name="c1"/>) only.</summary>
        public static PatchOperands Prepare(in Geometry g, in WinogradPlan plan, int size, float* x, int tiles, float* padded, int* patch,
            Vector256<int>* index, Vector256<float>* mask, int* lanes, int c0, int c1)
        {
            FillPaddedPatches(g, plan, x, (tiles + plan.TilesPerSample - 1) / plan.TilesPerSample, padded, c0, c1);
            for (int e = 0; e < size * size; e++) patch[e] = PatchSource.Offset(plan, e / size, e % size);
            return new PatchOperands
            {
                G = g, Plan = plan, Tiles = tiles, Size = size, X = x, Padded = padded, Plane = PaddedPlane(plan), Patch = patch,
                Index = index, Mask = mask, Offsets = lanes, Inside = lanes + 8,
            };
        }

        public readonly void PrepareGathers(int t0) => PatchGather(G, Plan, t0, Tiles, Size, Index, Mask, Offsets, Inside);

        /// <summary>Element e of tiles t0..t0+7's patches in channel c.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Fetch(in PatchSource source, float* xc, float* pc, int e) => source.Fetch(xc, pc, Index, Mask, Patch, e);

        public readonly float* Channel(int c) => X + (nint)c * G.InPixels;

        public readonly float* ChannelCopy(int c) => Padded + c * Plane;
    }

    /// <summary>
    /// Fills <paramref name="padded"/> from the <paramref name="samples"/> samples at x (one group's channels). Rows of at
    /// most 32 floats (maps up to 13–27 wide) come straight from the input by masked loads (lanes outside the image read
    /// zero without touching memory), split into their 2 or 4 column phases in registers (<see cref="SplitNarrowRow"/>,
    /// <see cref="SplitNarrowRow4"/>);
    /// a copy into a zeroed line and a call splitting it, 7–14 floats at a time, had cost more than the copying (4 % of
    /// the Fashion-MNIST sample's training time). Wider rows go through that line.
    /// </summary>
    [SkipLocalsInit]
    internal static unsafe void FillPaddedPatches(in Geometry g, in WinogradPlan plan, float* x, int samples, float* padded, int c0, int c1)
    {
        int rows = PaddedRows(plan), length = PhaseLength(plan), pitch = plan.Tile * length, plane = PaddedPlane(plan);
        int left = g.PadLeft, width = Math.Min(g.InWidth, pitch - left);
        bool narrow = Avx2.IsSupported && pitch <= 32;
        // Wide rows: one padded input row (2L floats), zero outside the image; columns past 2L are never read by a tile.
        float* line = stackalloc float[narrow ? 1 : pitch];
        // Narrow rows: load[v], lane i: padded column 8v + i is input column 8v + i − left, inside [0, width).
        Vector256<float>* load = stackalloc Vector256<float>[4];
        if (narrow)
        {
            Vector256<int> lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            for (int v = 0; v < 4; v++)
            {
                Vector256<int> column = lane + Vector256.Create(8 * v - left);
                load[v] = (Vector256.GreaterThanOrEqual(column, Vector256<int>.Zero) & Vector256.LessThan(column, Vector256.Create(width))).AsSingle();
            }
        }
        else new Span<float>(line, pitch).Clear();
        for (int s = 0; s < samples; s++)
            for (int c = c0; c < c1; c++)
            {
                float* xc = x + (nint)s * g.InputSize + (nint)c * g.InPixels;
                float* dst = padded + ((nint)s * g.InPerGroup + c) * plane;
                for (int r = 0; r < rows; r++, dst += pitch)
                {
                    int ih = r - g.PadTop;
                    if ((uint)ih >= (uint)g.InHeight)
                    {
                        if (narrow) ZeroNarrowRow(dst, pitch);
                        else new Span<float>(dst, pitch).Clear();
                        continue;
                    }
                    float* row = xc + (nint)ih * g.InWidth;
                    if (narrow)
                    {
                        if (plan.Tile == 4) SplitNarrowRow4(row - left, load, dst, length);
                        else SplitNarrowRow(row - left, load, (pitch + 15) / 16, dst, length);
                        continue;
                    }
                    new ReadOnlySpan<float>(row, width).CopyTo(new Span<float>(line + left, width));
                    SplitColumnPhases(line, pitch, plan.Tile, dst, length);
                }
            }
    }

    /// <summary>
    /// Zeros a padding row of at most 32 floats by whole-vector stores, as the narrow rows are written: the overhang (at most
    /// 7 floats) lands on the next row, written after this one, or in the <see cref="PaddedSlack"/>. Instead of a Span.Clear
    /// call per 12–28 floats: the compact conv3's input-gradient copy (3 padding rows of a channel's 10) 14.0–14.5 →
    /// 13.0–13.1 µs a block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ZeroNarrowRow(float* dst, int pitch)
    {
        for (int i = 0; i < pitch; i += 8) Vector256.Store(Vector256<float>.Zero, dst + i);
    }

    /// <summary>
    /// dst[j] = padded column 2j and dst[L + j] = column 2j + 1 for j &lt; L (L = <paramref name="length"/>), the padded
    /// row read from <paramref name="src"/> (its column 0; masked lanes before or after the row are never read), 16
    /// columns per chunk. Whole-vector stores, the even phase first: its overhang into the odd phase is rewritten by the
    /// odd stores, whose overhang lands on the next row (written after this one) or, after the last row, in the
    /// <see cref="PaddedSlack"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SplitNarrowRow(float* src, Vector256<float>* load, int chunks, float* dst, int length)
    {
        Vector256<float> odd0 = default, odd1 = default;
        for (int q = 0; q < chunks; q++)
        {
            Vector256<float> a = Avx.MaskLoad(src + 16 * q, load[2 * q]), b = Avx.MaskLoad(src + 16 * q + 8, load[2 * q + 1]);
            // Even (odd) floats per 128-bit lane, then the 64-bit permute puts the lanes in order.
            Vector256.Store(Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle(), dst + 8 * q);
            Vector256<float> odd = Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle();
            if (q == 0) odd0 = odd;
            else odd1 = odd;
        }
        Vector256.Store(odd0, dst + length);
        if (chunks > 1) Vector256.Store(odd1, dst + length + 8);
    }

    /// <summary>
    /// dst[p·L + j] = padded column 4j + p (p = 0..3, j &lt; L) for rows of at most 32 padded floats, as
    /// <see cref="SplitNarrowRow"/> with four phases: four masked loads, the 4×4 transposes of
    /// <see cref="SplitColumnPhases"/>, one whole-vector store per phase in phase order (each overhang, at most 8 − L
    /// floats, is rewritten by the next phase, the next row or lands in the <see cref="PaddedSlack"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SplitNarrowRow4(float* src, Vector256<float>* load, float* dst, int length)
    {
        Vector256<float> r0 = Avx.MaskLoad(src, load[0]), r1 = Avx.MaskLoad(src + 8, load[1]);
        Vector256<float> r2 = Avx.MaskLoad(src + 16, load[2]), r3 = Avx.MaskLoad(src + 24, load[3]);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        Vector256.Store(Avx2.PermuteVar8x32(Avx.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(), order), dst);
        Vector256.Store(Avx2.PermuteVar8x32(Avx.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle(), order), dst + length);
        Vector256.Store(Avx2.PermuteVar8x32(Avx.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(), order), dst + 2 * length);
        Vector256.Store(Avx2.PermuteVar8x32(Avx.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle(), order), dst + 3 * length);
    }

    /// <summary>A transform's work on 8 tiles of one channel (<see cref="ForEachTileGroup"/>).</summary>
    private unsafe interface ITileTransform
    {
        /// <summary>Sets up the gather indices of tiles t0..t0+7, before their channels, when their source gathers.</summary>
        void PrepareGathers(int t0);

        void Run(in PatchSource source, int channel, int t0);

        /// <summary>Whether <see cref="RunPair"/> does two channels in one pass (the packed order then calls it).</summary>
        bool Pairs { get; }

        /// <summary>Channels c and c + 1 of tiles t0..t0+7 (non-gathering sources only): the same values as two <see cref="Run"/> calls.</summary>
        void RunPair(in PatchSource source, int channel, int t0);
    }

    /// <summary>8-tile groups whose patch sources <see cref="ForEachTileGroup"/> computes together.</summary>
    private const int SourceGroups = 64;

    /// <summary>The order in which <see cref="ForEachTileGroup"/> visits channels and 8-tile groups.</summary>
    private enum TileOrder
    {
        /// <summary>Packed destinations, panel by panel: a tile group's channels are adjacent and a panel row is NR
        /// tiles of one channel, written whole.</summary>
        Panels,
        /// <summary>Plain destination rows: channels outer, so each of a channel's n² planes is written as one sequential
        /// stream instead of one vector per plane and channel before the next tiles (which cost a transform up to twice
        /// its time in a 5×5 weight gradient).</summary>
        ChannelsOuter,
        /// <summary>The transposed destination: for each panel of channels, every tile group's channels in turn.</summary>
        ChannelPanels,
    }

    /// <summary>
    /// Runs <paramref name="body"/> over every channel (or channels [<paramref name="first"/>, <paramref name="end"/>) of
    /// the <paramref name="channels"/> a sample has; end −1: all) and 8-tile group in the given <paramref name="order"/>.
    /// Groups that gather keep 8 tiles outer (within a channel panel for <see cref="TileOrder.ChannelPanels"/>), so their
    /// indices are set up once.
    /// </summary>
    private static unsafe void ForEachTileGroup<TBody>(in WinogradPlan plan, int tiles, int channels, TileOrder order, ref TBody body,
        int first = 0, int end = -1) where TBody : struct, ITileTransform
    {
        if (end < 0) end = channels;
        PatchSource* sources = stackalloc PatchSource[SourceGroups];
        for (int c0 = 0; c0 < tiles; c0 += 8 * SourceGroups)
        {
            int c1 = Math.Min(tiles, c0 + 8 * SourceGroups);
            bool gathers = false;
            for (int t0 = c0; t0 < c1; t0 += 8)
            {
                sources[(t0 - c0) / 8] = PatchSource.Of(plan, t0, tiles, channels);
                gathers |= sources[(t0 - c0) / 8].Gathers;
            }
            if (order == TileOrder.ChannelPanels)
            {
                // A panel's channels for each 8 tiles in turn: the transposed destination's 8×8 blocks, each panel's
                // rows of every element plane written as one sequential stream.
                int width = Math.Max(8, Gemm.PanelWidth);
                for (int p0 = first; p0 < end; p0 += width)
                    for (int t0 = c0; t0 < c1; t0 += 8)
                    {
                        PatchSource* source = sources + (t0 - c0) / 8;
                        if (source->Gathers) body.PrepareGathers(t0);
                        for (int c = p0; c < Math.Min(end, p0 + width); c++) body.Run(*source, c, t0);
                    }
                continue;
            }
            if (order == TileOrder.ChannelsOuter && !gathers)
            {
                for (int c = first; c < end; c++)
                    for (int t0 = c0; t0 < c1; t0 += 8)
                        body.Run(sources[(t0 - c0) / 8], c, t0);
                continue;
            }
            if (!gathers)
            {
                // Packed: a panel row holds NR tiles of one channel; fill it whole before the next channel.
                int step = Math.Max(8, Gemm.PanelWidth);
                for (int p0 = c0; p0 < c1; p0 += step)
                {
                    int c = first;
                    if (body.Pairs)
                        for (; c + 2 <= end; c += 2)
                            for (int t0 = p0; t0 < Math.Min(c1, p0 + step); t0 += 8)
                                body.RunPair(sources[(t0 - c0) / 8], c, t0);
                    for (; c < end; c++)
                        for (int t0 = p0; t0 < Math.Min(c1, p0 + step); t0 += 8)
                            body.Run(sources[(t0 - c0) / 8], c, t0);
                }
                continue;
            }
            for (int t0 = c0; t0 < c1; t0 += 8)
            {
                PatchSource* source = sources + (t0 - c0) / 8;
                if (source->Gathers) body.PrepareGathers(t0);
                for (int c = first; c < end; c++) body.Run(*source, c, t0);
            }
        }
    }

    /// <summary>
    /// Where 8 tiles' patches come from: one run of consecutive tiles in one tile row (a plain load), two runs (two
    /// masked loads), or, when they span more rows (maps under 4 tiles wide), gathers from the input itself.
    /// </summary>
    private unsafe struct PatchSource
    {
        public bool Gathers, Split, Halves;
        public nint Base0, Base1;
        public Vector256<float> Mask0, Mask1;

        /// <summary>Runs of tiles t0..t0+7 (tiles past the end read zero) in the padded copy.</summary>
        public static PatchSource Of(in WinogradPlan plan, int t0, int tiles, int channelsPerSample)
        {
            int length = PhaseLength(plan), rowPitch = plan.Tile * length, plane = PaddedPlane(plan);
            var source = new PatchSource();
            int* run = stackalloc int[8];
            nint base0 = 0, base1 = 0;
            int runs = 0;
            for (int lane = 0; lane < 8; lane++)
            {
                int t = t0 + lane;
                if (t >= tiles) { run[lane] = -1; continue; }
                int s = t / plan.TilesPerSample, r = t - s * plan.TilesPerSample;
                nint start = (nint)s * channelsPerSample * plane + (nint)(plan.Tile * (r / plan.TilesWide)) * rowPitch + r % plan.TilesWide - lane;
                if (runs > 0 && start == base0 && run[lane - 1] == 0) run[lane] = 0;
                else if (runs > 1 && start == base1 && run[lane - 1] == 1) run[lane] = 1;
                else if (runs == 0) { base0 = start; run[lane] = 0; runs = 1; }
                else if (runs == 1) { base1 = start; run[lane] = 1; runs = 2; }
                else { source.Gathers = true; return source; }
            }
            source.Base0 = base0;
            source.Base1 = base1;
            source.Split = runs > 1 || run[7] < 0;
            // Two runs of four (maps 4 tiles wide): each half a plain 128-bit load.
            source.Halves = HalfLoads && runs == 2 && run[3] == 0 && run[4] == 1 && run[7] == 1;
            if (source.Split)
            {
                Vector256<int> lanes = Vector256.Load(run);
                source.Mask0 = Vector256.Equals(lanes, Vector256<int>.Zero).AsSingle();
                source.Mask1 = Vector256.Equals(lanes, Vector256<int>.One).AsSingle();
            }
            return source;
        }

        /// <summary>Offset of patch element (i, j) from a tile's origin in a channel's padded copy.</summary>
        public static int Offset(in WinogradPlan plan, int i, int j) =>
            (i * plan.Tile + j % plan.Tile) * PhaseLength(plan) + j / plan.Tile;

        /// <summary>Element e of the 8 tiles' patches: from the padded copy of the channel (pc), or gathered from x (xc).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Fetch(float* xc, float* pc, Vector256<int>* index, Vector256<float>* mask, int* offsets, int e) =>
            Gathers ? Avx2.GatherMaskVector256(Vector256<float>.Zero, xc, index[e], mask[e], 4) : Load(pc, offsets[e]);

        /// <summary>Element at <paramref name="offset"/> of the 8 tiles' patches in the channel whose copy starts at pc.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Load(float* pc, int offset) =>
            Split ? SplitInChannel(pc).At(offset) : InChannel(pc).At(offset);

        /// <summary>The loads of a one-run source (not <see cref="Split"/>, not <see cref="Gathers"/>) in the channel copy at pc.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly OneRun InChannel(float* pc) => new(pc + Base0);

        /// <summary>The loads of a <see cref="Halves"/> source in the channel copy at pc: lane i of the second run reads Base1 + i,
        /// so its four tiles start at Base1 + 4.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly HalfRuns HalvesInChannel(float* pc) => new(pc + Base0, pc + Base1 + 4);

        /// <summary>The loads of a <see cref="Split"/> source in the channel copy at pc.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TwoRuns SplitInChannel(float* pc) => new(pc + Base0, pc + Base1, Mask0, Mask1);
    }

    // A transform fetching through PatchSource.Fetch decided the kind of source at every element, and since its stores
    // might alias the source the JIT reloaded the source's fields each time (torchvision conv4's 4×4 input transform at
    // batch 1 took 107–118 µs; 70–80 this way). The transforms of the padded copy decide once per 8 tiles and run a body
    // generic over one of these, whose fields are locals.

    /// <summary>Element loads of 8 tiles' patches: the 8 floats at <c>offset</c> from the tiles' origin in one channel's copy.</summary>
    private unsafe interface IPatchLoad
    {
        Vector256<float> At(nint offset);
    }

    /// <summary>8 consecutive tiles of one tile row: a plain load.</summary>
    private readonly unsafe struct OneRun(float* origin) : IPatchLoad
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> At(nint offset) => Vector256.Load(origin + offset);
    }

    /// <summary>Test switch for <see cref="PatchSource.Halves"/>.</summary>
    internal static bool HalfLoads = true;

    /// <summary>8 tiles in two runs of four (tile rows of a map 4 tiles wide): two 128-bit loads, no masks.</summary>
    private readonly unsafe struct HalfRuns(float* first, float* second) : IPatchLoad
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> At(nint offset) => Vector256.Create(Vector128.Load(first + offset), Vector128.Load(second + offset));
    }

    /// <summary>8 tiles in two runs (a tile row's end and the next's start, or tiles past the end): two masked loads.</summary>
    private readonly unsafe struct TwoRuns(float* first, float* second, Vector256<float> firstLanes, Vector256<float> secondLanes) : IPatchLoad
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> At(nint offset) => Avx.Or(Avx.MaskLoad(first + offset, firstLanes), Avx.MaskLoad(second + offset, secondLanes));
    }
}
