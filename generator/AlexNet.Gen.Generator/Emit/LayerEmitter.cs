using AlexNet.Gen.Generator.Model;
using static AlexNet.Gen.Generator.Emit.NetworkEmitter;

namespace AlexNet.Gen.Generator.Emit;

/// <summary>
/// Emits each layer: its forward (and training forward) and backward methods, each a call of a runtime kernel
/// specialized by a config struct whose static members are this layer's constants.
/// </summary>
internal static class LayerEmitter
{
    private const string ROS = "global::System.ReadOnlySpan<float>";
    private const string S = "global::System.Span<float>";

    public static string FieldName(LayerPlan l, string suffix) => "_" + char.ToLowerInvariant(l.MemberName[0]) + l.MemberName.Substring(1) + suffix;

    /// <summary>Layers whose training forward differs from inference (keeps masks, indices or scales).</summary>
    public static bool HasTrainingForward(LayerPlan l) => l.Kind is LayerKind.Dropout or LayerKind.MaxPool2d or LayerKind.LocalResponseNorm or LayerKind.TfLocalResponseNorm;

    public static void EmitFields(SourceWriter w, LayerPlan l)
    {
        if (!BufferPlan.OwnsOutput(l, training: true)) return; // Flatten, a fused ReLU: their output is another layer's
        w.Line($"private float[] {FieldName(l, "Output")} = global::System.Array.Empty<float>();");
        switch (l.Kind)
        {
            case LayerKind.Dropout:
                w.Line($"private float[] {FieldName(l, "Mask")} = global::System.Array.Empty<float>();");
                break;
            case LayerKind.MaxPool2d:
                w.Line($"private int[] {FieldName(l, "Argmax")} = global::System.Array.Empty<int>();");
                break;
            case LayerKind.LocalResponseNorm:
            case LayerKind.TfLocalResponseNorm:
                w.Line($"private float[] {FieldName(l, "Scale")} = global::System.Array.Empty<float>();");
                break;
        }
    }

    public static void EmitTrainingAllocations(SourceWriter w, LayerPlan l, string? output)
    {
        long length = l.Output.Length;
        if (output is not null) w.Line($"{output} = new float[n * {length}];");
        switch (l.Kind)
        {
            case LayerKind.Dropout:
                w.Line($"{FieldName(l, "Mask")} = new float[n * {length}];");
                break;
            case LayerKind.MaxPool2d:
                w.Line($"{FieldName(l, "Argmax")} = new int[n * {length}];");
                break;
            case LayerKind.LocalResponseNorm:
            case LayerKind.TfLocalResponseNorm:
                w.Line($"{FieldName(l, "Scale")} = new float[n * {length}];");
                break;
        }
    }

