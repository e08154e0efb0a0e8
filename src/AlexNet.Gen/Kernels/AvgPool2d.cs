using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace AlexNet.Gen.Kernels;

/// <summary>
/// 2-D average pooling over NCHW data, as PyTorch's <c>avg_pool2d</c> (window placement as in <see cref="MaxPool2d"/>).
/// CountIncludePad = true: divisor = (min(hstart + KH, InHeight + PadBottom) − hstart) · (same for columns), with
/// hstart = oh·SH − PadTop before clipping (PyTorch's formula). False: divisor = real input elements in the window.
/// A window lying entirely in padding yields 0. Spans must be at least as long as the tensor they hold.
/// </summary>
public static class AvgPool2d
{
    public static unsafe void Forward<T>(ReadOnlySpan<float> input, Span<float> output, int batch) where T : struct, IAvgPool2dConfig
    {
        PoolGeometry.Validate<T>(batch, input.Length, nameof(input), output.Length, nameof(output));
        int planes = batch * T.Channels;
        fixed (float* pIn = input)
        fixed (float* pOut = output)
        {
            var body = new ForwardBody<T> { Input = pIn, Output = pOut };
            StaticParallel.For(planes, PoolGeometry.Threads<T>(planes), body);
        }
    }

    /// <summary>Spreads each output gradient evenly (÷ divisor) over its window's real inputs; overwrites <paramref name="inputGradient"/>.</summary>
    public static unsafe void Backward<T>(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch) where T : struct, IAvgPool2dConfig
    {
        PoolGeometry.Validate<T>(batch, inputGradient.Length, nameof(inputGradient), outputGradient.Length, nameof(outputGradient));
        int planes = batch * T.Channels;
        fixed (float* pDy = outputGradient)
        fixed (float* pDx = inputGradient)
        {
            var body = new BackwardBody<T> { OutputGradient = pDy, InputGradient = pDx };
            StaticParallel.For(planes, PoolGeometry.Threads<T>(planes), body);
        }
    }

    /// <summary>
    /// Real range [start, end) of window <paramref name="index"/> along one axis and its divisor factor
    /// (the product over both axes is the window divisor; PyTorch's divisor factorizes the same way).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Window<T>(int index, int stride, int padBefore, int padAfter, int kernel, int size, out int start, out int end)
        where T : struct, IAvgPool2dConfig
    {
        int s = index * stride - padBefore;
        int paddedEnd = Math.Min(s + kernel, size + padAfter);
        start = Math.Max(s, 0);
        end = Math.Min(paddedEnd, size);
        return T.CountIncludePad ? paddedEnd - s : end - start;
    }

    private unsafe struct ForwardBody<T> : IParallelBody where T : struct, IAvgPool2dConfig
    {
        public float* Input;
        public float* Output;

        public void Run(int start, int end)
        {
            int inH = T.InHeight, inW = T.InWidth, outH = T.OutHeight, outW = T.OutWidth;
            // Separable: sum the window's rows (vectorized across the row), then each window's columns of that sum.
            Span<float> rowSum = PoolGeometry.ScratchRow(inW);
            for (int plane = start; plane < end; plane++)
            {
                float* x = Input + (long)plane * inH * inW;
                float* y = Output + (long)plane * outH * outW;
                for (int oh = 0; oh < outH; oh++, y += outW)
                {
                    int divH = Window<T>(oh, T.StrideHeight, T.PadTop, T.PadBottom, T.KernelHeight, inH, out int hs, out int he);
                    if (hs >= he)
                    {
                        new Span<float>(y, outW).Clear();
                        continue;
                    }
                    new ReadOnlySpan<float>(x + (long)hs * inW, inW).CopyTo(rowSum);
                    for (int h = hs + 1; h < he; h++)
                        TensorPrimitives.Add(rowSum, new ReadOnlySpan<float>(x + (long)h * inW, inW), rowSum);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int divW = Window<T>(ow, T.StrideWidth, T.PadLeft, T.PadRight, T.KernelWidth, inW, out int ws, out int we);
                        if (ws >= we)
                        {
                            y[ow] = 0f;
                            continue;
                        }
                        float sum = 0f;
                        for (int w = ws; w < we; w++)
                            sum += rowSum[w];
                        y[ow] = sum / (divH * divW);
                    }
                }
            }
        }
    }

    private unsafe struct BackwardBody<T> : IParallelBody where T : struct, IAvgPool2dConfig
    {
        public float* OutputGradient;
        public float* InputGradient;

        public void Run(int start, int end)
        {
            int inH = T.InHeight, inW = T.InWidth, outH = T.OutHeight, outW = T.OutWidth;
            // Per output row: gather what each input column receives from that row's windows, then add that row
            // vector to every input row the windows cover (vectorized).
            Span<float> columnGradient = PoolGeometry.ScratchRow(inW);
            for (int plane = start; plane < end; plane++)
            {
                float* dx = InputGradient + (long)plane * inH * inW;
                float* dy = OutputGradient + (long)plane * outH * outW;
                new Span<float>(dx, inH * inW).Clear();
                for (int oh = 0; oh < outH; oh++, dy += outW)
                {
                    int divH = Window<T>(oh, T.StrideHeight, T.PadTop, T.PadBottom, T.KernelHeight, inH, out int hs, out int he);
                    if (hs >= he) continue;
                    columnGradient.Clear();
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int divW = Window<T>(ow, T.StrideWidth, T.PadLeft, T.PadRight, T.KernelWidth, inW, out int ws, out int we);
                        if (ws >= we) continue;
                        float g = dy[ow] / (divH * divW);
                        for (int w = ws; w < we; w++)
                            columnGradient[w] += g;
                    }
                    for (int h = hs; h < he; h++)
                    {
                        var row = new Span<float>(dx + (long)h * inW, inW);
                        TensorPrimitives.Add(row, columnGradient, row);
                    }
                }
            }
        }
    }
}
