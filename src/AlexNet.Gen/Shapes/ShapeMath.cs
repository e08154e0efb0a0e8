// Shape arithmetic shared verbatim by the runtime and the generator (linked into both), so that what the
// compiler checks at build time is the code the runtime tests exercise. netstandard2.0-compatible C#.
namespace AlexNet.Gen.Shapes
{
    /// <summary>Output sizes and paddings of windowed layers (convolution, pooling), computed without overflow.</summary>
    internal static class ShapeMath
    {
        /// <summary>Sentinel for TensorFlow's SAME padding (equals <c>AlexNet.Gen.Padding.Same</c>).</summary>
        public const int SamePadding = -1;

        /// <summary>
        /// Output length of a window sliding over <paramref name="input"/> with explicit padding:
        /// floor((input + before + after − kernel) / stride) + 1. False when the window does not fit
        /// (output ≤ 0) or an argument is out of range.
        /// </summary>
        public static bool TryWindowOutput(int input, int kernel, int stride, int padBefore, int padAfter, out int output)
        {
            output = 0;
            if (input <= 0 || kernel <= 0 || stride <= 0 || padBefore < 0 || padAfter < 0) return false;
            long padded = (long)input + padBefore + padAfter;
            if (padded < kernel) return false;
            long result = (padded - kernel) / stride + 1;
            if (result > int.MaxValue) return false;
            output = (int)result;
            return true;
        }

        /// <summary>
        /// TensorFlow's SAME: output = ceil(input / stride), total padding max((output − 1)·stride + kernel − input, 0),
        /// the smaller half before.
        /// </summary>
        public static bool TrySamePadding(int input, int kernel, int stride, out int output, out int padBefore, out int padAfter)
        {
            output = padBefore = padAfter = 0;
            if (input <= 0 || kernel <= 0 || stride <= 0) return false;
            long outLength = ((long)input + stride - 1) / stride;
            long total = (outLength - 1) * stride + kernel - input;
            if (total < 0) total = 0;
            if (total > int.MaxValue) return false;
            output = (int)outLength;
            padBefore = (int)(total / 2);
            padAfter = (int)(total - total / 2);
            return true;
        }

        /// <summary>
        /// Real input rows (or columns) that no window covers because the stride does not tile the padded input:
        /// padded extent − ((output − 1)·stride + kernel), less the padding at the end. Zero when nothing is lost.
        /// </summary>
        public static int UncoveredElements(int input, int kernel, int stride, int padBefore, int padAfter, int output)
        {
            long padded = (long)input + padBefore + padAfter;
            long covered = (long)(output - 1) * stride + kernel;
            long dropped = padded - covered;
            // Dropped elements sit at the end; those that are padding lose nothing.
            return dropped > padAfter ? (int)(dropped - padAfter) : 0;
        }

        /// <summary>PyTorch's LocalResponseNorm window: size/2 channels before, (size − 1)/2 after.</summary>
        public static void PyTorchLrnWindow(int size, out int before, out int after)
        {
            before = size / 2;
            after = (size - 1) / 2;
        }

        /// <summary>a·b·c… as a long, or −1 when it exceeds <paramref name="limit"/> (or any factor is non-positive).</summary>
        public static long CheckedProduct(long limit, params long[] factors)
        {
            long product = 1;
            foreach (long f in factors)
            {
                if (f <= 0) return -1;
                if (product > limit / f) return -1;
                product *= f;
            }
            return product;
        }
    }
}
