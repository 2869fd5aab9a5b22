using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>
/// Conv2D and depthwise convolution, plain or with fused bias and activation (grappler's
/// _FusedConv2D / FusedDepthwiseConv2dNative). Filters are re-laid out at conversion time
/// (HWIO to OIHW; depthwise HW,C,M to C*M,1,H,W with group = C) and the op runs in NCHW.
/// </summary>
internal static class ConvolutionOps
{
    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["Conv2D"] = (n, c) => Convert(n, c, depthwise: false, fused: false);
        map["_FusedConv2D"] = (n, c) => Convert(n, c, depthwise: false, fused: true);
        map["DepthwiseConv2dNative"] = (n, c) => Convert(n, c, depthwise: true, fused: false);
        map["DepthwiseConv2d"] = map["DepthwiseConv2dNative"];
        map["FusedDepthwiseConv2dNative"] = (n, c) => Convert(n, c, depthwise: true, fused: true);
    }

    private static void Convert(TfjsNode node, TfjsConversionContext ctx, bool depthwise, bool fused)
    {
        var x = ctx.Input(node, 0);
        if (x.Rank != 4) throw new TfjsFormatException($"{node}: input must be rank 4, is {Dims.Format(x.Shape)}");
        ElementwiseOps.RequireFloat(node, x);
        if (node.GetString("data_format", "NHWC") != "NHWC") throw new TfjsFormatException($"{node}: only NHWC convolutions are supported");
        var filter = ctx.ConstantInput(node, 1, "filter");
        if (filter.Rank != 4) throw new TfjsFormatException($"{node}: filter must be rank 4");

        var (strideH, strideW) = SpatialGeometry.HeightWidth(node, "strides", 1);
        var (dilationH, dilationW) = SpatialGeometry.HeightWidth(node, "dilations", 1);
        long kernelH = filter.Shape[0], kernelW = filter.Shape[1], filterIn = filter.Shape[2];
        var geometry = SpatialGeometry.Compute(node, node.GetString("padding"), node.GetInts("explicit_paddings"),
            x.Shape[1], x.Shape[2], kernelH, kernelW, strideH, strideW, dilationH, dilationW);

        var inChannels = x.Shape[3];
        long outChannels, group;
        TfjsTensor weight;
        if (depthwise)
        {
            var multiplier = filter.Shape[3];
            if (Dims.IsKnown(inChannels) && inChannels != filterIn)
                throw new TfjsFormatException($"{node}: depthwise filter has {filterIn} input channels, input has {inChannels}");
            outChannels = filterIn * multiplier;
            group = filterIn;
            // Output channel c*M+m reads input channel c: exactly ONNX's grouping with group = C.
            weight = filter.Transposed(2, 3, 0, 1).Reshaped(outChannels, 1, kernelH, kernelW);
        }
        else
        {
            outChannels = filter.Shape[3];
            group = 1;
            // TensorFlow.js rejects grouped convolutions too, so they are not converted.
            if (Dims.IsKnown(inChannels) && inChannels != filterIn)
                throw new TfjsFormatException($"{node}: filter expects {filterIn} input channels, input has {inChannels} (grouped convolution is not supported)");
            weight = filter.Transposed(3, 2, 0, 1);
        }

        var inputs = new List<string> { ctx.Nchw(x), ctx.Constant(weight, node.Name + "/weight") };
        string? activation = null;
        string? alpha = null;
        if (fused) (activation, alpha) = FusedArguments(node, ctx, outChannels, inputs);

        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("kernel_shape", kernelH, kernelW),
            OnnxAttribute.Ints("strides", strideH, strideW),
            OnnxAttribute.Ints("dilations", dilationH, dilationW),
            OnnxAttribute.Int("group", group),
        };
        attributes.Add(geometry.UsesAutoPad ? OnnxAttribute.String("auto_pad", "SAME_UPPER") : OnnxAttribute.Ints("pads", geometry.Pads!));
        var output = ctx.Node("Conv", inputs, activation == null ? node.Name : node.Name + "/conv", [.. attributes]);
        if (activation != null)
            output = Activations.Apply(ctx, activation, output, node.Name, alpha, node.GetFloat("leakyrelu_alpha", 0.2f));
        long[] shape = [x.Shape[0], geometry.OutHeight, geometry.OutWidth, outChannels];
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, x.DType, output, nchw: true));
    }

    /// <summary>
    /// Reads fused_ops ([BiasAdd, activation?]) and its extra inputs (bias, then the Prelu slope),
    /// as TensorFlow.js interprets them; adds the bias to the Conv inputs.
    /// </summary>
    private static (string? Activation, string? Alpha) FusedArguments(TfjsNode node, TfjsConversionContext ctx, long outChannels, List<string> convInputs)
    {
        var ops = node.GetStrings("fused_ops");
        if (ops.Length == 0) return (null, null);
        if (ops[0] != "BiasAdd")
            throw new TfjsFormatException($"{node}: fused op '{ops[0]}' is not supported (only BiasAdd, optionally followed by an activation)");
        if (ops.Length > 2) throw new TfjsFormatException($"{node}: more than two fused ops");
        var bias = ctx.ConstantInput(node, 2, "bias");
        if (bias.Count != outChannels) throw new TfjsFormatException($"{node}: bias has {bias.Count} values for {outChannels} channels");
        convInputs.Add(ctx.Constant(bias.Reshaped(outChannels), node.Name + "/bias"));
        if (ops.Length == 1) return (null, null);
        var activation = ops[1];
        string? alpha = null;
        if (activation == "Prelu")
        {
            var slope = ctx.Input(node, 3);
            if (slope.Constant == null && slope.Rank != 4)
                throw new TfjsFormatException($"{node}: a computed Prelu slope must be rank 4");
            alpha = ctx.Nchw(slope);
        }
        return (activation, alpha);
    }
}
