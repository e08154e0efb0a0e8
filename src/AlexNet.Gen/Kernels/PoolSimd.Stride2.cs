using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlexNet.Gen.Kernels;

// The horizontal pass of the stride-2 max pools (AlexNet's 3×3/2, the compact net's 2×2/2) on AVX-512. The eight-wide
// pass gathers each window column (one gather per column and eight outputs, two for the argmax), and rows with fewer than
// eight whole windows (the compact net's 14 → 7 and 7 → 3) ran the scalar loop: its 2×2 pool after conv2 took 3.6 % of a
// training step. Here the row of column maxima is split once into its even and odd columns (two permutes per 32
// columns); window column 2·ow − PadLeft + t is then element ow + ⌊(t − PadLeft)/2⌋ of the even or the odd half, so
// sixteen windows' column t is one plain load, and a short row is one masked store. The comparisons per lane are those
// of the other passes (the same maximum, the same first row and column among equal maxima): the same bits.
internal static unsafe partial class PoolSimd
{
    /// <summary>Floats past a split half that the sixteen-wide loads of <see cref="WindowMaxStride2{T}"/> may read.</summary>
    private const int HalfSlack = 32;

    /// <summary>Test switch: false leaves the stride-2 rows to the eight-wide pass.</summary>
    internal static bool Stride2Enabled = true;

    /// <summary>Floats of one split half of a row of <paramref name="width"/> columns, with the loads' slack.</summary>
    public static int HalfLength(int width) => (width + 1) / 2 + HalfSlack;

    /// <summary>
    /// Whether the stride-2 pass runs (Vector512 in hardware, stride 2, at least one whole window), and the outputs
    /// [<paramref name="start"/>, <paramref name="end"/>) whose windows lie wholly inside the row.
    /// </summary>
    public static bool Stride2<T>(out int start, out int end) where T : struct, IPool2dConfig
    {
        WholeWindows<T>(out start, out end);
        return T.StrideWidth == 2 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported && VectorEnabled && Stride2Enabled && end > start;
    }

    /// <summary>
    /// even[j] = row[2j], odd[j] = row[2j + 1] for the <paramref name="width"/> columns of <paramref name="row"/> (32 at a
    /// time; <paramref name="row"/> holds 32 readable floats past its end, whose halves land past the valid ones).
    /// </summary>
    public static void Split(float* row, int width, float* even, float* odd)
    {
        Vector512<int> evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odds = evens + Vector512<int>.One;
        for (int c = 0, j = 0; c < width; c += 32, j += 16)
        {
            Vector512<float> a = Vector512.Load(row + c), b = Vector512.Load(row + c + 16);
            Vector512.Store(Avx512F.PermuteVar16x32x2(a, evens, b), even + j);
            Vector512.Store(Avx512F.PermuteVar16x32x2(a, odds, b), odd + j);
        }
    }

    /// <summary>Where window column t of output 0 sits in the split halves (output ow's is ow further on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TItem* Half<T, TItem>(TItem* even, TItem* odd, int t) where T : struct, IPool2dConfig where TItem : unmanaged
    {
        int q = t - T.PadLeft; // column 2·ow + q
        return (q & 1) == 0 ? even + (q >> 1) : odd + ((q - 1) >> 1);
    }

    /// <summary>Lanes [0, <paramref name="count"/>) of <paramref name="v"/> to <paramref name="p"/> (a short last group).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFirst(float* p, int count, Vector512<float> v)
    {
#if NET9_0_OR_GREATER
        Avx512F.MaskStore(p, Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).AsSingle(), v);
#else
        float* lanes = stackalloc float[16];
        Vector512.Store(v, lanes);
        for (int i = 0; i < count; i++) p[i] = lanes[i];
#endif
    }

    /// <summary>y[ow] = max over the window's columns (in column order, NaN-propagating as <see cref="System.Math.Max(float, float)"/>)
    /// for the outputs [start, end), from the row's split halves.</summary>
    public static void WindowMaxStride2<T>(float* even, float* odd, int start, int end, float* y) where T : struct, IPool2dConfig
    {
        for (int ow = start; ow < end; ow += 16)
        {
            Vector512<float> m = Vector512.Load(Half<T, float>(even, odd, 0) + ow);
            for (int t = 1; t < T.KernelWidth; t++)
                m = Vector512.Max(m, Vector512.Load(Half<T, float>(even, odd, t) + ow));
            if (ow + 16 <= end) Vector512.Store(m, y + ow);
            else StoreFirst(y + ow, end - ow, m);
        }
    }

    /// <summary>
    /// As the training pass's scalar loop for the outputs [start, end): the window's largest column maximum, the smaller
    /// row then the smaller column among equals; y and the flat index row·InWidth + column. The halves are those of the
    /// column maxima and of their rows.
    /// </summary>
    public static void WindowArgMaxStride2<T>(float* evenMax, float* oddMax, int* evenRow, int* oddRow, int start, int end, float* y, int* arg)
        where T : struct, IPool2dConfig
    {
        Vector512<int> lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for (int ow = start; ow < end; ow += 16)
        {
            // Column of tap t: 2·ow − PadLeft + t.
            Vector512<int> first = (lanes + Vector512.Create(ow)) * 2 - Vector512.Create(T.PadLeft), col = first;
            Vector512<float> m = Vector512.Load(Half<T, float>(evenMax, oddMax, 0) + ow);
            Vector512<int> row = Vector512.Load(Half<T, int>(evenRow, oddRow, 0) + ow);
            for (int t = 1; t < T.KernelWidth; t++)
            {
                Vector512<float> v = Vector512.Load(Half<T, float>(evenMax, oddMax, t) + ow);
                Vector512<int> r = Vector512.Load(Half<T, int>(evenRow, oddRow, t) + ow), c = first + Vector512.Create(t);
                Vector512<int> take = Vector512.GreaterThan(v, m).AsInt32() | (Vector512.Equals(v, m).AsInt32() & Vector512.LessThan(r, row));
                m = Vector512.ConditionalSelect(take.AsSingle(), v, m);
                row = Vector512.ConditionalSelect(take, r, row);
                col = Vector512.ConditionalSelect(take, c, col);
            }
            Vector512<int> index = row * T.InWidth + col;
            if (ow + 16 <= end)
            {
                Vector512.Store(m, y + ow);
                Vector512.Store(index, arg + ow);
            }
            else
            {
                StoreFirst(y + ow, end - ow, m);
                StoreFirst((float*)(arg + ow), end - ow, index.AsSingle());
            }
        }
    }
}