    public static void EmitLayer(SourceWriter w, NetworkPlan plan, int i, BufferPlan buffers)
    {
        var l = plan.Layers[i];
        string m = l.MemberName;
        string config = m + "Config";
        string shapes = $"[N, {Dims(l.Input)}] → [N, {Dims(l.Output)}]";
        string cost = l.ParameterCount > 0 || l.MultiplyAdds > 0
            ? $"; {SummaryEmitter.Group(l.ParameterCount)} parameters, {SummaryEmitter.Group(l.MultiplyAdds)} multiply-adds per sample"
            : "";
        string title = $"{l.Name}: {l.Kind}{(l.Options.Length > 0 ? " " + l.Options : "")}, {shapes}{cost}.";
        string n = "n";
        string outLen = $"{n} * {l.Output.Length}";
        string trainIn = buffers.Input(i, true);
        string trainOut = buffers.Output(i, true);

        w.Line($"// ---- {SummaryEmitter.EscapeXml(title)}");
        switch (l.Kind)
        {
            case LayerKind.Conv2d:
            case LayerKind.Dense:
            {
                string kernel = l.Kind == LayerKind.Conv2d ? "Conv2d" : "Dense";
                string bias = l.HasBias ? m + "Bias" : S + ".Empty";
                string biasGradient = l.HasBias ? m + "BiasGradient" : S + ".Empty";
                Summary(w, l.FusedRelu ? title + " Writes max(0, ·): the ReLU after it is fused." : title);
                w.Line($"private void {m}Forward({ROS} x, {S} y, int n) => {Kernels}{kernel}.Forward<{config}>(x, {m}Weight, {bias}, y, n, _workspace);");
                Summary(w, $"Gradients of {l.Name}: weight and bias (summed over the batch) and, unless empty, input.");
                w.Line($"private void {m}Backward({ROS} dy, {S} dx, int n) => {Kernels}{kernel}.Backward<{config}>({trainIn}, {m}Weight, dy, dx, {m}WeightGradient, {biasGradient}, n, _workspace);");
                if (l.Kind == LayerKind.Conv2d) EmitConvConfig(w, l, config); else EmitDenseConfig(w, l, config);
                break;
            }
            case LayerKind.ReLU:
                Summary(w, title);
                // Fused: the producer's kernel applies it; only the backward pass remains, on the producer's output.
                if (l.FusedInto is null)
                    w.Line($"private void {m}Forward({ROS} x, {S} y, int n) => {Kernels}Activations.Relu(x, y);");
                w.Line($"private void {m}Backward({ROS} dy, {S} dx, int n) => {Kernels}Activations.ReluBackward({trainOut}, dy, dx);");
                break;
            case LayerKind.ELU:
                Summary(w, title);
                w.Line($"private void {m}Forward({ROS} x, {S} y, int n) => {Kernels}Activations.Elu(x, y, {F(l.Alpha)});");
                w.Line($"private void {m}Backward({ROS} dy, {S} dx, int n) => {Kernels}Activations.EluBackward({trainOut}, dy, dx, {F(l.Alpha)});");
                break;
            case LayerKind.LocalResponseNorm:
            case LayerKind.TfLocalResponseNorm:
            {
                string scale = $"{FieldName(l, "Scale")}.AsSpan(0, {outLen})";
                Summary(w, title);
                w.Line($"private void {m}Forward({ROS} x, {S} y, int n) => {Kernels}LocalResponseNorm.Forward<{config}>(x, y, n);");
                w.Line($"private void {m}ForwardTraining({ROS} x, {S} y, int n) => {Kernels}LocalResponseNorm.ForwardTraining<{config}>(x, y, {scale}, n);");
                w.Line($"private void {m}Backward({ROS} dy, {S} dx, int n) => {Kernels}LocalResponseNorm.Backward<{config}>({trainIn}, {trainOut}, {scale}, dy, dx, n);");
                EmitLrnConfig(w, l, config);
                break;
            }
            case LayerKind.MaxPool2d:
            {
                string argmax = $"{FieldName(l, "Argmax")}.AsSpan(0, {outLen})";
                Summary(w, title);
                w.Line($"private void {m}Forward({ROS} x, {S} y, int n) => {Kernels}MaxPool2d.Forward<{config}>(x, y, n);");
                w.Line($"private void {m}ForwardTraining({ROS} x, {S} y, int n) => {Kernels}MaxPool2d.ForwardTraining<{config}>(x, y, {argmax}, n);");
                w.Line($"private void {m}Backward({ROS} dy, {S} dx, int n) => {Kernels}MaxPool2d.Backward<{config}>(dy, {argmax}, dx, n);");
                EmitPoolConfig(w, l, config, average: false);
                break;
            }
            case LayerKind.AvgPool2d:
                Summary(w, title);
                w.Line($"private void {m}Forward({ROS} x, {S} y, int n) => {Kernels}AvgPool2d.Forward<{config}>(x, y, n);");
                w.Line($"private void {m}Backward({ROS} dy, {S} dx, int n) => {Kernels}AvgPool2d.Backward<{config}>(dy, dx, n);");
                EmitPoolConfig(w, l, config, average: true);
                break;
            case LayerKind.Dropout:
            {
                string mask = $"{FieldName(l, "Mask")}.AsSpan(0, {outLen})";
                Summary(w, title + " Identity at inference; inverted dropout (scale 1/(1−p)) in training.");
                w.Line($"private void {m}ForwardTraining({ROS} x, {S} y, int n) => {Kernels}Dropout.ForwardTraining(x, y, {mask}, {F(l.Probability)}, _random);");
                w.Line($"private void {m}Backward({ROS} dy, {S} dx, int n) => {Kernels}Dropout.Backward(dy, {mask}, dx);");
                break;
            }
            case LayerKind.Flatten:
                w.Line($"// {l.Name} is a view: NCHW memory already is [N, {l.Output.Length}].");
                break;
            case LayerKind.Softmax:
                Summary(w, title + " Training fuses it with cross-entropy.");
                w.Line($"private void {m}Forward({ROS} x, {S} y, int n) => {Kernels}Softmax.Forward(x, y, n, {l.Output.Length});");
                break;
        }
        w.Line();
    }

