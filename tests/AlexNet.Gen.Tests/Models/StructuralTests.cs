using System;
using System.Linq;
using static AlexNet.Gen.Tests.Models.ModelTestUtil;

namespace AlexNet.Gen.Tests.Models;

/// <summary>Parameter counts and layouts of the AlexNets, argument guards, allocation-free inference, and one paper-AlexNet training step.</summary>
[Collection(KernelStateCollection.Name)]
public class StructuralTests
{
    [Fact]
    public void AlexNets_HaveThePublishedParameterCounts()
    {
        Assert.Equal(60_965_224L, PaperAlexNetModel.ParameterCount);
        Assert.Equal(62_378_344L, SingleTowerAlexNet.ParameterCount);
        Assert.Equal(61_100_840L, TorchvisionAlexNet.ParameterCount);
        // The reference's own shape inference agrees.
        Assert.Equal(PaperAlexNetModel.ParameterCount, NetworkReference.FromType(typeof(PaperAlexNetModel)).ParameterCount);
        Assert.Equal(SingleTowerAlexNet.ParameterCount, NetworkReference.FromType(typeof(SingleTowerAlexNet)).ParameterCount);
        Assert.Equal(TorchvisionAlexNet.ParameterCount, NetworkReference.FromType(typeof(TorchvisionAlexNet)).ParameterCount);

        Assert.Equal(3 * 227 * 227, PaperAlexNetModel.InputLength);
        Assert.Equal(3 * 224 * 224, TorchvisionAlexNet.InputLength);
        Assert.Equal(1000, PaperAlexNetModel.OutputLength);
        Assert.Equal(1000, TorchvisionAlexNet.OutputLength);
    }

    [Fact]
    public void AlexNetParameterShapes_ArePyTorchLayouts()
    {
        // Conv weight [out, in/groups, kh, kw]; dense [out, in]. The paper's towers halve conv2/4/5's input depth.
        Assert.Equal(new[] { 96, 3, 11, 11 }, PaperAlexNetModel.Conv1WeightShape.ToArray());
        Assert.Equal(new[] { 256, 48, 5, 5 }, PaperAlexNetModel.Conv2WeightShape.ToArray());
        Assert.Equal(new[] { 384, 256, 3, 3 }, PaperAlexNetModel.Conv3WeightShape.ToArray());
        Assert.Equal(new[] { 384, 192, 3, 3 }, PaperAlexNetModel.Conv4WeightShape.ToArray());
        Assert.Equal(new[] { 256, 192, 3, 3 }, PaperAlexNetModel.Conv5WeightShape.ToArray());
        Assert.Equal(new[] { 4096, 9216 }, PaperAlexNetModel.Fc1WeightShape.ToArray());
        Assert.Equal(new[] { 4096, 4096 }, PaperAlexNetModel.Fc2WeightShape.ToArray());
        Assert.Equal(new[] { 1000, 4096 }, PaperAlexNetModel.Fc3WeightShape.ToArray());
        Assert.Equal(new[] { 256 }, PaperAlexNetModel.Conv5BiasShape.ToArray());

        Assert.Equal(new[] { 256, 96, 5, 5 }, SingleTowerAlexNet.Conv2WeightShape.ToArray());
        Assert.Equal(new[] { 384, 384, 3, 3 }, SingleTowerAlexNet.Conv4WeightShape.ToArray());

        Assert.Equal(new[] { 64, 3, 11, 11 }, TorchvisionAlexNet.Conv1WeightShape.ToArray());
        Assert.Equal(new[] { 192, 64, 5, 5 }, TorchvisionAlexNet.Conv2WeightShape.ToArray());
        Assert.Equal(new[] { 384, 192, 3, 3 }, TorchvisionAlexNet.Conv3WeightShape.ToArray());
        Assert.Equal(new[] { 256, 384, 3, 3 }, TorchvisionAlexNet.Conv4WeightShape.ToArray());
        Assert.Equal(new[] { 256, 256, 3, 3 }, TorchvisionAlexNet.Conv5WeightShape.ToArray());
        Assert.Equal(new[] { 4096, 9216 }, TorchvisionAlexNet.Fc1WeightShape.ToArray());
        Assert.Equal(new[] { 1000, 4096 }, TorchvisionAlexNet.Fc3WeightShape.ToArray());
    }

