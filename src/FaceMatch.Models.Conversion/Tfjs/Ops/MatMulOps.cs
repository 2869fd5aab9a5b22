using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>MatMul, BatchMatMul and _FusedMatMul (bias plus activation), in the model's own layout.</summary>
internal static class MatMulOps
{
    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["MatMul"] = (n, c) => Convert(n, c, "transpose_a", "transpose_b", fused: false);
        map["_FusedMatMul"] = (n, c) => Convert(n, c, "transpose_a", "transpose_b", fused: true);
        map["BatchMatMul"] = (n, c) => Convert(n, c, "adj_x", "adj_y", fused: false);
        map["BatchMatMulV2"] = map["BatchMatMul"];
    }

    private static void Convert(TfjsNode node, TfjsConversionContext ctx, string transposeAAttr, string transposeBAttr, bool fused)
    {
        var a = ctx.Input(node, 0);
        var b = ctx.Input(node, 1);
        ElementwiseOps.RequireFloat(node, a);
        if (a.Rank < 2 || b.Rank < 2) throw new TfjsFormatException($"{node}: operands must be at least rank 2");
        if (node.Op is "MatMul" or "_FusedMatMul" && (a.Rank != 2 || b.Rank != 2))
            throw new TfjsFormatException($"{node}: MatMul operands must be rank 2");
        var left = SwapLastTwo(ctx, a, node.GetBool(transposeAAttr), node.Name + "/a");
        var right = SwapLastTwo(ctx, b, node.GetBool(transposeBAttr), node.Name + "/b");
        var m = left.Shape[^2];
        var k = left.Shape[^1];
        var n = right.Shape[^1];
        if (Dims.IsKnown(k) && Dims.IsKnown(right.Shape[^2]) && k != right.Shape[^2])
            throw new TfjsFormatException($"{node}: inner dimensions differ ({k} vs {right.Shape[^2]})");
        var batch = Dims.Broadcast(left.Shape[..^2], right.Shape[..^2]);
        long[] shape = [.. batch, m, n];

        string? activation = null;
        string? bias = null;
        string? alpha = null;
        if (fused)
        {
            var ops = node.GetStrings("fused_ops");
            if (ops.Length > 0)
            {
                if (ops[0] != "BiasAdd") throw new TfjsFormatException($"{node}: fused op '{ops[0]}' is not supported (only BiasAdd, optionally followed by an activation)");
                if (ops.Length > 2) throw new TfjsFormatException($"{node}: more than two fused ops");
                bias = ctx.Native(ctx.Input(node, 2));
                if (ops.Length == 2) activation = ops[1];
                if (activation == "Prelu") alpha = ctx.Native(ctx.Input(node, 3));
            }
        }

        var hint = bias == null && activation == null ? node.Name : node.Name + "/matmul";
        var output = ctx.Node("MatMul", [left.Name, right.Name], hint);
        if (bias != null) output = ctx.Node("Add", [output, bias], activation == null ? node.Name : node.Name + "/bias");
        if (activation != null) output = Activations.Apply(ctx, activation, output, node.Name, alpha, node.GetFloat("leakyrelu_alpha", 0.2f));
        ctx.SetOutput(node, new TfValue(shape, a.DType, nativeName: output));
    }

    private static (string Name, long[] Shape) SwapLastTwo(TfjsConversionContext ctx, TfValue v, bool transpose, string hint)
    {
        if (!transpose) return (ctx.Native(v), v.Shape);
        var perm = Enumerable.Range(0, v.Rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        var shape = perm.Select(p => v.Shape[p]).ToArray();
        if (v.Constant != null)
            return (ctx.Constant(v.Constant.Transposed(perm.Select(p => (int)p).ToArray()), hint), shape);
        return (ctx.Node("Transpose", [ctx.Native(v)], hint, OnnxAttribute.Ints("perm", perm)), shape);
    }
}