    private static void Summary(SourceWriter w, string text) => w.Line($"/// <summary>{SummaryEmitter.EscapeXml(text)}</summary>");

    private static string Dims(TensorShape s) => s.IsSpatial ? $"{s.Channels}, {s.Height}, {s.Width}" : s.Channels.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void EmitConvConfig(SourceWriter w, LayerPlan l, string name)
    {
        using (w.Open($"private readonly struct {name} : {Kernels}IConv2dConfig"))
        {
            w.Line($"public static int InChannels => {l.Input.Channels};");
            w.Line($"public static int InHeight => {l.Input.Height};");
            w.Line($"public static int InWidth => {l.Input.Width};");
            w.Line($"public static int OutChannels => {l.Output.Channels};");
            w.Line($"public static int OutHeight => {l.Output.Height};");
            w.Line($"public static int OutWidth => {l.Output.Width};");
            w.Line($"public static int KernelHeight => {l.KernelHeight};");
            w.Line($"public static int KernelWidth => {l.KernelWidth};");
            w.Line($"public static int StrideHeight => {l.StrideHeight};");
            w.Line($"public static int StrideWidth => {l.StrideWidth};");
            w.Line($"public static int PadTop => {l.PadTop};");
            w.Line($"public static int PadLeft => {l.PadLeft};");
            w.Line($"public static int Groups => {l.Groups};");
            w.Line($"public static bool HasBias => {(l.HasBias ? "true" : "false")};");
            if (l.FusedRelu) w.Line("public static bool FusedRelu => true;");
        }
    }

    private static void EmitDenseConfig(SourceWriter w, LayerPlan l, string name)
    {
        using (w.Open($"private readonly struct {name} : {Kernels}IDenseConfig"))
        {
            w.Line($"public static int InFeatures => {l.Input.Length};");
            w.Line($"public static int OutFeatures => {l.Output.Length};");
            w.Line($"public static bool HasBias => {(l.HasBias ? "true" : "false")};");
            if (l.FusedRelu) w.Line("public static bool FusedRelu => true;");
        }
    }

    private static void EmitPoolConfig(SourceWriter w, LayerPlan l, string name, bool average)
    {
        using (w.Open($"private readonly struct {name} : {Kernels}{(average ? "IAvgPool2dConfig" : "IPool2dConfig")}"))
        {
            w.Line($"public static int Channels => {l.Input.Channels};");
            w.Line($"public static int InHeight => {l.Input.Height};");
            w.Line($"public static int InWidth => {l.Input.Width};");
            w.Line($"public static int OutHeight => {l.Output.Height};");
            w.Line($"public static int OutWidth => {l.Output.Width};");
            w.Line($"public static int KernelHeight => {l.KernelHeight};");
            w.Line($"public static int KernelWidth => {l.KernelWidth};");
            w.Line($"public static int StrideHeight => {l.StrideHeight};");
            w.Line($"public static int StrideWidth => {l.StrideWidth};");
            w.Line($"public static int PadTop => {l.PadTop};");
            w.Line($"public static int PadLeft => {l.PadLeft};");
            w.Line($"public static int PadBottom => {l.PadBottom};");
            w.Line($"public static int PadRight => {l.PadRight};");
            if (average) w.Line($"public static bool CountIncludePad => {(l.CountIncludePad ? "true" : "false")};");
        }
    }

    private static void EmitLrnConfig(SourceWriter w, LayerPlan l, string name)
    {
        using (w.Open($"private readonly struct {name} : {Kernels}ILrnConfig"))
        {
            w.Line($"public static int Channels => {l.Input.Channels};");
            w.Line($"public static int Height => {l.Input.Height};");
            w.Line($"public static int Width => {l.Input.Width};");
            w.Line($"public static int WindowBefore => {l.WindowBefore};");
            w.Line($"public static int WindowAfter => {l.WindowAfter};");
            w.Line($"public static float Coefficient => {F(l.Coefficient)};");
            w.Line($"public static float Beta => {F(l.Beta)};");
            w.Line($"public static float K => {F(l.K)};");
        }
    }
}
