using System;
using AlexNet.Gen;
using AlexNet.Gen.Training;

namespace AlexNet.Gen.Tests.Integration;

/// <summary>
/// A synthetic 1×16×16 image task: class 0 shows a horizontal bar, class 1 a vertical one, at a random position,
/// length (6–12), thickness (1–2) and brightness, on Gaussian noise; half the images of either class also hold a
/// bright 3×3 square. The brightness budget is the same for both classes and the bar can be anywhere, so no
/// single pixel (and no linear template) tells the classes apart: the network has to learn oriented filters.
/// </summary>
internal static class OrientedBars
{
    public const int Size = 16;
    public const int SampleLength = Size * Size;

    public static (float[] Images, int[] Labels) Generate(int count, ulong seed, float noise = 0.25f)
    {
        var rng = new SeededRandom(seed);
        var images = new float[count * SampleLength];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = rng.NextInt(2);
            labels[n] = label;
            var image = images.AsSpan(n * SampleLength, SampleLength);
            for (int i = 0; i < image.Length; i++) image[i] = noise * (float)rng.NextGaussian();

            int length = 6 + rng.NextInt(7);
            int thickness = 1 + rng.NextInt(2);
            float brightness = 0.7f + 0.6f * rng.NextSingle();
            int along = rng.NextInt(Size - length + 1);
            int across = rng.NextInt(Size - thickness + 1);
            for (int a = 0; a < length; a++)
            {
                for (int t = 0; t < thickness; t++)
                {
                    int row = label == 0 ? across + t : along + a;
                    int column = label == 0 ? along + a : across + t;
                    image[row * Size + column] += brightness;
                }
            }
            if (rng.NextInt(2) == 1)
            {
                int top = rng.NextInt(Size - 2), left = rng.NextInt(Size - 2);
                float blob = 0.7f + 0.6f * rng.NextSingle();
                for (int r = 0; r < 3; r++)
                {
                    for (int c = 0; c < 3; c++) image[(top + r) * Size + left + c] += blob;
                }
            }
        }
        return (images, labels);
    }

    public static InMemoryData Data(int count, ulong seed)
    {
        var (images, labels) = Generate(count, seed);
        return new InMemoryData(images, labels, SampleLength);
    }
}
