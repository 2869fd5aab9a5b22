using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>The activation functions TensorFlow fuses into conv/matmul ops, emitted as ONNX nodes.</summary>
internal static class Activations
{
    /// <summary>Applies <paramref name="activation"/> (a fused_ops name such as "Relu6") to an ONNX value.</summary>
    /// <param name="alpha">The Prelu slope tensor, already in the layout of <paramref name="x"/>.</param>
    public static string Apply(TfjsConversionContext ctx, string activation, string x, string hint, string? alpha, float leakyAlpha) =>
        activation switch
        {
            "Relu" => ctx.Node("Relu", [x], hint),
            "Relu6" => Relu6(ctx, x, hint),
            "Elu" => ctx.Node("Elu", [x], hint, OnnxAttribute.Float("alpha", 1f)),
            "Selu" => Selu(ctx, x, hint),
            "Sigmoid" => ctx.Node("Sigmoid", [x], hint),
            "Tanh" => ctx.Node("Tanh", [x], hint),
            "LeakyRelu" => ctx.Node("LeakyRelu", [x], hint, OnnxAttribute.Float("alpha", leakyAlpha)),
            "Prelu" => ctx.Node("PRelu", [x, alpha ?? throw new TfjsFormatException($"{hint}: Prelu needs its alpha tensor")], hint),
            _ => throw new TfjsFormatException($"{hint}: fused activation '{activation}' is not supported"),
        };

    public static string Relu6(TfjsConversionContext ctx, string x, string hint) =>
        ctx.Node("Clip", [x, ctx.FloatScalar("zero", 0f), ctx.FloatScalar("six", 6f)], hint);

    // TensorFlow's constants, to float precision.
    public static string Selu(TfjsConversionContext ctx, string x, string hint) =>
        ctx.Node("Selu", [x], hint, OnnxAttribute.Float("alpha", 1.6732632423543772f), OnnxAttribute.Float("gamma", 1.0507009873554805f));
}
