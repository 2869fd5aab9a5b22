using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>Softmax / LogSoftmax (last axis) and inference-mode FusedBatchNorm.</summary>
internal static class NormalizationOps
{
    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["Softmax"] = (n, c) => SoftmaxLike(n, c, "Softmax");
        map["LogSoftmax"] = (n, c) => SoftmaxLike(n, c, "LogSoftmax");
        map["FusedBatchNorm"] = BatchNorm;
        map["FusedBatchNormV2"] = BatchNorm;
        map["FusedBatchNormV3"] = BatchNorm;
    }

    private static void SoftmaxLike(TfjsNode node, TfjsConversionContext ctx, string onnxOp)
    {
        var x = ctx.Input(node, 0);
        ElementwiseOps.RequireFloat(node, x);
        var output = ctx.Node(onnxOp, [ctx.Native(x)], node.Name, OnnxAttribute.Int("axis", -1));
        ctx.SetOutput(node, new TfValue(x.Shape, x.DType, nativeName: output));
    }

    /// <summary>
    /// y = (x - mean) * (scale / sqrt(variance + epsilon)) + offset, the order TensorFlow.js
    /// evaluates it in, with the per-channel factor folded at conversion time.
    /// </summary>
    private static void BatchNorm(TfjsNode node, TfjsConversionContext ctx)
    {
        if (node.GetBool("is_training")) throw new TfjsFormatException($"{node}: training-mode batch norm is not supported");
        if (node.GetString("data_format", "NHWC") != "NHWC") throw new TfjsFormatException($"{node}: only NHWC batch norm is supported");
        var x = ctx.Input(node, 0);
        ElementwiseOps.RequireFloat(node, x);
        var scale = ctx.ConstantInput(node, 1, "scale").AsFloats();
        var offset = ctx.ConstantInput(node, 2, "offset").AsFloats();
        var mean = ctx.ConstantInput(node, 3, "mean").AsFloats();
        var variance = ctx.ConstantInput(node, 4, "variance").AsFloats();
        var epsilon = node.GetFloat("epsilon", 0.001f);
        var channels = scale.Length;
        if (offset.Length != channels || mean.Length != channels || variance.Length != channels)
            throw new TfjsFormatException($"{node}: scale, offset, mean and variance differ in length");
        var factor = new float[channels];
        for (var c = 0; c < channels; c++) factor[c] = (float)(scale[c] / Math.Sqrt((double)variance[c] + epsilon));

        var meanValue = TfValue.FromConstant(TfjsTensor.FromFloats(mean, channels));
        var factorValue = TfValue.FromConstant(TfjsTensor.FromFloats(factor, channels));
        var offsetValue = TfValue.FromConstant(TfjsTensor.FromFloats(offset, channels));
        var nchw = x.Rank == 4 && TfjsConversionContext.ShouldUseNchw(x, meanValue);
        var centered = ctx.Node("Sub", ctx.InLayout(nchw, x, meanValue), node.Name + "/centered");
        var scaled = ctx.Node("Mul", [centered, nchw ? ctx.Nchw(factorValue) : ctx.Native(factorValue)], node.Name + "/scaled");
        var output = ctx.Node("Add", [scaled, nchw ? ctx.Nchw(offsetValue) : ctx.Native(offsetValue)], node.Name);
        ctx.SetOutput(node, TfjsConversionContext.Produced(x.Shape, x.DType, output, nchw));
    }
}
