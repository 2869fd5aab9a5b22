namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>Builds small graphs around a Placeholder "x" with seeded random weights.</summary>
public sealed class OpGraph(TfjsGraphWriter writer, Random random)
{
    private int _next;

    public TfjsGraphWriter W => writer;
    public string X => "x";

    public string Name(string op) => $"{op.ToLowerInvariant()}_{_next++}";

    public float[] Random(int count, float low = -1, float high = 1) =>
        Enumerable.Range(0, count).Select(_ => (float)(low + random.NextDouble() * (high - low))).ToArray();

    public string Weights(long[] shape, string? quantization = null, float low = -1, float high = 1) =>
        writer.Const(Name("w"), Random((int)shape.Aggregate(1L, (a, b) => a * b), low, high), shape, quantization);

    public string Vector(int n, float low = -1, float high = 1) => writer.Const(Name("v"), Random(n, low, high));
    public string Scalar(float value) => writer.Scalar(Name("s"), value);
    public string Ints(params int[] values) => writer.Ints(Name("i"), values);

    public string Op(string op, string[] inputs, Action<TfjsAttrs>? attrs = null) =>
        writer.Op(op, Name(op), inputs, a => { a.Type("T", "DT_FLOAT"); attrs?.Invoke(a); });

    public string Conv(string x, int kh, int kw, int cin, int cout, string padding = "SAME", int stride = 1, int dilation = 1, string? quantization = null) =>
        Op("Conv2D", [x, Weights([kh, kw, cin, cout], quantization)], a => a.Window(padding, stride, stride, dilation, dilation));

    /// <summary>_FusedConv2D with BiasAdd and an optional activation (Prelu takes a per-channel slope).</summary>
    public string FusedConv(string x, int cin, int cout, string? activation, float leakyAlpha = 0.2f, string? filterQuantization = null, string? biasQuantization = null)
    {
        var inputs = new List<string> { x, Weights([3, 3, cin, cout], filterQuantization), writer.Const(Name("b"), Random(cout), [cout], biasQuantization) };
        if (activation == "Prelu") inputs.Add(Vector(cout, 0, 0.5f));
        return Op("_FusedConv2D", [.. inputs], a =>
        {
            a.Window("SAME").Strs("fused_ops", activation == null ? ["BiasAdd"] : ["BiasAdd", activation])
                .Int("num_args", inputs.Count - 2).Float("epsilon", 0).Bool("use_cudnn_on_gpu", true);
            if (activation == "LeakyRelu") a.Float("leakyrelu_alpha", leakyAlpha);
        });
    }

    public string Reduce(string op, string x, int[] axes, bool keepDims) =>
        Op(op, [x, Ints(axes)], a => a.Bool("keep_dims", keepDims).Type("Tidx", "DT_INT32"));

    public string StridedSlice(string x, int[] begin, int[] end, int[] strides, int beginMask = 0, int endMask = 0,
        int ellipsisMask = 0, int newAxisMask = 0, int shrinkMask = 0) =>
        Op("StridedSlice", [x, Ints(begin), Ints(end), Ints(strides)], a => a.Int("begin_mask", beginMask).Int("end_mask", endMask)
            .Int("ellipsis_mask", ellipsisMask).Int("new_axis_mask", newAxisMask).Int("shrink_axis_mask", shrinkMask).Type("Index", "DT_INT32"));

    public string Resize(string op, string x, int h, int w, bool alignCorners, bool halfPixel) =>
        Op(op, [x, Ints(h, w)], a => a.Bool("align_corners", alignCorners).Bool("half_pixel_centers", halfPixel));

    public string Pool(string op, string x, int k, int stride, string padding) =>
        Op(op, [x], a => a.Ints("ksize", 1, k, k, 1).Ints("strides", 1, stride, stride, 1).Str("padding", padding).Str("data_format", "NHWC"));
}

/// <summary>One op-level parity case: the input's per-item shape and value range, and the graph.</summary>
public sealed record OpCase(long[] ItemShape, Func<OpGraph, string[]> Build, float Low = -2, float High = 2);