    [Fact]
    public void PaperAlexNet_TrainingStepAtBatch2_GivesAFiniteLossAndGradients()
    {
        var model = new PaperAlexNetModel(seed: 1);
        var reference = NetworkReference.FromType(typeof(PaperAlexNetModel));

        // Layout: names, order, shapes and contiguous offsets covering exactly ParameterCount floats.
        var expected = reference.ExpectedParameters().ToList();
        Assert.Equal(expected.Select(e => e.Name), model.Parameters.Select(p => p.Name));
        Assert.All(expected.Zip(model.Parameters), pair => Assert.Equal(pair.First.Shape, pair.Second.Shape.ToArray()));
        long offset = 0;
        foreach (var p in model.Parameters)
        {
            Assert.Equal(offset, p.Offset);
            offset += p.Length;
        }
        Assert.Equal(PaperAlexNetModel.ParameterCount, offset);
        Assert.Equal(PaperAlexNetModel.ParameterCount, model.Parameters.Values.Length);

        // The paper's initialization: bias 0 on conv1/conv3/fc3, 1 on conv2/4/5 and fc1/fc2; weights N(0, 0.01²).
        Assert.All(model.Parameters["conv1.bias"].Values.ToArray(), b => Assert.Equal(0f, b));
        Assert.All(model.Parameters["conv2.bias"].Values.ToArray(), b => Assert.Equal(1f, b));
        Assert.All(model.Parameters["fc2.bias"].Values.ToArray(), b => Assert.Equal(1f, b));
        var fc2 = model.Parameters["fc2.weight"].Values.ToArray();
        double std = Math.Sqrt(fc2.Average(v => (double)v * v));
        Assert.InRange(std, 0.0099, 0.0101);

        const int batch = 2;
        var input = Input(batch * PaperAlexNetModel.InputLength, 3);
        var output = new float[batch * PaperAlexNetModel.OutputLength];
        model.ForwardTraining(input, output, batch);
        for (int n = 0; n < batch; n++)
        {
            var row = output.AsSpan(n * 1000, 1000).ToArray();
            Assert.All(row, p => Assert.True(p > 0 && p < 1, $"probability {p}"));
            Assert.Equal(1.0, row.Sum(p => (double)p), 4);
        }
        float loss = model.Backward(new[] { 3, 999 });
        Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        // The loss is the mean −log p of the labels read off the output.
        AssertClose(loss, -(Math.Log(output[3]) + Math.Log(output[1000 + 999])) / 2, 1e-4, "loss vs output");
        foreach (var p in model.Parameters)
        {
            var g = p.Gradient.ToArray();
            Assert.True(g.All(float.IsFinite), $"{p.Name}: non-finite gradient");
            Assert.True(g.Any(v => v != 0), $"{p.Name}: all-zero gradient");
        }
    }

    [Fact]
    public void TorchvisionAlexNet_OneForward_GivesFiniteLogits()
    {
        var model = new TorchvisionAlexNet(seed: 9);
        Assert.False(model.OutputsProbabilities);
        var output = new float[TorchvisionAlexNet.OutputLength];
        model.Forward(Input(TorchvisionAlexNet.InputLength, 4), output, 1);
        Assert.True(output.All(float.IsFinite));
        Assert.True(output.Distinct().Count() > 900, "the logits are not all equal");
    }

