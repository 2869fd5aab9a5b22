using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>
/// MaxPool and AvgPool in NCHW. TensorFlow averages over the window's in-bounds pixels only, which
/// is ONNX AveragePool with count_include_pad = 0; max pooling ignores padding in both.
/// </summary>
internal static class PoolingOps
{
    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["MaxPool"] = (n, c) => Convert(n, c, "MaxPool");
        map["AvgPool"] = (n, c) => Convert(n, c, "AveragePool");
    }

    private static void Convert(TfjsNode node, TfjsConversionContext ctx, string onnxOp)
    {
        var x = ctx.Input(node, 0);
        if (x.Rank != 4) throw new TfjsFormatException($"{node}: input must be rank 4, is {Dims.Format(x.Shape)}");
        ElementwiseOps.RequireFloat(node, x);
        if (node.GetString("data_format", "NHWC") != "NHWC") throw new TfjsFormatException($"{node}: only NHWC pooling is supported");
        var (kernelH, kernelW) = SpatialGeometry.HeightWidth(node, "ksize", 1);
        var (strideH, strideW) = SpatialGeometry.HeightWidth(node, "strides", 1);
        var geometry = SpatialGeometry.Compute(node, node.GetString("padding"), node.GetInts("explicit_paddings"),
            x.Shape[1], x.Shape[2], kernelH, kernelW, strideH, strideW, 1, 1);
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("kernel_shape", kernelH, kernelW),
            OnnxAttribute.Ints("strides", strideH, strideW),
            geometry.UsesAutoPad ? OnnxAttribute.String("auto_pad", "SAME_UPPER") : OnnxAttribute.Ints("pads", geometry.Pads!),
        };
        if (onnxOp == "AveragePool") attributes.Add(OnnxAttribute.Int("count_include_pad", 0));
        var output = ctx.Node(onnxOp, [ctx.Nchw(x)], node.Name, [.. attributes]);
        long[] shape = [x.Shape[0], geometry.OutHeight, geometry.OutWidth, x.Shape[3]];
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, x.DType, output, nchw: true));
    }
}
