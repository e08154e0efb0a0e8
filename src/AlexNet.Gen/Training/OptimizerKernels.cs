using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using AlexNet.Gen.Kernels;

namespace AlexNet.Gen.Training;

/// <summary>Which vector width a kernel uses (tests run all three and compare bitwise).</summary>
internal enum SimdPath
{
    Scalar,
    Vector256,
    Vector512,
}

/// <summary>The per-step constants of an SGD update, already rounded to float as PyTorch applies them.</summary>
internal readonly struct SgdScalars
{
    public readonly float LearningRate, WeightDecay, Momentum, OneMinusDampening;
    public readonly bool UseWeightDecay, UseMomentum, FirstStep, Nesterov;

    public SgdScalars(double lr, double weightDecay, double momentum, double dampening, bool firstStep, bool nesterov)
    {
        LearningRate = (float)lr;
        WeightDecay = (float)weightDecay;
        Momentum = (float)momentum;
        OneMinusDampening = (float)(1 - dampening);
        UseWeightDecay = weightDecay != 0;
        UseMomentum = momentum != 0;
        FirstStep = firstStep;
        Nesterov = nesterov;
    }
}

/// <summary>The per-step constants of an AdamW update.</summary>
internal readonly struct AdamWScalars
{
    public readonly float DecayFactor, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, NegStepSize, BiasCorrection2Sqrt, Epsilon;

    public AdamWScalars(double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        // As torch.optim.AdamW (single-tensor path): scalars are formed in double, then applied in float.
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2 = 1 - Math.Pow(beta2, step);
        DecayFactor = (float)(1 - lr * weightDecay);
        Beta1 = (float)beta1;
        OneMinusBeta1 = (float)(1 - beta1);
        Beta2 = (float)beta2;
        OneMinusBeta2 = (float)(1 - beta2);
        NegStepSize = (float)(-(lr / bc1));
        BiasCorrection2Sqrt = (float)Math.Sqrt(bc2);
        Epsilon = (float)eps;
    }
}

/// <summary>
/// Element-wise optimizer updates. Every path performs the same IEEE operations in the same order per element
/// (no fused multiply-add: the JIT never contracts), so scalar, 256- and 512-bit results are bitwise equal and
/// any partition over threads gives the same parameters.
/// </summary>
internal static class OptimizerKernels
{
    public static SimdPath Best =>
        Vector512.IsHardwareAccelerated ? SimdPath.Vector512
        : Vector256.IsHardwareAccelerated ? SimdPath.Vector256
        : SimdPath.Scalar;

