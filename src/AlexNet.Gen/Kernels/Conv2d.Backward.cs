using System;
using System.Numerics.Tensors;

namespace AlexNet.Gen.Kernels;

public static partial class Conv2d
{
    /// <summary>
    /// Gradients of <see cref="Forward{T}"/>: dW_g = Σ_n dY_g·columns_gᵀ, dB = Σ_n Σ_pixels dY,
    /// dX = col2im(W_gᵀ·dY_g). Overwrites <paramref name="weightGradient"/> and <paramref name="biasGradient"/>
    /// (sums over the batch); an empty <paramref name="inputGradient"/> skips dX (first layer).
    /// </summary>
    /// <remarks>
    /// The batch is cut into min(batch, <see cref="GradientChunks"/>) fixed chunks; each chunk sums its samples
    /// in order into its own buffer (chunk 0 straight into the outputs), and the chunks are added in order at
    /// the end. Threads take whole chunks, so the summation order is the same for every thread count.
    /// </remarks>
    public static unsafe void Backward<T>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> inputGradient, Span<float> weightGradient, Span<float> biasGradient, int batch, Workspace workspace)
        where T : struct, IConv2dConfig
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var g = Geometry.Of<T>();
        g.CheckBatch(batch);
        g.CheckInput(input.Length, batch);
        g.CheckWeight(weight.Length, "weight");
        g.CheckOutput(outputGradient.Length, batch, "outputGradient");
        bool wantInput = !inputGradient.IsEmpty;
        if (wantInput)
            g.CheckActivation(inputGradient.Length, batch, g.InChannels, g.InHeight, g.InWidth, "input gradient", nameof(inputGradient));
        g.CheckWeight(weightGradient.Length, "weightGradient");
        g.CheckBias(biasGradient.Length, "biasGradient");
        if (batch == 0)
        {
            weightGradient.Clear();
            biasGradient.Clear();
            return;
        }

        int chunks = Math.Min(batch, GradientChunks);
        int lanes = Math.Min(StaticParallel.ThreadCount, chunks);
        // A Winograd layer's weight gradient sums transformed tiles (Conv2d.WinogradGradient.cs); a stride-1 layer with whole
        // 32-channel groups reads a channels-last copy of its input (Conv2d.ChannelsLastGradient.cs); others use im2col.
        bool winogradWeights = UsesWinogradWeightGradient(g, batch);
        var weightPlan = winogradWeights ? new WinogradPlan(g, (batch + chunks - 1) / chunks) : default;
        var weightSizes = winogradWeights ? new WeightGradientSizes(g, weightPlan) : default;
        // A strided layer with a kernel wider than the stride reads its phase planes instead (Conv2d.ImplicitGradient.cs).
        bool implicitWeights = !winogradWeights && UsesImplicitGemm(g);
        var implicitPlan = implicitWeights ? new ImplicitPlan(g) : default;
        var implicitSizes = implicitWeights ? new ImplicitGradientSizes(g, implicitPlan) : default;
        int block = BackwardBlock(g, batch);
        int width = block * g.Pixels;
        // dW GEMM: [Cout/g × width]·[width × depth] (Winograd: [Cout/g × tiles]·[tiles × Cin/g]);
        // dX GEMM: [depth × Cout/g]·[Cout/g × width]. Scratch fits the larger.
        int weightLanes = lanes > 1 ? 1 : winogradWeights ? Gemm.ChooseLanes(g.OutPerGroup, g.InPerGroup, weightSizes.MaxTiles)
            : implicitWeights ? Math.Min(Gemm.ChooseLanes(g.OutPerGroup, g.Depth, width), implicitSizes.DepthRows / implicitPlan.Mr)
            : Gemm.ChooseLanes(g.OutPerGroup, g.Depth, width);
        int inputLanes = lanes > 1 || !wantInput ? 1 : Gemm.ChooseLanes(g.Depth, width, g.OutPerGroup);
        int gemmLanes = Math.Max(weightLanes, inputLanes);
        int packA = Math.Max(Gemm.PackASize(g.OutPerGroup, width), wantInput ? Gemm.PackASize(g.Depth, g.OutPerGroup) : 0);
        int packB = Math.Max(Gemm.PackBSize(g.Depth, width), wantInput ? Gemm.PackBSize(width, g.OutPerGroup) : 0);
        if (winogradWeights) packA = Math.Max(packA, Gemm.PackASize(Math.Max(g.OutPerGroup, g.InPerGroup), TileStride(weightSizes.MaxTiles)));
        // The implicit weight gradient's output-gradient panels go where the GEMMs pack B̃.
        if (implicitWeights) packB = Math.Max(packB, implicitSizes.OutputGradient);
        // A pointwise sample is its own column matrix (the GEMM packs it transposed); otherwise im2col writes the
        // weight-gradient GEMM's packed columnsᵀ.
        bool direct = g.IsPointwise && block == 1;
        // A stride-1 layer on the AVX-512 kernel reads a channels-last copy of the input instead (Conv2d.ChannelsLastGradient.cs);
        // from batch 2 (chunks > 1), never from the thread count, so the sums are the same on any number of threads.
        bool channelsLast = !winogradWeights && chunks > 1 && UsesChannelsLastWeightGradient(g);
        var lastPlan = channelsLast ? new ChannelsLastPlan(g, block) : default;
        if (channelsLast) packA = Math.Max(packA, lastPlan.PackedA);
        int columns = direct || winogradWeights ? 0 : implicitWeights ? implicitPlan.PlanesSize : channelsLast ? lastPlan.Input
            : Gemm.PackedBSize(width, g.Depth);
        int staging = direct || winogradWeights || implicitWeights || channelsLast ? 0 : StagingSize(g, block);
        // The input gradient of a 3×3 stride-1 layer is a Winograd convolution of the output gradient (no column gradients).
        bool winograd = wantInput && UsesWinograd(g, batch);
        var gradientGeometry = winograd ? InputGradientGeometry(g) : g;
        var plan = winograd ? InputGradientPlanOf(gradientGeometry, block) : default;
        int columnGradients = wantInput && !direct && !winograd ? g.Depth * width : 0;
        int gathered = block > 1 && !winogradWeights ? g.OutPerGroup * width : 0;
        int biasSize = g.HasBias ? g.OutChannels : 0;
        // A chunk's partial weight and bias gradients; a Winograd layer's chunks keep dU sums instead of weights.
        int partialWeights = winogradWeights ? 0 : g.WeightSize, partialSize = partialWeights + biasSize;

        // Every lane's scratch one LaneStride from the next.
        int packAStride = LaneStride(gemmLanes * packA, lanes), packBStride = LaneStride(gemmLanes * packB, lanes);
        int columnsStride = LaneStride(columns, lanes), stagingStride = LaneStride(staging, lanes);
        int columnGradientsStride = LaneStride(columnGradients, lanes), gatheredStride = LaneStride(gathered, lanes);
        int transformedStride = LaneStride(plan.Transformed, lanes), productsStride = LaneStride(plan.Products, lanes);
        int weightInputStride = LaneStride(weightSizes.Input, lanes), weightOutputStride = LaneStride(weightSizes.OutputGradient, lanes);
        int implicitSumsStride = LaneStride(implicitSizes.Sums, lanes);
        float[] packABuffer = workspace.GetArray(Gemm.SlotPackA, lanes * packAStride);
        float[] packBBuffer = workspace.GetArray(Gemm.SlotPackB, lanes * packBStride);
        float[] columnBuffer = workspace.GetArray(Gemm.SlotColumns, Math.Max(1, lanes * columnsStride));
        float[] stagingBuffer = workspace.GetArray(Gemm.SlotStaging, Math.Max(1, lanes * stagingStride));
        float[] columnGradientBuffer = workspace.GetArray(Gemm.SlotColumnGradient, Math.Max(1, lanes * columnGradientsStride));
        float[] gatheredBuffer = workspace.GetArray(Gemm.SlotBlockMatrix, Math.Max(1, lanes * gatheredStride));
        float[] partialBuffer = workspace.GetArray(Gemm.SlotPartials, Math.Max(1, (chunks - 1) * partialSize));
        // The flipped transformed weights packed once for every lane and block where they stay near L2's size; larger ones
        // are packed per GEMM into L2 (packed whole, torchvision's 10.6 MB conv3 planes made its backward pass 2–8 % slower
        // from L3, while the compact net's 0.3–1.2 MB ones made theirs 5–10 % faster).
        int packedSize = winograd ? PackedTransformedWeightsSize(gradientGeometry, plan) : 0;
        bool packWhole = winograd && packedSize <= WholePackedWeightsLimit;
        // Packed whole, 3×3 weights go straight into their panels (Conv2d.WinogradWeightPanels.cs), without the planes.
        bool packDirectly = packWhole && PacksWeightPanelsDirectly(gradientGeometry);
        // On several lanes each builds its own copy, which only its core then reads and rewrites: a line one core reads
        // and the other rewrites on the next call crossed between the two cores here at ~210 ns (a ping-pong's one-way
        // latency on this machine), which made the compact conv3's shared 577 KB build take 62–90 µs a call against
        // 21–28 µs when its lines are the writer's own. Each lane's copy costs the whole transform (2 × the work).
        bool laneWeights = packDirectly && lanes > 1;
        int packedStride = laneWeights ? LaneStride(packedSize, lanes) : 0;
        float[] transformedWeights = workspace.GetArray(Gemm.SlotWinogradWeights, packDirectly ? 1 : Math.Max(1, plan.Weights));
        float[] packedWeights = workspace.GetArray(Gemm.SlotWinogradPackedWeights, !packWhole ? 1 : laneWeights ? lanes * packedStride : packedSize);
        float[] winogradInput = workspace.GetArray(Gemm.SlotWinogradInput, Math.Max(1, lanes * transformedStride));
        float[] winogradProducts = workspace.GetArray(Gemm.SlotWinogradProducts, Math.Max(1, lanes * productsStride));
        float[] weightInput = workspace.GetArray(Gemm.SlotWeightGradientInput, Math.Max(1, lanes * weightInputStride));
        float[] weightOutput = workspace.GetArray(Gemm.SlotWeightGradientOutput, Math.Max(1, lanes * weightOutputStride));
        // A Winograd layer's chunks keep their dU sums, which are added in chunk order and transformed into dW once.
        float[] weightSums = workspace.GetArray(Gemm.SlotWeightGradientSums, Math.Max(1, chunks * weightSizes.Sums));
        float[] implicitSums = workspace.GetArray(Gemm.SlotImplicitSums, Math.Max(1, lanes * implicitSumsStride));
        // A channels-last weight gradient sums its chunks tap-major ([co][kh][kw][ci]) and reorders dW once at the end.
        float[] tapMajor = workspace.GetArray(Gemm.SlotChannelsLastWeights, channelsLast ? g.WeightSize : 1);
        float[] implicitRows = workspace.GetArray(Gemm.SlotImplicitRows, Math.Max(1, Math.Max(implicitSizes.DepthRows, lastPlan.Rows))); // int offsets
        fixed (float* pIn = input)
        fixed (float* pW = weight)
        fixed (float* pDy = outputGradient)
        fixed (float* pDx = inputGradient)
        fixed (float* pDw = weightGradient)
        fixed (float* pDb = biasGradient)
        fixed (float* pPackA = packABuffer)
        fixed (float* pPackB = packBBuffer)
        fixed (float* pCols = columnBuffer)
        fixed (float* pStaging = stagingBuffer)
        fixed (float* pDcols = columnGradientBuffer)
        fixed (float* pGathered = gatheredBuffer)
        fixed (float* pPartials = partialBuffer)
        fixed (float* pU = transformedWeights)
        fixed (float* pPackedU = packedWeights)
        fixed (float* pV = winogradInput)
        fixed (float* pM = winogradProducts)
        fixed (float* pWv = weightInput)
        fixed (float* pWm = weightOutput)
        fixed (float* pWu = weightSums)
        fixed (float* pIs = implicitSums)
        fixed (float* pIr = implicitRows)
        fixed (float* pTap = tapMajor)
        {
            if (implicitWeights) ImplicitRows(g, implicitPlan, (int*)pIr, implicitSizes.DepthRows);
            if (channelsLast) ChannelsLastRows(g, lastPlan, (int*)pIr);
            if (packDirectly)
            {
                // On several lanes each builds its own at the start of BackwardBody.Run.
                if (!laneWeights) TransformAndPackWeights(gradientGeometry, plan, pW, pPackedU, flipped: true);
            }
            else if (winograd)
            {
                TransformWeights(gradientGeometry, plan.Tile, pW, pU, flipped: true);
                if (packWhole) PackTransformedWeights(gradientGeometry, plan, pU, pPackedU);
            }
            var body = new BackwardBody
            {
                G = g, Input = pIn, Weight = pW, OutputGradient = pDy, InputGradient = wantInput ? pDx : null,
                WeightGradient = channelsLast ? pTap : pDw, BiasGradient = g.HasBias ? pDb : null, Partials = pPartials, PartialSize = partialSize, PartialWeights = partialWeights,
                Batch = batch, Chunks = chunks, Lanes = lanes, Block = block, WeightLanes = weightLanes, InputLanes = inputLanes,
                Columns = pCols, ColumnsStride = columnsStride, Staging = pStaging, StagingStride = stagingStride, ColumnGradients = pDcols,
                ColumnGradientsStride = columnGradientsStride, Gathered = pGathered, GatheredStride = gatheredStride,
                TransformedStride = transformedStride, ProductsStride = productsStride, WeightInputStride = weightInputStride,
                WeightOutputStride = weightOutputStride, ImplicitSumsStride = implicitSumsStride, Winograd = winograd, GradientGeometry = gradientGeometry, Plan = plan,
                WinogradWeights = packWhole ? pPackedU : pU, PackedWinogradWeights = packWhole, LaneWeightsStride = packedStride, WinogradInput = pV, WinogradProducts = pM,
                WinogradWeightGradient = winogradWeights, WeightPlan = weightPlan, WeightSizes = weightSizes,
                WeightInput = pWv, WeightOutputGradient = pWm, WeightSums = pWu,
                ImplicitWeightGradient = implicitWeights, ImplicitPlan = implicitPlan, ImplicitSizes = implicitSizes,
                ImplicitSums = pIs, ImplicitRowTable = (int*)pIr, ChannelsLast = channelsLast, LastPlan = lastPlan,
                PackA = pPackA, PackAStride = packAStride, PackB = pPackB, PackBStride = packBStride,
            };
            if (lanes > 1) StaticParallel.For(lanes, lanes, body);
            else body.Run(0, 1);

            if (winogradWeights) WeightsFromWinogradSums(g, weightPlan, pWu, chunks, weightSizes.Sums, pDw);
            // Chunk partials in chunk order; element-wise adds give the same bits however they are vectorized or split.
            if (partialWeights > 0 && chunks > 1)
            {
                var add = new AddPartialsBody { Target = channelsLast ? pTap : pDw, Partials = pPartials, Length = partialWeights, Chunks = chunks, PartialSize = partialSize };
                add.Parts = PointwiseParallel.ThreadsFor((long)partialWeights * (chunks - 1));
                if (add.Parts > 1) StaticParallel.For(add.Parts, add.Parts, add);
                else add.Run(0, 1);
            }
            if (channelsLast) TapMajorToWeights(g, pTap, pDw);
            if (g.HasBias)
                for (int chunk = 1; chunk < chunks; chunk++)
                    TensorPrimitives.Add(biasGradient, new ReadOnlySpan<float>(pPartials + (nint)(chunk - 1) * partialSize + partialWeights, biasSize),
                        biasGradient);
        }
    }

    /// <summary>target[0, Length) += each chunk's partial (chunks 1 … Chunks − 1, in order), the elements split over Parts.</summary>
    private unsafe struct AddPartialsBody : IParallelBody
    {
        public float* Target, Partials;
        public int Length, Chunks, PartialSize, Parts;

        public readonly void Run(int start, int end)
        {
            for (int part = start; part < end; part++)
            {
                var (e0, e1) = StaticParallel.Partition(Length, Parts, part);
                var target = new Span<float>(Target + e0, e1 - e0);
                for (int chunk = 1; chunk < Chunks; chunk++)
                    TensorPrimitives.Add(target, new ReadOnlySpan<float>(Partials + (nint)(chunk - 1) * PartialSize + e0, e1 - e0), target);
            }
        }
    }

    /// <summary>
    /// Samples per GEMM block of the backward pass: from the shape and the chunk size only, so the weight-gradient sums
    /// never depend on threads.
    /// </summary>
    private static int BackwardBlock(in Geometry g, int batch)
    {
        int chunks = Math.Min(batch, GradientChunks);
        if (UsesWinogradWeightGradient(g, batch)) return new WinogradPlan(g, (batch + chunks - 1) / chunks).Block;
        return UsesImplicitGemm(g) ? 1 : Math.Min(g.BlockSamples, (batch + chunks - 1) / chunks);
    }

    /// <summary>The plan of the input gradient's Winograd convolution (when <see cref="UsesWinograd(in Geometry, int)"/>).</summary>
    internal static WinogradPlan InputGradientPlan(in Geometry g, int batch) => InputGradientPlanOf(InputGradientGeometry(g), BackwardBlock(g, batch));

    /// <summary>The same from the input-gradient geometry and the backward pass's block.</summary>
    private static WinogradPlan InputGradientPlanOf(in Geometry gradientGeometry, int block) =>
        new(gradientGeometry, block, ForwardTile(gradientGeometry, block));

    private unsafe struct BackwardBody : IParallelBody
    {
        public Geometry G;
        public float* Input, Weight, OutputGradient, InputGradient, WeightGradient, BiasGradient, Partials;
        public float* Columns, Staging, ColumnGradients, Gathered, PackA, PackB;
        public bool Winograd;
        public Geometry GradientGeometry;
        public WinogradPlan Plan;
        public float* WinogradWeights, WinogradInput, WinogradProducts;
        public bool PackedWinogradWeights;
        /// <summary>Floats from one lane's packed flipped weights to the next, which each lane builds itself; 0: one copy, built before.</summary>
        public int LaneWeightsStride;
        public bool WinogradWeightGradient;
        public WinogradPlan WeightPlan;
        public WeightGradientSizes WeightSizes;
        public float* WeightInput, WeightOutputGradient, WeightSums;
        public bool ImplicitWeightGradient;
        public ImplicitPlan ImplicitPlan;
        public ImplicitGradientSizes ImplicitSizes;
        public float* ImplicitSums;
        public int* ImplicitRowTable;
        public bool ChannelsLast;
        public ChannelsLastPlan LastPlan;
        public int PartialSize, PartialWeights, Batch, Chunks, Lanes, Block, WeightLanes, InputLanes;
        /// <summary>Floats from one lane's scratch to the next (<see cref="LaneStride"/>).</summary>
        public int ColumnsStride, StagingStride, ColumnGradientsStride, GatheredStride, PackAStride, PackBStride, TransformedStride, ProductsStride,
            WeightInputStride, WeightOutputStride, ImplicitSumsStride;

        public void Run(int start, int end)
        {
            for (int lane = start; lane < end; lane++)
            {
                if (LaneWeightsStride > 0)
                    TransformAndPackWeights(GradientGeometry, Plan, Weight, WinogradWeights + (nint)lane * LaneWeightsStride, flipped: true);
                var (c0, c1) = StaticParallel.Partition(Chunks, Lanes, lane);
                for (int chunk = c0; chunk < c1; chunk++)
                {
                    float* dW = chunk == 0 ? WeightGradient : Partials + (nint)(chunk - 1) * PartialSize;
                    float* dB = chunk == 0 ? BiasGradient : BiasGradient == null ? null : dW + PartialWeights;
                    var (n0, n1) = StaticParallel.Partition(Batch, Chunks, chunk);
                    for (int n = n0; n < n1; n += Block)
                        Samples(n, Math.Min(Block, n1 - n), n == n0, dW, dB, lane, chunk);
                    if (ImplicitWeightGradient && n1 > n0)
                        WeightsFromImplicitSums(G, ImplicitSizes, ImplicitSums + (nint)lane * ImplicitSumsStride, dW);
                }
            }
        }

        /// <summary>
        /// Samples [n, n + count) as one GEMM per group: their columns and output gradients side by side
        /// ([depth × count·P], [Cout/g × count·P]), so dW sums the block's pixels in one pass (k = count·P).
        /// A single sample uses its output gradient in place (and, pointwise, its input as the columns).
        /// </summary>
        private readonly void Samples(int n, int count, bool first, float* dW, float* dB, int lane, int chunk)
        {
            Geometry g = G;
            float* cols = Columns + (nint)lane * ColumnsStride;
            float* staging = Staging + (nint)lane * StagingStride;
            float* dcols = ColumnGradients + (nint)lane * ColumnGradientsStride;
            float* gathered = Gathered + (nint)lane * GatheredStride;
            float* packA = PackA + (nint)lane * PackAStride;
            float* packB = PackB + (nint)lane * PackBStride;
            int p = g.Pixels, width = count * p, depth = g.Depth, outG = g.OutPerGroup;
            bool direct = count == 1 && g.IsPointwise;
            for (int group = 0; group < g.Groups; group++)
            {
                float* xg = Input + (nint)n * g.InputSize + (nint)group * g.InPerGroup * g.InPixels;
                float* dyg = OutputGradient + (nint)n * g.OutputSize + (nint)group * outG * p;
                if (count > 1 && !WinogradWeightGradient)
                {
                    for (int oc = 0; oc < outG; oc++)
                        for (int i = 0; i < count; i++)
                            new ReadOnlySpan<float>(dyg + (nint)i * g.OutputSize + (nint)oc * p, p)
                                .CopyTo(new Span<float>(gathered + (nint)oc * width + (nint)i * p, p));
                    dyg = gathered;
                }
                float* wg = Weight + (nint)group * outG * depth;
                float* dwg = dW + (nint)group * outG * depth;
                // dW_g (+)= dY_g [outG × width] · columnsᵀ [width × depth]; the first block of a chunk overwrites.
                if (WinogradWeightGradient)
                {
                    float* sums = WeightSums + (nint)chunk * WeightSizes.Sums + (nint)group * WeightPlan.Elements * outG * g.InPerGroup;
                    WinogradWeightBlock(g, WeightPlan, xg, dyg, count, sums, !first, WeightInput + (nint)lane * WeightInputStride,
                        WeightOutputGradient + (nint)lane * WeightOutputStride, packA, WeightLanes);
                }
                else if (ImplicitWeightGradient)
                {
                    float* sums = ImplicitSums + (nint)lane * ImplicitSumsStride + (nint)group * ImplicitSizes.DepthRows * ImplicitSizes.OutColumns;
                    ImplicitWeightSample(g, ImplicitPlan, ImplicitSizes, xg, dyg, cols, packB, ImplicitRowTable, sums, first, WeightLanes);
                }
                else if (ChannelsLast)
                {
                    // dY_g is [outG × width] either way: gathered for a block, the sample's own planes for one sample.
                    ChannelsLastWeightBlock(g, LastPlan, xg, dyg, width, count, ImplicitRowTable, cols, packA, dwg, !first);
                }
                else if (direct)
                {
                    Gemm.MultiplyCore(false, true, outG, depth, width, dyg, width, xg, width, dwg, depth, !first, packA, packB, WeightLanes);
                }
                else
                {
                    Im2ColPackedTransposed(g, xg, cols, staging, count);
                    Gemm.MultiplyPrepacked(outG, depth, width, dyg, width, cols, dwg, depth, !first, packA, WeightLanes);
                }

                if (InputGradient != null && Winograd)
                {
                    InputGradientByWinograd(n, count, group, lane);
                }
                else if (InputGradient != null)
                {
                    // dcolumns = W_gᵀ [depth × outG] · dY_g [outG × width]; one pointwise sample: that is dX_g itself.
                    float* dxg = InputGradient + (nint)n * g.InputSize + (nint)group * g.InPerGroup * g.InPixels;
                    float* target = direct ? dxg : dcols;
                    Gemm.MultiplyCore(true, false, depth, width, outG, wg, depth, dyg, width, target, width, false, packA, packB, InputLanes);
                    if (!direct)
                        for (int i = 0; i < count; i++)
                            Col2Im(g, dcols + (nint)i * p, dxg + (nint)i * g.InputSize, width);
                }
            }
            if (dB != null)
                for (int i = 0; i < count; i++)
                {
                    float* dy = OutputGradient + (nint)(n + i) * g.OutputSize;
                    bool overwrite = first && i == 0;
                    for (int oc = 0; oc < g.OutChannels; oc++)
                    {
                        float s = Gemm.Sum(dy + (nint)oc * p, p);
                        dB[oc] = overwrite ? s : dB[oc] + s;
                    }
                }
        }

        /// <summary>dX of samples [n, n + count), one group: the flipped-weight convolution of dY, in Winograd blocks.</summary>
        private readonly void InputGradientByWinograd(int n, int count, int group, int lane)
        {
            Geometry g = G, gt = GradientGeometry;
            float* v = WinogradInput + (nint)lane * TransformedStride;
            float* m = WinogradProducts + (nint)lane * ProductsStride;
            // Winograd's batch (≥ WinogradMinBatch) gives every thread its own chunks, so InputLanes is 1 here.
            float* packA = PackedWinogradWeights ? null : PackA + (nint)lane * PackAStride;
            float* u = WinogradWeights + (nint)lane * LaneWeightsStride + (nint)group * Plan.Elements
                * (PackedWinogradWeights ? PackedWeightPlane(gt) : TransformedWeightPlane(gt));
            for (int i = 0; i < count; i += Plan.Block)
            {
                int samples = Math.Min(Plan.Block, count - i);
                float* dy = OutputGradient + (nint)(n + i) * g.OutputSize + (nint)group * g.OutPerGroup * g.Pixels;
                float* dx = InputGradient + (nint)(n + i) * g.InputSize + (nint)group * g.InPerGroup * g.InPixels;
                WinogradBlock(gt, Plan, dy, samples, u, null, dx, v, m, packA);
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>: dx[c, ih, iw] = Σ of the column gradients that read it, visited in
    /// the same (c, kh, kw, oh, ow) order as im2col, so the summation order is fixed. Rows of
    /// <paramref name="dcols"/> are <paramref name="rowStride"/> floats apart (default: the pixel count).
    /// </summary>
    internal static unsafe void Col2Im(in Geometry g, float* dcols, float* dx, int rowStride = 0)
    {
        if (rowStride == 0) rowStride = g.Pixels;
        new Span<float>(dx, g.InPerGroup * g.InPixels).Clear();
        int row = 0;
        for (int c = 0; c < g.InPerGroup; c++)
        {
            float* dxc = dx + (nint)c * g.InPixels;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int kw = 0; kw < g.KernelWidth; kw++, row++)
                {
                    float* d = dcols + (nint)row * rowStride;
                    g.ValidColumns(kw, out int ow0, out int ow1);
                    int iw0 = ow0 * g.StrideWidth + kw - g.PadLeft;
                    int count = ow1 - ow0;
                    for (int oh = 0; oh < g.OutHeight; oh++, d += g.OutWidth)
                    {
                        int ih = oh * g.StrideHeight + kh - g.PadTop;
                        if ((uint)ih >= (uint)g.InHeight || count <= 0) continue;
                        float* dst = dxc + (nint)ih * g.InWidth + iw0;
                        if (g.StrideWidth == 1)
                        {
                            AddRow(d + ow0, dst, count);
                        }
                        else
                        {
                            for (int i = 0, sw = g.StrideWidth; i < count; i++) dst[i * sw] += d[ow0 + i];
                        }
                    }
                }
            }
        }
    }
}
