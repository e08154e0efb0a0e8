using System;
using AlexNet.Gen.Kernels;
using AlexNet.Gen.Training;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace AlexNet.Gen.Benchmarks.Models;

/// <summary>Which implementation a model benchmark runs.</summary>
public enum Engine
{
    /// <summary>The generated network (AlexNet.Gen kernels).</summary>
    Ours,

    /// <summary>The same network in libtorch through TorchSharp, float32.</summary>
    LibTorch,
}

/// <summary>
/// Issue #6: each network, ours against libtorch, both on <see cref="BenchJobs.Threads"/> threads. Inference at batch
/// 1 (latency) and 64 (throughput), and one full training step (forward, loss, backward, SGD with momentum 0.9 and
/// weight decay 5e-4) at the network's training batch. libtorch runs in two jobs (stock malloc and the tuned
/// GLIBC_TUNABLES); ours runs in the stock job only (see <see cref="ModelBenchmarkConfig"/>).
/// </summary>
[Config(typeof(ModelBenchmarkConfig))]
public class ModelBenchmarks
{
    public const int InferenceBatch = 64;
    private const int Seed = 6;
    private const double LearningRate = 1e-3, Momentum = 0.9, WeightDecay = 5e-4;

    private ModelSpec _spec = null!;
    private INetwork _ours = null!;
    private Sgd _sgd = null!;
    private float[] _input = Array.Empty<float>();
    private float[] _output = Array.Empty<float>();
    private int[] _labels = Array.Empty<int>();
    private int _batch;

    private TorchModule? _torch;
    private torch.optim.Optimizer? _torchSgd;
    private Tensor? _torchInput;
    private Tensor? _torchLabels;
    private bool _torchSoftmax;

    [ParamsAllValues]
    public ModelKind Model { get; set; }

    [ParamsAllValues]
    public Engine Engine { get; set; }

    [GlobalSetup(Target = nameof(InferenceBatch1))]
    public void SetupLatency() => Setup(1, training: false);

    [GlobalSetup(Target = nameof(InferenceBatch64))]
    public void SetupThroughput() => Setup(InferenceBatch, training: false);

    [GlobalSetup(Target = nameof(TrainingStep))]
    public void SetupTraining() => Setup(ModelSpec.Get(Model).TrainingBatch, training: true);

    /// <summary>Inference on one image: latency.</summary>
    [Benchmark]
    public void InferenceBatch1() => Infer();

    /// <summary>Inference on 64 images: throughput.</summary>
    [Benchmark]
    public void InferenceBatch64() => Infer();

    /// <summary>Forward with dropout, softmax cross-entropy, backward, one SGD step.</summary>
    [Benchmark]
    public void TrainingStep()
    {
        if (Engine == Engine.Ours)
        {
            _ours.ForwardTraining(_input, _output, _batch);
            _ours.Backward(_labels);
            _sgd.Step();
            return;
        }
        using var scope = torch.NewDisposeScope();
        _torchSgd!.zero_grad();
        var logits = _torch!.call(_torchInput!);
        var loss = F.cross_entropy(logits, _torchLabels!);
        loss.backward();
        _torchSgd.step();
    }

    private void Infer()
    {
        if (Engine == Engine.Ours)
        {
            _ours.Forward(_input, _output, _batch);
            return;
        }
        using var inference = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        var result = _torch!.call(_torchInput!);
        if (_torchSoftmax) F.softmax(result, 1);
    }

    private void Setup(int batch, bool training)
    {
        _spec = ModelSpec.Get(Model);
        _batch = batch;
        _ours = _spec.CreateOurs(Seed);
        _input = BenchData.Uniform(Seed, batch * _spec.InputLength);
        _labels = BenchData.Labels(Seed + 1, batch, _ours.OutputLength);
        _output = new float[batch * _ours.OutputLength];
        if (Engine == Engine.Ours)
        {
            StaticParallel.ThreadCount = BenchJobs.Threads;
            _sgd = new Sgd(_ours.Parameters, LearningRate, Momentum, weightDecay: WeightDecay);
            return;
        }

        torch.set_num_threads(BenchJobs.Threads);
        _torch = TorchNetworks.Build(_spec);
        TorchNetworks.LoadParameters(_torch, _ours.Parameters);
        _torchSoftmax = TorchNetworks.EndsInSoftmax(_spec);
        _torchInput = torch.tensor(_input, new long[] { batch, _spec.Channels, _spec.Height, _spec.Width }, dtype: ScalarType.Float32);
        _torchLabels = torch.tensor(Array.ConvertAll(_labels, l => (long)l), new long[] { batch }, dtype: ScalarType.Int64);
        if (training)
        {
            _torch.train();
            _torchSgd = torch.optim.SGD(_torch.parameters(), LearningRate, momentum: Momentum, weight_decay: WeightDecay);
        }
        else
        {
            _torch.eval();
        }
        // The generated network is only the source of the parameters here; let the GC have it.
        _ours = null!;
    }

    /// <summary>FLOPs of one call (convolutions and dense layers), for the GFLOP/s column.</summary>
    public static double Flops(BenchmarkCase benchmark)
    {
        var spec = ModelSpec.Get((ModelKind)benchmark.Parameters[nameof(Model)]);
        return benchmark.Descriptor.WorkloadMethod.Name switch
        {
            nameof(InferenceBatch1) => spec.InferenceFlops,
            nameof(InferenceBatch64) => spec.InferenceFlops * InferenceBatch,
            nameof(TrainingStep) => spec.TrainingFlops * spec.TrainingBatch,
            _ => double.NaN,
        };
    }

    /// <summary>Images one call processes, for the images/s column.</summary>
    public static int Images(BenchmarkCase benchmark)
    {
        var spec = ModelSpec.Get((ModelKind)benchmark.Parameters[nameof(Model)]);
        return benchmark.Descriptor.WorkloadMethod.Name switch
        {
            nameof(InferenceBatch1) => 1,
            nameof(InferenceBatch64) => InferenceBatch,
            nameof(TrainingStep) => spec.TrainingBatch,
            _ => 0,
        };
    }
}
