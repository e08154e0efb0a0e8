using System;
using AlexNet.Gen.Kernels;

namespace AlexNet.Gen.Tests.Kernels;

public class WorkspaceTests
{
    [Fact]
    public void BuffersGrowOnceAndAreKept()
    {
        var ws = new Workspace();
        Assert.Equal(0, ws.Capacity(3));
        float[] first = ws.GetArray(3, 1000);
        Assert.Equal(1000, ws.Get(3, 1000).Length);
        Assert.Same(first, ws.GetArray(3, 10));
        Assert.Equal(1000, ws.Capacity(3));
        float[] grown = ws.GetArray(3, 5000);
        Assert.NotSame(first, grown);
        Assert.Equal(5000, ws.Capacity(3));
        Assert.Same(grown, ws.GetArray(3, 5000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ws.Get(3, -1));
    }

    /// <summary>Every buffer ends in <see cref="Workspace.TrailingGap"/> floats that no request reaches, so the next pinned
    /// buffer never starts right after memory in use.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void EveryBufferEndsInAnUntouchedGap(int length)
    {
        var ws = new Workspace();
        float[] buffer = ws.GetArray(0, length);
        Assert.Equal(length, ws.Capacity(0));
        Assert.True(buffer.Length >= length + Workspace.TrailingGap, $"{buffer.Length} floats for {length}");
        Assert.True(Workspace.TrailingGap * sizeof(float) >= 64 * 1024, "the gap must be at least the 64 KB measured to separate two cores' lines");
    }
}
