using System;
using AlexNet.Gen.Benchmarks.Machine;
using AlexNet.Gen.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace AlexNet.Gen.Benchmarks.Layers;

/// <summary>The convolutions timed alone (LayerConfigs.cs).</summary>
public enum ConvLayer
{
    TvConv1, TvConv2, TvConv3, TvConv4, TvConv5,
    PaperConv1, PaperConv2, PaperConv4,
    CompactConv2, CompactConv3,
}

/// <summary>
/// Each convolution of the benchmarked networks through <see cref="Conv2d"/> on <see cref="BenchJobs.Threads"/>
/// threads, forward and backward, at batch 16 (the networks' per-sample work at a quarter of the training batch, which
/// splits over the threads the same way). The GFLOP/s column, read against the FMA peak, shows which layer lags.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class ConvLayerBenchmarks
{
    public const int Batch = 16;

    private IConvRunner _runner = null!;

    [ParamsAllValues]
    public ConvLayer Layer { get; set; }

    [GlobalSetup(Targets = new[] { nameof(Forward), nameof(Backward) })]
    public void Setup()
    {
        StaticParallel.ThreadCount = BenchJobs.Threads;
        _runner = Create(Layer);
        // Grow the workspace outside the measurement.
        _runner.Forward();
        _runner.Backward();
    }

    [Benchmark]
    public void Forward() => _runner.Forward();

    /// <summary>The probe needs only the thread count, not the layer's buffers.</summary>
    [GlobalSetup(Target = nameof(AdjacentFmaPeak))]
    public void ProbeSetup() => StaticParallel.ThreadCount = BenchJobs.Threads;

    /// <summary>The FMA probe again, between this layer's two passes (BenchmarkDotNet runs a layer's cases in declaration
    /// order): the peak the shared machine gave within the same minute.</summary>
    [Benchmark]
    public void AdjacentFmaPeak() => FmaProbe.Run(BenchJobs.Threads, FmaProbe.HardwareWidth);

    /// <summary>Weight, bias and (except for a first layer, as in the networks) input gradients.</summary>
    [Benchmark]
    public void Backward() => _runner.Backward();

    public static double Flops(BenchmarkCase benchmark)
    {
        var runner = Describe((ConvLayer)benchmark.Parameters[nameof(Layer)]);
        double forward = 2.0 * runner.Macs * Batch;
        return benchmark.Descriptor.WorkloadMethod.Name switch
        {
            nameof(Forward) => forward,
            nameof(AdjacentFmaPeak) => FmaProbe.Flops(BenchJobs.Threads, FmaProbe.HardwareWidth),
            nameof(Backward) => runner.FirstLayer ? forward : 2 * forward,
            _ => double.NaN,
        };
    }

    private static IConvRunner Create(ConvLayer layer) => layer switch
    {
        ConvLayer.TvConv1 => new ConvRunner<TvConv1>(firstLayer: true),
        ConvLayer.TvConv2 => new ConvRunner<TvConv2>(false),
        ConvLayer.TvConv3 => new ConvRunner<TvConv3>(false),
        ConvLayer.TvConv4 => new ConvRunner<TvConv4>(false),
        ConvLayer.TvConv5 => new ConvRunner<TvConv5>(false),
        ConvLayer.PaperConv1 => new ConvRunner<PaperConv1>(firstLayer: true),
        ConvLayer.PaperConv2 => new ConvRunner<PaperConv2>(false),
        ConvLayer.PaperConv4 => new ConvRunner<PaperConv4>(false),
        ConvLayer.CompactConv2 => new ConvRunner<CompactConv2>(false),
        ConvLayer.CompactConv3 => new ConvRunner<CompactConv3>(false),
        _ => throw new ArgumentException($"Unknown layer {layer}.", nameof(layer)),
    };

    private static (long Macs, bool FirstLayer) Describe(ConvLayer layer) => layer switch
    {
        ConvLayer.TvConv1 => (ConvRunner<TvConv1>.Macs, true),
        ConvLayer.TvConv2 => (ConvRunner<TvConv2>.Macs, false),
        ConvLayer.TvConv3 => (ConvRunner<TvConv3>.Macs, false),
        ConvLayer.TvConv4 => (ConvRunner<TvConv4>.Macs, false),
        ConvLayer.TvConv5 => (ConvRunner<TvConv5>.Macs, false),
        ConvLayer.PaperConv1 => (ConvRunner<PaperConv1>.Macs, true),
        ConvLayer.PaperConv2 => (ConvRunner<PaperConv2>.Macs, false),
        ConvLayer.PaperConv4 => (ConvRunner<PaperConv4>.Macs, false),
        ConvLayer.CompactConv2 => (ConvRunner<CompactConv2>.Macs, false),
        ConvLayer.CompactConv3 => (ConvRunner<CompactConv3>.Macs, false),
        _ => throw new ArgumentException($"Unknown layer {layer}.", nameof(layer)),
    };

    private interface IConvRunner
    {
        void Forward();
        void Backward();
    }

    private sealed class ConvRunner<T> : IConvRunner where T : struct, IConv2dConfig
    {
        private readonly bool _firstLayer;
        private readonly Workspace _workspace = new();
        private readonly float[] _input, _weight, _bias, _output, _outputGradient, _inputGradient, _weightGradient, _biasGradient;

        public ConvRunner(bool firstLayer)
        {
            _firstLayer = firstLayer;
            int inSize = T.InChannels * T.InHeight * T.InWidth * Batch;
            int outSize = T.OutChannels * T.OutHeight * T.OutWidth * Batch;
            int weightSize = T.OutChannels * (T.InChannels / T.Groups) * T.KernelHeight * T.KernelWidth;
            _input = BenchData.Uniform(1, inSize);
            _weight = BenchData.Uniform(2, weightSize);
            _bias = BenchData.Uniform(3, T.OutChannels);
            _output = new float[outSize];
            _outputGradient = BenchData.Uniform(4, outSize);
            _inputGradient = firstLayer ? Array.Empty<float>() : new float[inSize];
            _weightGradient = new float[weightSize];
            _biasGradient = new float[T.OutChannels];
        }

        /// <summary>Multiply-adds of one image's forward pass.</summary>
        public static long Macs => (long)T.OutChannels * T.OutHeight * T.OutWidth * (T.InChannels / T.Groups) * T.KernelHeight * T.KernelWidth;

        public void Forward() => Conv2d.Forward<T>(_input, _weight, _bias, _output, Batch, _workspace);

        public void Backward() => Conv2d.Backward<T>(_input, _weight, _outputGradient, _firstLayer ? Span<float>.Empty : _inputGradient,
            _weightGradient, _biasGradient, Batch, _workspace);
    }
}