/// <summary>Graphs exercising every converted op and attribute variant, including the NCHW paths after a conv.</summary>
public static class OpCases
{
    public static readonly IReadOnlyDictionary<string, OpCase> All = new Dictionary<string, OpCase>
    {
        ["conv2d-same-stride2-odd"] = new([9, 11, 3], g => [g.Conv(g.X, 3, 3, 3, 4, "SAME", stride: 2), g.Conv(g.X, 4, 2, 3, 2, "SAME", stride: 3)]),
        ["conv2d-valid-dilated"] = new([12, 12, 2], g => [g.Conv(g.X, 3, 3, 2, 5, "VALID", dilation: 2), g.Conv(g.X, 3, 3, 2, 3, "SAME", dilation: 2)]),
        ["conv2d-explicit-padding"] = new([8, 7, 3], g =>
            [g.Op("Conv2D", [g.X, g.Weights([3, 2, 3, 4])], a => a.Window("EXPLICIT", 1, 2, explicitPaddings: [0, 0, 1, 2, 2, 0, 0, 0]))]),
        ["fused-conv2d-activations"] = new([7, 6, 3], g =>
            [g.FusedConv(g.X, 3, 4, null), g.FusedConv(g.X, 3, 4, "Relu"), g.FusedConv(g.X, 3, 4, "Relu6"),
             g.FusedConv(g.X, 3, 4, "LeakyRelu", 0.1f), g.FusedConv(g.X, 3, 4, "Prelu"), g.FusedConv(g.X, 3, 4, "Elu"),
             g.FusedConv(g.X, 3, 4, "Sigmoid")]),
        ["depthwise-multiplier2-same-stride2"] = new([10, 9, 3], g =>
            [g.Op("DepthwiseConv2dNative", [g.X, g.Weights([3, 3, 3, 2])], a => a.Window("SAME", 2, 2))]),
        ["fused-depthwise-dilated"] = new([11, 11, 4], g =>
            [g.Op("FusedDepthwiseConv2dNative", [g.X, g.Weights([3, 3, 4, 1]), g.Vector(4)],
                a => a.Window("VALID", 1, 1, 2, 2).Strs("fused_ops", "BiasAdd", "Relu").Int("num_args", 1))]),
        ["pooling"] = new([9, 10, 2], g =>
            [g.Pool("MaxPool", g.X, 3, 2, "SAME"), g.Pool("AvgPool", g.X, 3, 2, "SAME"), g.Pool("AvgPool", g.X, 2, 2, "VALID"),
             g.Pool("MaxPool", g.Conv(g.X, 1, 1, 2, 3), 2, 1, "VALID")]),
        ["elementwise-both-layouts"] = new([6, 6, 3], g =>
        {
            var c = g.Conv(g.X, 1, 1, 3, 3);
            return
            [
                g.Op("Sub", [c, g.Vector(3)]), g.Op("RealDiv", [c, g.Scalar(3.5f)]), g.Op("Maximum", [c, g.Scalar(0.1f)]),
                g.Op("Minimum", [g.X, g.Vector(3)]), g.Op("Mul", [c, g.X]), g.Op("AddV2", [c, c]), g.Op("Add", [g.X, g.Scalar(2)]),
                g.Op("BiasAdd", [c, g.Vector(3)], a => a.Str("data_format", "NHWC")), g.Op("Square", [c]),
                g.Op("Sqrt", [g.Op("Abs", [c])]), g.Op("Rsqrt", [g.Op("AddV2", [g.Op("Abs", [c]), g.Scalar(1)])]),
                g.Op("Tanh", [c]), g.Op("Sigmoid", [g.X]), g.Op("Elu", [c]), g.Op("Relu6", [g.Op("Mul", [c, g.Scalar(4)])]),
                g.Op("LeakyRelu", [c], a => a.Float("alpha", 0.3f)), g.Op("Neg", [c]), g.Op("Exp", [g.X]), g.Op("Relu", [g.X]),
                g.Op("Prelu", [c, g.Vector(3, 0, 0.5f)]), g.Op("SquaredDifference", [c, g.X]), g.Op("AddN", [c, g.X, c], a => a.Int("N", 3)),
                g.Op("Identity", [c]),
            ];
        }),
        ["reductions"] = new([5, 6, 4], g =>
        {
            var c = g.Conv(g.X, 1, 1, 4, 4);
            return
            [
                g.Reduce("Mean", c, [1, 2], true), g.Reduce("Mean", c, [1, 2], false), g.Reduce("Sum", g.X, [-1], true),
                g.Reduce("Max", c, [3], false), g.Reduce("Min", c, [2], true), g.Reduce("Prod", g.X, [1], false),
                g.Reduce("Sum", c, [1, 3], true),
            ];
        }, 0.5f, 1.5f),
        ["softmax"] = new([4, 5, 6], g => [g.Op("Softmax", [g.X]), g.Op("Softmax", [g.Op("Reshape", [g.X, g.Ints(-1, 120)], a => a.Type("Tshape", "DT_INT32"))])]),
        ["pad-padv2-mirrorpad"] = new([5, 6, 2], g =>
        {
            var c = g.Conv(g.X, 1, 1, 2, 3);
            return
            [
                g.Op("Pad", [c, g.W.Ints(g.Name("p"), [4, 2], 0, 0, 1, 2, 0, 1, 0, 3)]),
                g.Op("PadV2", [g.X, g.W.Ints(g.Name("p"), [4, 2], 0, 0, 2, 0, 1, 1, 0, 0), g.Scalar(0.5f)]),
                g.Op("MirrorPad", [g.X, g.W.Ints(g.Name("p"), [4, 2], 0, 0, 2, 1, 1, 2, 0, 0)], a => a.Str("mode", "REFLECT")),
            ];
        }),
        ["concat-both-layouts"] = new([4, 5, 2], g =>
        {
            var c1 = g.Conv(g.X, 1, 1, 2, 3);
            var c2 = g.Conv(g.X, 3, 3, 2, 2);
            return
            [
                g.Op("ConcatV2", [c1, c2, g.W.IntScalar(g.Name("axis"), 3)], a => a.Int("N", 2)),
                g.Op("ConcatV2", [c1, g.X, g.W.IntScalar(g.Name("axis"), -1)], a => a.Int("N", 2)),
                g.Op("ConcatV2", [g.X, c2, g.W.IntScalar(g.Name("axis"), 1)], a => a.Int("N", 2)),
                g.Op("Concat", [g.W.IntScalar(g.Name("axis"), 2), g.X, g.X], a => a.Int("N", 2)),
            ];
        }),
        ["reshape-expanddims-squeeze"] = new([4, 4, 2], g =>
        {
            var c = g.Conv(g.X, 3, 3, 2, 3);
            var flat = g.Op("Reshape", [c, g.Ints(-1, 48)], a => a.Type("Tshape", "DT_INT32"));
            var expanded = g.Op("ExpandDims", [flat, g.W.IntScalar(g.Name("axis"), 1)], a => a.Type("Tdim", "DT_INT32"));
            return
            [
                expanded, g.Op("Squeeze", [expanded], a => a.Ints("squeeze_dims", 1)),
                g.Op("Reshape", [c, g.Ints(-1, 4, 12)], a => a.Type("Tshape", "DT_INT32")),
                g.Op("Squeeze", [g.Reduce("Mean", c, [1, 2], true)], a => a.Ints("squeeze_dims", 1, 2)),
            ];
        }),
        ["strided-slice"] = new([7, 8, 5], g =>
        [
            g.StridedSlice(g.X, [0, 1, -1, 0], [0, -1, 0, 2], [1, 2, -1, 1], beginMask: 1, endMask: 1),
            g.StridedSlice(g.X, [0, 2, 0, 1], [0, 3, 0, 2], [1, 1, 1, 1], beginMask: 0b0101, endMask: 0b0101, shrinkMask: 0b1010),
            g.StridedSlice(g.X, [0, 0, 1], [0, 0, 3], [1, 1, 1], ellipsisMask: 1, newAxisMask: 2),
            g.StridedSlice(g.X, [0, 0], [0, 0], [1, -1], beginMask: 3, endMask: 3),
            g.StridedSlice(g.Conv(g.X, 1, 1, 5, 2), [0, 0, 0, 1], [0, 5, 7, 2], [1, 2, 3, 1], beginMask: 1, endMask: 1),
            g.Op("Slice", [g.X, g.Ints(0, 1, 2, 0), g.Ints(-1, 3, -1, 2)], a => a.Type("Index", "DT_INT32")),
        ]),
        ["transpose"] = new([3, 4, 2], g => [g.Op("Transpose", [g.Conv(g.X, 1, 1, 2, 3), g.Ints(0, 3, 1, 2)]), g.Op("Transpose", [g.X, g.Ints(0, 2, 1, 3)])]),
        ["split-pack-unpack"] = new([4, 5, 6], g =>
        {
            var split = g.Op("Split", [g.W.IntScalar(g.Name("axis"), 3), g.X], a => a.Int("num_split", 2));
            var splitV = g.Op("SplitV", [g.X, g.Ints(1, -1, 2), g.W.IntScalar(g.Name("axis"), 2)], a => a.Int("num_split", 3).Type("Tlen", "DT_INT32"));
            var unpack = g.Op("Unpack", [g.X], a => a.Int("num", 4).Int("axis", 1));
            var pack = g.Op("Pack", [split, split + ":1"], a => a.Int("axis", 1).Int("N", 2));
            return [split, split + ":1", splitV, splitV + ":1", splitV + ":2", unpack, unpack + ":3", pack];
        }),
        ["tile"] = new([3, 4, 2], g => [g.Op("Tile", [g.X, g.Ints(1, 2, 1, 3)], a => a.Type("Tmultiples", "DT_INT32"))]),
        ["matmul-family"] = new([3, 4, 2], g =>
        {
            var flat = g.Op("Reshape", [g.X, g.Ints(-1, 24)], a => a.Type("Tshape", "DT_INT32"));
            return
            [
                g.Op("MatMul", [flat, g.Weights([24, 5])], a => a.Bool("transpose_a", false).Bool("transpose_b", false)),
                g.Op("MatMul", [flat, g.Weights([7, 24])], a => a.Bool("transpose_a", false).Bool("transpose_b", true)),
                g.Op("_FusedMatMul", [flat, g.Weights([24, 5]), g.Vector(5)],
                    a => a.Strs("fused_ops", "BiasAdd", "Relu").Int("num_args", 1).Bool("transpose_a", false).Bool("transpose_b", false).Float("epsilon", 0)),
                g.Op("BatchMatMulV2", [g.Op("Reshape", [g.X, g.Ints(-1, 12, 2)], a => a.Type("Tshape", "DT_INT32")), g.Weights([1, 2, 3])],
                    a => a.Bool("adj_x", false).Bool("adj_y", false)),
            ];
        }),
        ["resize"] = new([5, 7, 2], g =>
        {
            var c = g.Conv(g.X, 1, 1, 2, 2);
            return
            [
                g.Resize("ResizeBilinear", g.X, 8, 11, false, false), g.Resize("ResizeBilinear", g.X, 8, 11, true, false),
                g.Resize("ResizeBilinear", g.X, 8, 11, false, true), g.Resize("ResizeBilinear", c, 3, 4, false, true),
                g.Resize("ResizeBilinear", g.X, 3, 4, true, false), g.Resize("ResizeNearestNeighbor", g.X, 8, 11, false, false),
                g.Resize("ResizeNearestNeighbor", g.X, 8, 11, true, false), g.Resize("ResizeNearestNeighbor", g.X, 8, 11, false, true),
                g.Resize("ResizeNearestNeighbor", c, 3, 4, false, true), g.Resize("ResizeNearestNeighbor", g.X, 3, 4, true, false),
            ];
        }),
        ["fused-batch-norm"] = new([4, 4, 3], g =>
        {
            string BatchNorm(string x) => g.Op("FusedBatchNormV3", [x, g.Vector(3, 0.5f, 2), g.Vector(3), g.Vector(3), g.Vector(3, 0.1f, 2)],
                a => a.Float("epsilon", 0.001f).Str("data_format", "NHWC").Bool("is_training", false).Type("U", "DT_FLOAT"));
            return [BatchNorm(g.Conv(g.X, 1, 1, 3, 3)), BatchNorm(g.X)];
        }),
        ["cast-round-trip"] = new([3, 3, 2], g =>
        {
            var scaled = g.Op("Mul", [g.X, g.Scalar(10)]);
            var integer = g.W.Op("Cast", g.Name("cast"), [scaled], a => a.Type("SrcT", "DT_FLOAT").Type("DstT", "DT_INT32"));
            return [g.W.Op("Cast", g.Name("cast"), [integer], a => a.Type("SrcT", "DT_INT32").Type("DstT", "DT_FLOAT"))];
        }),
        ["quantised-weights"] = new([6, 6, 3], g =>
        [
            g.Conv(g.X, 3, 3, 3, 4, quantization: "uint8"), g.Conv(g.X, 3, 3, 3, 4, quantization: "uint16"),
            g.Conv(g.X, 3, 3, 3, 4, quantization: "float16"), g.FusedConv(g.X, 3, 4, "Relu", filterQuantization: "float16", biasQuantization: "uint8"),
            g.Op("DepthwiseConv2dNative", [g.X, g.Weights([3, 3, 3, 1], "uint16")], a => a.Window("SAME")),
        ]),
    };
}