    [Fact]
    public void Forward_RejectsWrongLengths_NamingThem()
    {
        INetwork model = new MixedOptionsNet(seed: 1);
        int inputLength = MixedOptionsNet.InputLength, outputLength = MixedOptionsNet.OutputLength;
        foreach (var forward in new Action<float[], float[], int>[] { (i, o, n) => model.Forward(i, o, n), (i, o, n) => model.ForwardTraining(i, o, n) })
        {
            var shortInput = Assert.Throws<ArgumentException>(() => forward(new float[2 * inputLength - 1], new float[2 * outputLength], 2));
            Assert.Contains((2 * inputLength - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), shortInput.Message);
            Assert.Contains((2 * inputLength).ToString(System.Globalization.CultureInfo.InvariantCulture), shortInput.Message);
            Assert.Equal("input", shortInput.ParamName);

            var longOutput = Assert.Throws<ArgumentException>(() => forward(new float[2 * inputLength], new float[2 * outputLength + 1], 2));
            Assert.Contains((2 * outputLength + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), longOutput.Message);
            Assert.Contains((2 * outputLength).ToString(System.Globalization.CultureInfo.InvariantCulture), longOutput.Message);
            Assert.Equal("output", longOutput.ParamName);

            Assert.ThrowsAny<ArgumentException>(() => forward(Array.Empty<float>(), Array.Empty<float>(), 0));
            Assert.ThrowsAny<ArgumentException>(() => forward(new float[inputLength], new float[outputLength], -1));
        }
    }

    [Fact]
    public void Forward_SecondCallAtTheSameBatchSize_AllocatesNothing()
    {
        var model = new TinyAlexNet(seed: 1);
        const int batch = 3;
        var input = Input(batch * TinyAlexNet.InputLength, 5);
        var output = new float[batch * TinyAlexNet.OutputLength];
        model.Forward(input, output, batch); // warm-up: buffers and JIT
        Assert.Equal(0, KernelThreadAllocations.Of(() => model.Forward(input, output, batch)));
        model.Forward(input.AsSpan(0, TinyAlexNet.InputLength), output.AsSpan(0, TinyAlexNet.OutputLength), 1);
        Assert.Equal(0, KernelThreadAllocations.Of(() => model.Forward(input.AsSpan(0, TinyAlexNet.InputLength), output.AsSpan(0, TinyAlexNet.OutputLength), 1)));
    }

    [Fact]
    public void TrainingStep_SecondCallAtTheSameBatchSize_AllocatesNothing()
    {
        var model = new TinyAlexNet(seed: 1);
        const int batch = 3;
        var input = Input(batch * TinyAlexNet.InputLength, 5);
        var output = new float[batch * TinyAlexNet.OutputLength];
        var labels = new[] { 0, 4, 2 };
        var outputGradient = new float[output.Length];
        void Step()
        {
            model.ForwardTraining(input, output, batch);
            model.Backward(labels, 0.1f);
            model.BackwardFromOutputGradient(outputGradient);
        }
        Step();
        Assert.Equal(0, KernelThreadAllocations.Of(Step));
    }

    /// <summary>
    /// Inference between ForwardTraining and Backward (evaluating mid-step, on other data and another batch size) leaves
    /// what backward reads alone: inference writes its own two buffers, training keeps one per layer. Same bits.
    /// </summary>
    [Fact]
    public void InferenceBetweenForwardTrainingAndBackward_LeavesTheGradientsUnchanged()
    {
        const int batch = 3;
        var input = Input(batch * TinyAlexNet.InputLength, 5);
        var other = Input(2 * TinyAlexNet.InputLength, 9);
        var labels = new[] { 0, 4, 2 };
        var output = new float[batch * TinyAlexNet.OutputLength];
        var otherOutput = new float[2 * TinyAlexNet.OutputLength];

        var plain = new TinyAlexNet(seed: 1);
        plain.ForwardTraining(input, output, batch);
        float plainLoss = plain.Backward(labels);

        var interleaved = new TinyAlexNet(seed: 1);
        interleaved.ForwardTraining(input, output, batch);
        interleaved.Forward(other, otherOutput, 2);
        float loss = interleaved.Backward(labels);

        Assert.Equal(BitConverter.SingleToInt32Bits(plainLoss), BitConverter.SingleToInt32Bits(loss));
        Assert.Equal(plain.Parameters.Gradients, interleaved.Parameters.Gradients);
        Assert.Contains(plain.Parameters.Gradients, g => g != 0);
    }

    [Fact]
    public void SameSeed_SameParameters_OtherSeed_OtherParameters()
    {
        var a = new TinyAlexNet(seed: 5).Parameters.Values;
        var b = new TinyAlexNet(seed: 5).Parameters.Values;
        var c = new TinyAlexNet(seed: 6).Parameters.Values;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Contains(a, v => v != 0);
    }
}
