using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>
/// ResizeBilinear / ResizeNearestNeighbor as ONNX Resize with explicit output sizes. TensorFlow's
/// align_corners / half_pixel_centers flags map onto coordinate_transformation_mode (and, for
/// nearest, the rounding TensorFlow.js applies: Math.round with align_corners, floor otherwise).
/// </summary>
internal static class ResizeOps
{
    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["ResizeBilinear"] = (n, c) => Convert(n, c, nearest: false);
        map["ResizeNearestNeighbor"] = (n, c) => Convert(n, c, nearest: true);
    }

    private static void Convert(TfjsNode node, TfjsConversionContext ctx, bool nearest)
    {
        var x = ctx.Input(node, 0);
        if (x.Rank != 4) throw new TfjsFormatException($"{node}: images must be rank 4, is {Dims.Format(x.Shape)}");
        ElementwiseOps.RequireFloat(node, x);
        var size = ctx.ConstantInput(node, 1, "size").AsIntegers();
        if (size.Length != 2 || size.Any(s => s < 1)) throw new TfjsFormatException($"{node}: size must be two positive values");
        var alignCorners = node.GetBool("align_corners");
        var halfPixel = node.GetBool("half_pixel_centers");
        if (alignCorners && halfPixel) throw new TfjsFormatException($"{node}: align_corners and half_pixel_centers cannot both be set");

        var attributes = new List<OnnxAttribute> { OnnxAttribute.String("mode", nearest ? "nearest" : "linear") };
        var transform = alignCorners ? "align_corners" : halfPixel ? (nearest ? "tf_half_pixel_for_nn" : "half_pixel") : "asymmetric";
        attributes.Add(OnnxAttribute.String("coordinate_transformation_mode", transform));
        if (nearest) attributes.Add(OnnxAttribute.String("nearest_mode", alignCorners ? "round_prefer_ceil" : "floor"));

        // Sizes cover every axis, so the (dynamic) leading ones come from the input's own shape.
        var nchw = x.Constant == null && x.PrefersNchw;
        var input = nchw ? ctx.Nchw(x) : ctx.Native(x);
        string sizes;
        if (nchw)
        {
            var lead = ctx.Node("Shape", [input], node.Name + "/nc", OnnxAttribute.Int("start", 0), OnnxAttribute.Int("end", 2));
            sizes = ctx.Node("Concat", [lead, ctx.Int64s(node.Name + "/hw", size[0], size[1])], node.Name + "/sizes", OnnxAttribute.Int("axis", 0));
        }
        else
        {
            var batch = ctx.Node("Shape", [input], node.Name + "/n", OnnxAttribute.Int("start", 0), OnnxAttribute.Int("end", 1));
            var channels = ctx.Node("Shape", [input], node.Name + "/c", OnnxAttribute.Int("start", 3), OnnxAttribute.Int("end", 4));
            sizes = ctx.Node("Concat", [batch, ctx.Int64s(node.Name + "/hw", size[0], size[1]), channels], node.Name + "/sizes", OnnxAttribute.Int("axis", 0));
        }
        var output = ctx.Node("Resize", [input, "", "", sizes], node.Name, [.. attributes]);
        long[] shape = [x.Shape[0], size[0], size[1], x.Shape[3]];
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, x.DType, output, nchw));
    }
}
