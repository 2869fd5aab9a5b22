using FaceMatch.Models.Conversion.Onnx;
using Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>Unary and broadcasting binary ops. They follow their input's layout (NCHW stays NCHW).</summary>
internal static class ElementwiseOps
{
    private static readonly Dictionary<string, string> Unary = new()
    {
        ["Relu"] = "Relu", ["Sigmoid"] = "Sigmoid", ["Tanh"] = "Tanh", ["Abs"] = "Abs", ["Neg"] = "Neg",
        ["Exp"] = "Exp", ["Log"] = "Log", ["Sqrt"] = "Sqrt", ["Floor"] = "Floor", ["Ceil"] = "Ceil",
        ["Round"] = "Round", ["Sign"] = "Sign", ["Sin"] = "Sin", ["Cos"] = "Cos", ["Reciprocal"] = "Reciprocal",
        ["Inv"] = "Reciprocal", ["Softplus"] = "Softplus", ["Erf"] = "Erf",
    };

    private static readonly Dictionary<string, string> Binary = new()
    {
        ["Add"] = "Add", ["AddV2"] = "Add", ["BiasAdd"] = "Add", ["Sub"] = "Sub", ["Mul"] = "Mul",
        ["RealDiv"] = "Div", ["Div"] = "Div", ["Maximum"] = "Max", ["Minimum"] = "Min", ["Pow"] = "Pow",
    };

    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        foreach (var (tf, onnx) in Unary) map[tf] = (n, c) => UnaryOp(n, c, (x, hint) => c.Node(onnx, [x], hint));
        map["Elu"] = (n, c) => UnaryOp(n, c, (x, hint) => Activations.Apply(c, "Elu", x, hint, null, 0));
        map["Selu"] = (n, c) => UnaryOp(n, c, (x, hint) => Activations.Selu(c, x, hint));
        map["Relu6"] = (n, c) => UnaryOp(n, c, (x, hint) => Activations.Relu6(c, x, hint));
        map["LeakyRelu"] = (n, c) => UnaryOp(n, c, (x, hint) =>
            c.Node("LeakyRelu", [x], hint, OnnxAttribute.Float("alpha", n.GetFloat("alpha", 0.2f))));
        map["Rsqrt"] = (n, c) => UnaryOp(n, c, (x, hint) => c.Node("Reciprocal", [c.Node("Sqrt", [x], hint + "_sqrt")], hint));
        map["Square"] = (n, c) => UnaryOp(n, c, (x, hint) => c.Node("Mul", [x, x], hint));
        foreach (var op in new[] { "Identity", "StopGradient", "Snapshot" })
            map[op] = (n, c) => c.SetOutput(n, c.Input(n, 0));

        foreach (var (tf, onnx) in Binary) map[tf] = (n, c) => BinaryOp(n, c, onnx);
        map["SquaredDifference"] = (n, c) => BinaryOp(n, c, "Sub", square: true);
        map["Prelu"] = (n, c) => BinaryOp(n, c, "PRelu");
        map["AddN"] = AddN;
    }

    private static void UnaryOp(TfjsNode node, TfjsConversionContext ctx, Func<string, string, string> emit)
    {
        var x = ctx.Input(node, 0);
        RequireFloat(node, x);
        var nchw = x.Constant == null && x.PrefersNchw;
        var output = emit(nchw ? ctx.Nchw(x) : ctx.Native(x), node.Name);
        ctx.SetOutput(node, TfjsConversionContext.Produced(x.Shape, x.DType, output, nchw));
    }

    private static void BinaryOp(TfjsNode node, TfjsConversionContext ctx, string onnxOp, bool square = false)
    {
        var a = ctx.Input(node, 0);
        var b = ctx.Input(node, 1);
        if (node.Op == "BiasAdd" && node.GetString("data_format", "NHWC") != "NHWC")
            throw new TfjsFormatException($"{node}: only NHWC BiasAdd is supported");
        if (onnxOp is "Div" or "Pow" or "PRelu" || square) RequireFloat(node, a);
        var shape = Dims.Broadcast(a.Shape, b.Shape);
        if (onnxOp == "PRelu" && shape.Length != a.Rank)
            throw new TfjsFormatException($"{node}: the Prelu slope must not have a higher rank than its input");
        var nchw = shape.Length == 4 && TfjsConversionContext.ShouldUseNchw(a, b);
        var inputs = ctx.InLayout(nchw, a, b);
        string output;
        if (square)
        {
            var difference = ctx.Node("Sub", inputs, node.Name + "_diff");
            output = ctx.Node("Mul", [difference, difference], node.Name);
        }
        else output = ctx.Node(onnxOp, inputs, node.Name);
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, a.DType, output, nchw));
    }

    private static void AddN(TfjsNode node, TfjsConversionContext ctx)
    {
        var operands = Enumerable.Range(0, node.Inputs.Count).Select(i => ctx.Input(node, i)).ToArray();
        var shape = operands.Skip(1).Aggregate(operands[0].Shape, (s, o) => Dims.Broadcast(s, o.Shape));
        var nchw = shape.Length == 4 && TfjsConversionContext.ShouldUseNchw(operands);
        var output = ctx.Node("Sum", ctx.InLayout(nchw, operands), node.Name);
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, operands[0].DType, output, nchw));
    }

    internal static void RequireFloat(TfjsNode node, TfValue v)
    {
        if (v.DType != TfDataType.Float32)
            throw new TfjsFormatException($"{node}: only float32 is supported here, input is {v.DType}");
    }
}
