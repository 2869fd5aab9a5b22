using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>Sum/Mean/Max/Min/Prod over constant axes, with keep_dims.</summary>
internal static class ReductionOps
{
    // NHWC axis -> where it sits in NCHW.
    private static readonly int[] NhwcToNchwAxis = [0, 2, 3, 1];

    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["Sum"] = (n, c) => Convert(n, c, "ReduceSum");
        map["Mean"] = (n, c) => Convert(n, c, "ReduceMean");
        map["Max"] = (n, c) => Convert(n, c, "ReduceMax");
        map["Min"] = (n, c) => Convert(n, c, "ReduceMin");
        map["Prod"] = (n, c) => Convert(n, c, "ReduceProd");
    }

    private static void Convert(TfjsNode node, TfjsConversionContext ctx, string onnxOp)
    {
        var x = ctx.Input(node, 0);
        ElementwiseOps.RequireFloat(node, x);
        var keepDims = node.GetBool("keep_dims");
        var axes = ctx.ConstantInput(node, 1, "axis").AsIntegers()
            .Select(a => Dims.Axis(a, x.Rank, node.ToString())).Distinct().OrderBy(a => a).ToArray();
        if (axes.Length == 0)
        {
            // TensorFlow reduces nothing over an empty axis list; ONNX would reduce everything.
            ctx.SetOutput(node, x);
            return;
        }
        var shape = keepDims
            ? x.Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray()
            : x.Shape.Where((_, i) => !axes.Contains(i)).ToArray();
        var nchw = keepDims && x.Rank == 4 && x.PrefersNchw;
        var onnxAxes = axes.Select(a => (long)(nchw ? NhwcToNchwAxis[a] : a)).OrderBy(a => a).ToArray();
        var input = nchw ? ctx.Nchw(x) : ctx.Native(x);
        var keep = OnnxAttribute.Int("keepdims", keepDims ? 1 : 0);
        // Opset 13+ takes ReduceSum's axes as an input; the other reductions take them as an attribute until opset 18.
        var output = onnxOp == "ReduceSum"
            ? ctx.Node(onnxOp, [input, ctx.Int64s(node.Name + "/axes", onnxAxes)], node.Name, keep)
            : ctx.Node(onnxOp, [input], node.Name, keep, OnnxAttribute.Ints("axes", onnxAxes));
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, x.DType, output, nchw));
    }
}