    public static void Sgd(Span<float> w, ReadOnlySpan<float> g, Span<float> buf, in SgdScalars s, SimdPath path)
    {
        int n = w.Length;
        if (g.Length != n || (s.UseMomentum && buf.Length != n))
            throw new ArgumentException("Parameter, gradient and buffer lengths differ.", nameof(g));
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float br = ref MemoryMarshal.GetReference(buf);
        int i = 0;
        if (path == SimdPath.Vector512)
        {
            var lr = Vector512.Create(s.LearningRate);
            var wd = Vector512.Create(s.WeightDecay);
            var mom = Vector512.Create(s.Momentum);
            var damp = Vector512.Create(s.OneMinusDampening);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var wv = Vector512.LoadUnsafe(ref wr, (nuint)i);
                var d = Vector512.LoadUnsafe(ref gr, (nuint)i);
                if (s.UseWeightDecay) d += wd * wv;
                if (s.UseMomentum)
                {
                    var b = s.FirstStep ? d : mom * Vector512.LoadUnsafe(ref br, (nuint)i) + damp * d;
                    b.StoreUnsafe(ref br, (nuint)i);
                    d = s.Nesterov ? d + mom * b : b;
                }
                (wv - lr * d).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        else if (path == SimdPath.Vector256)
        {
            var lr = Vector256.Create(s.LearningRate);
            var wd = Vector256.Create(s.WeightDecay);
            var mom = Vector256.Create(s.Momentum);
            var damp = Vector256.Create(s.OneMinusDampening);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wv = Vector256.LoadUnsafe(ref wr, (nuint)i);
                var d = Vector256.LoadUnsafe(ref gr, (nuint)i);
                if (s.UseWeightDecay) d += wd * wv;
                if (s.UseMomentum)
                {
                    var b = s.FirstStep ? d : mom * Vector256.LoadUnsafe(ref br, (nuint)i) + damp * d;
                    b.StoreUnsafe(ref br, (nuint)i);
                    d = s.Nesterov ? d + mom * b : b;
                }
                (wv - lr * d).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float wv = Unsafe.Add(ref wr, i);
            float d = Unsafe.Add(ref gr, i);
            if (s.UseWeightDecay) d += s.WeightDecay * wv;
            if (s.UseMomentum)
            {
                float b = s.FirstStep ? d : s.Momentum * Unsafe.Add(ref br, i) + s.OneMinusDampening * d;
                Unsafe.Add(ref br, i) = b;
                d = s.Nesterov ? d + s.Momentum * b : b;
            }
            Unsafe.Add(ref wr, i) = wv - s.LearningRate * d;
        }
    }

    public static void AdamW(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamWScalars s, SimdPath path)
    {
        int n = w.Length;
        if (g.Length != n || m.Length != n || v.Length != n)
            throw new ArgumentException("Parameter, gradient and moment lengths differ.", nameof(g));
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        int i = 0;
        if (path == SimdPath.Vector512)
        {
            var decay = Vector512.Create(s.DecayFactor);
            var omb1 = Vector512.Create(s.OneMinusBeta1);
            var b2 = Vector512.Create(s.Beta2);
            var omb2 = Vector512.Create(s.OneMinusBeta2);
            var step = Vector512.Create(s.NegStepSize);
            var bc2 = Vector512.Create(s.BiasCorrection2Sqrt);
            var eps = Vector512.Create(s.Epsilon);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var wv = Vector512.LoadUnsafe(ref wr, (nuint)i) * decay;
                var gv = Vector512.LoadUnsafe(ref gr, (nuint)i);
                var mv = Vector512.LoadUnsafe(ref mr, (nuint)i);
                mv += omb1 * (gv - mv);
                var vv = Vector512.LoadUnsafe(ref vr, (nuint)i) * b2 + omb2 * gv * gv;
                var denom = Vector512.Sqrt(vv) / bc2 + eps;
                mv.StoreUnsafe(ref mr, (nuint)i);
                vv.StoreUnsafe(ref vr, (nuint)i);
                (wv + step * mv / denom).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        else if (path == SimdPath.Vector256)
        {
            var decay = Vector256.Create(s.DecayFactor);
            var omb1 = Vector256.Create(s.OneMinusBeta1);
            var b2 = Vector256.Create(s.Beta2);
            var omb2 = Vector256.Create(s.OneMinusBeta2);
            var step = Vector256.Create(s.NegStepSize);
            var bc2 = Vector256.Create(s.BiasCorrection2Sqrt);
            var eps = Vector256.Create(s.Epsilon);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wv = Vector256.LoadUnsafe(ref wr, (nuint)i) * decay;
                var gv = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var mv = Vector256.LoadUnsafe(ref mr, (nuint)i);
                mv += omb1 * (gv - mv);
                var vv = Vector256.LoadUnsafe(ref vr, (nuint)i) * b2 + omb2 * gv * gv;
                var denom = Vector256.Sqrt(vv) / bc2 + eps;
                mv.StoreUnsafe(ref mr, (nuint)i);
                vv.StoreUnsafe(ref vr, (nuint)i);
                (wv + step * mv / denom).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float wv = Unsafe.Add(ref wr, i) * s.DecayFactor;
            float gv = Unsafe.Add(ref gr, i);
            // m.lerp_(g, 1 − β1) for weights below 0.5 is m + w·(g − m); v.mul_(β2).addcmul_(g, g, 1 − β2).
            float mv = Unsafe.Add(ref mr, i);
            mv += s.OneMinusBeta1 * (gv - mv);
            float vv = Unsafe.Add(ref vr, i) * s.Beta2 + s.OneMinusBeta2 * gv * gv;
            float denom = MathF.Sqrt(vv) / s.BiasCorrection2Sqrt + s.Epsilon;
            Unsafe.Add(ref mr, i) = mv;
            Unsafe.Add(ref vr, i) = vv;
            Unsafe.Add(ref wr, i) = wv + s.NegStepSize * mv / denom;
        }
    }

    /// <summary>Runs <see cref="Sgd"/> over the flat arrays, split over <see cref="StaticParallel"/> when large.</summary>
    public static void SgdAll(float[] w, float[] g, float[] buf, in SgdScalars s)
    {
        var body = new SgdBody(w, g, buf, s, Best);
        if (w.Length < Optimizer.ParallelThreshold) body.Run(0, w.Length);
        else StaticParallel.For(w.Length, body);
    }

    public static void AdamWAll(float[] w, float[] g, float[] m, float[] v, in AdamWScalars s)
    {
        var body = new AdamWBody(w, g, m, v, s, Best);
        if (w.Length < Optimizer.ParallelThreshold) body.Run(0, w.Length);
        else StaticParallel.For(w.Length, body);
    }

    private readonly struct SgdBody : IParallelBody
    {
        private readonly float[] _w, _g, _buf;
        private readonly SgdScalars _s;
        private readonly SimdPath _path;

        public SgdBody(float[] w, float[] g, float[] buf, in SgdScalars s, SimdPath path)
        {
            _w = w; _g = g; _buf = buf; _s = s; _path = path;
        }

        public void Run(int start, int end)
        {
            int len = end - start;
            Sgd(_w.AsSpan(start, len), _g.AsSpan(start, len), _s.UseMomentum ? _buf.AsSpan(start, len) : default, _s, _path);
        }
    }

    private readonly struct AdamWBody : IParallelBody
    {
        private readonly float[] _w, _g, _m, _v;
        private readonly AdamWScalars _s;
        private readonly SimdPath _path;

        public AdamWBody(float[] w, float[] g, float[] m, float[] v, in AdamWScalars s, SimdPath path)
        {
            _w = w; _g = g; _m = m; _v = v; _s = s; _path = path;
        }

        public void Run(int start, int end)
        {
            int len = end - start;
            AdamW(_w.AsSpan(start, len), _g.AsSpan(start, len), _m.AsSpan(start, len), _v.AsSpan(start, len), _s, _path);
        }
    }
}