/// <summary>The first dense layer of the AlexNets (9216 → 4096).</summary>
public struct AlexNetFc6 : IDenseConfig
{
    public static int InFeatures => 9216;
    public static int OutFeatures => 4096;
    public static bool HasBias => true;
}

/// <summary>
/// The AlexNets' largest dense layer through <see cref="Dense"/> (batch 1 is a GEMV that streams 151 MB of weights: see
/// its GB/s against the read bandwidth), and the GEMM alone at 1024³ on 1 and 2 threads.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class DenseAndGemmBenchmarks
{
    public const int Batch = 64, GemmSize = 1024;

    private readonly Workspace _workspace = new();
    private float[] _input = Array.Empty<float>(), _weight = Array.Empty<float>(), _bias = Array.Empty<float>();
    private float[] _output = Array.Empty<float>(), _outputGradient = Array.Empty<float>(), _inputGradient = Array.Empty<float>();
    private float[] _weightGradient = Array.Empty<float>(), _biasGradient = Array.Empty<float>();
    private float[] _a = Array.Empty<float>(), _b = Array.Empty<float>(), _c = Array.Empty<float>();

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        StaticParallel.ThreadCount = Threads;
        int inF = AlexNetFc6.InFeatures, outF = AlexNetFc6.OutFeatures;
        _input = BenchData.Uniform(1, Batch * inF);
        _weight = BenchData.Uniform(2, inF * outF);
        _bias = BenchData.Uniform(3, outF);
        _output = new float[Batch * outF];
        _outputGradient = BenchData.Uniform(4, Batch * outF);
        _inputGradient = new float[Batch * inF];
        _weightGradient = new float[inF * outF];
        _biasGradient = new float[outF];
        _a = BenchData.Uniform(5, GemmSize * GemmSize);
        _b = BenchData.Uniform(6, GemmSize * GemmSize);
        _c = new float[GemmSize * GemmSize];
        DenseForwardBatch64();
        DenseBackwardBatch64();
        Gemm1024();
    }

    [Benchmark]
    public void DenseForwardBatch1()
        => Dense.Forward<AlexNetFc6>(_input.AsSpan(0, AlexNetFc6.InFeatures), _weight, _bias, _output.AsSpan(0, AlexNetFc6.OutFeatures), 1, _workspace);

    [Benchmark]
    public void DenseForwardBatch64() => Dense.Forward<AlexNetFc6>(_input, _weight, _bias, _output, Batch, _workspace);

    [Benchmark]
    public void DenseBackwardBatch64()
        => Dense.Backward<AlexNetFc6>(_input, _weight, _outputGradient, _inputGradient, _weightGradient, _biasGradient, Batch, _workspace);

    /// <summary>C = A·B, all 1024×1024, row-major.</summary>
    [Benchmark]
    public void Gemm1024()
        => Gemm.Multiply(false, false, GemmSize, GemmSize, GemmSize, _a, GemmSize, _b, GemmSize, _c, GemmSize, false, _workspace);

    /// <summary>The FMA probe on as many threads, right after the GEMM (see <see cref="ConvLayerBenchmarks.AdjacentFmaPeak"/>).</summary>
    [Benchmark]
    public void AdjacentFmaPeak() => FmaProbe.Run(Threads, FmaProbe.HardwareWidth);

    public static double Flops(BenchmarkCase benchmark)
    {
        double fc6 = 2.0 * AlexNetFc6.InFeatures * AlexNetFc6.OutFeatures;
        return benchmark.Descriptor.WorkloadMethod.Name switch
        {
            nameof(DenseForwardBatch1) => fc6,
            nameof(DenseForwardBatch64) => fc6 * Batch,
            nameof(DenseBackwardBatch64) => 2 * fc6 * Batch,
            nameof(Gemm1024) => 2.0 * GemmSize * GemmSize * GemmSize,
            nameof(AdjacentFmaPeak) => FmaProbe.Flops((int)benchmark.Parameters[nameof(Threads)], FmaProbe.HardwareWidth),
            _ => double.NaN,
        };
    }

    /// <summary>The GEMV reads the whole weight once per call.</summary>
    public static double Bytes(BenchmarkCase benchmark)
        => benchmark.Descriptor.WorkloadMethod.Name == nameof(DenseForwardBatch1)
            ? 4.0 * AlexNetFc6.InFeatures * AlexNetFc6.OutFeatures
            : double.NaN;
}
