using FaceMatch.Models.Conversion.Onnx;

namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>
/// Ops that move data without arithmetic: Reshape, Squeeze, ExpandDims, Concat, Pack/Unpack,
/// Split/SplitV, Transpose, Tile, Pad/PadV2/MirrorPad and Cast. Shape arguments must be
/// constants; a leading batch dimension is kept dynamic where the op allows it.
/// </summary>
internal static class ShapeOps
{
    // Where NHWC axis a sits in NCHW (N->0, H->2, W->3, C->1); also the NCHW->NHWC permutation.
    private static readonly long[] NhwcPositionsInNchw = [0, 2, 3, 1];

    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["Reshape"] = Reshape;
        map["Squeeze"] = Squeeze;
        map["ExpandDims"] = ExpandDims;
        map["ConcatV2"] = (n, c) => Concat(n, c, axisFirst: false);
        map["Concat"] = (n, c) => Concat(n, c, axisFirst: true);
        map["Pack"] = Pack;
        map["Unpack"] = Unpack;
        map["Split"] = Split;
        map["SplitV"] = SplitV;
        map["Transpose"] = Transpose;
        map["Tile"] = Tile;
        map["Pad"] = (n, c) => Pad(n, c, "constant");
        map["PadV2"] = (n, c) => Pad(n, c, "constant");
        map["MirrorPad"] = (n, c) => Pad(n, c, "mirror");
        map["Cast"] = Cast;
    }

    private static void Reshape(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var target = ctx.ConstantInput(node, 1, "shape").AsIntegers().ToArray();
        if (target.Any(d => d < -1) || target.Count(d => d == -1) > 1)
            throw new TfjsFormatException($"{node}: invalid target shape [{string.Join(",", target)}]");
        if (target.Contains(0)) throw new TfjsFormatException($"{node}: reshapes to empty tensors are not supported");
        var (onnxTarget, shape) = ResolveReshape(node, x.Shape, target);
        var output = ctx.Node("Reshape", [ctx.Native(x), ctx.Int64s(node.Name + "/shape", onnxTarget)], node.Name);
        ctx.SetOutput(node, new TfValue(shape, x.DType, nativeName: output));
    }

    /// <summary>
    /// Chooses the ONNX target shape. A reshape that keeps each batch item's elements together
    /// (the source writes its batch as 1 or -1) becomes [-1, ...rest] so any batch size works.
    /// </summary>
    internal static (long[] OnnxTarget, long[] Shape) ResolveReshape(TfjsNode node, long[] input, long[] target)
    {
        var hasBatch = input.Length > 0 && input[0] == Dims.Batch;
        var perItem = hasBatch && Dims.AllKnown(input[1..]) ? TfjsTensor.ElementCount(input[1..]) : -1;
        if (hasBatch && target.Length > 0 && (target[0] == 1 || target[0] == -1) && perItem >= 0)
        {
            var rest = target[1..].ToArray();
            var known = rest.Where(d => d != -1).Aggregate(1L, (a, d) => a * d);
            if (rest.Contains(-1) && target[0] == 1 && known > 0 && perItem % known == 0)
                rest[Array.IndexOf(rest, -1)] = perItem / known;
            if (!rest.Contains(-1) && TfjsTensor.ElementCount(rest) == perItem)
                return ([-1, .. rest], [Dims.Batch, .. rest]);
        }
        if (hasBatch && !target.Contains(-1))
            throw new TfjsFormatException(
                $"{node}: reshape of {Dims.Format(input)} to the fixed shape [{string.Join(",", target)}] mixes the batch dimension; " +
                "such a model cannot take a dynamic batch");
        var shape = target.Select(d => d == -1 ? Dims.Unknown : d).ToArray();
        if (Dims.AllKnown(input) && target.Contains(-1))
        {
            var known = target.Where(d => d != -1).Aggregate(1L, (a, d) => a * d);
            var total = TfjsTensor.ElementCount(input);
            if (total % known != 0) throw new TfjsFormatException($"{node}: cannot reshape {Dims.Format(input)} to [{string.Join(",", target)}]");
            shape[Array.IndexOf(target, -1)] = total / known;
        }
        else if (Dims.AllKnown(input) && TfjsTensor.ElementCount(input) != TfjsTensor.ElementCount(target))
            throw new TfjsFormatException($"{node}: cannot reshape {Dims.Format(input)} to [{string.Join(",", target)}]");
        return (target, shape);
    }

    private static void Squeeze(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var listed = node.GetInts(node.HasAttr("squeeze_dims") ? "squeeze_dims" : "axis");
        // With no axes listed TensorFlow drops every size-1 dimension; the dynamic batch is never one of them here.
        var axes = listed.Length > 0
            ? listed.Select(a => Dims.Axis(a, x.Rank, node.ToString())).Distinct().OrderBy(a => a).ToArray()
            : Enumerable.Range(0, x.Rank).Where(i => x.Shape[i] == 1).ToArray();
        foreach (var a in axes)
            if (Dims.IsKnown(x.Shape[a]) && x.Shape[a] != 1)
                throw new TfjsFormatException($"{node}: cannot squeeze dimension {a} of size {x.Shape[a]}");
        if (axes.Length == 0)
        {
            ctx.SetOutput(node, x);
            return;
        }
        var output = ctx.Node("Squeeze", [ctx.Native(x), ctx.Int64s(node.Name + "/axes", axes.Select(a => (long)a).ToArray())], node.Name);
        ctx.SetOutput(node, new TfValue(x.Shape.Where((_, i) => !axes.Contains(i)).ToArray(), x.DType, nativeName: output));
    }

    private static void ExpandDims(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var axisValues = ctx.ConstantInput(node, 1, "axis").AsIntegers();
        if (axisValues.Length != 1) throw new TfjsFormatException($"{node}: axis must be a single value");
        var axis = Dims.Axis(axisValues[0], x.Rank + 1, node.ToString());
        var output = ctx.Node("Unsqueeze", [ctx.Native(x), ctx.Int64s(node.Name + "/axes", axis)], node.Name);
        var shape = x.Shape.ToList();
        shape.Insert(axis, 1);
        ctx.SetOutput(node, new TfValue([.. shape], x.DType, nativeName: output));
    }

    private static void Concat(TfjsNode node, TfjsConversionContext ctx, bool axisFirst)
    {
        var count = node.Inputs.Count - 1;
        if (count < 1) throw new TfjsFormatException($"{node}: nothing to concatenate");
        var axisIndex = axisFirst ? 0 : count;
        var first = axisFirst ? 1 : 0;
        var operands = Enumerable.Range(first, count).Select(i => ctx.Input(node, i)).ToArray();
        var axisValues = ctx.ConstantInput(node, axisIndex, "axis").AsIntegers();
        if (axisValues.Length != 1) throw new TfjsFormatException($"{node}: axis must be a single value");
        var rank = operands[0].Rank;
        if (operands.Any(o => o.Rank != rank)) throw new TfjsFormatException($"{node}: operands differ in rank");
        var axis = Dims.Axis(axisValues[0], rank, node.ToString());
        var shape = operands[0].Shape.ToArray();
        shape[axis] = operands.All(o => Dims.IsKnown(o.Shape[axis])) ? operands.Sum(o => o.Shape[axis]) : Dims.Unknown;
        var nchw = rank == 4 && operands.Any(o => o.Constant == null && o.PrefersNchw) && operands.All(o => o.Rank == 4);
        var onnxAxis = nchw ? NhwcPositionsInNchw[axis] : axis;
        var output = ctx.Node("Concat", ctx.InLayout(nchw, operands), node.Name, OnnxAttribute.Int("axis", onnxAxis));
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, operands[0].DType, output, nchw));
    }

    private static void Pack(TfjsNode node, TfjsConversionContext ctx)
    {
        var operands = Enumerable.Range(0, node.Inputs.Count).Select(i => ctx.Input(node, i)).ToArray();
        var rank = operands[0].Rank;
        if (operands.Any(o => o.Rank != rank)) throw new TfjsFormatException($"{node}: operands differ in rank");
        var axis = Dims.Axis(node.GetInt("axis", 0), rank + 1, node.ToString());
        var axes = ctx.Int64s(node.Name + "/axes", axis);
        var parts = operands.Select((o, i) => ctx.Node("Unsqueeze", [ctx.Native(o), axes], $"{node.Name}/item{i}")).ToArray();
        var output = ctx.Node("Concat", parts, node.Name, OnnxAttribute.Int("axis", axis));
        var shape = operands[0].Shape.ToList();
        shape.Insert(axis, operands.Length);
        ctx.SetOutput(node, new TfValue([.. shape], operands[0].DType, nativeName: output));
    }

    private static void Unpack(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var axis = Dims.Axis(node.GetInt("axis", 0), x.Rank, node.ToString());
        var count = x.Shape[axis];
        if (!Dims.IsKnown(count)) throw new TfjsFormatException($"{node}: cannot unpack a dimension of unknown size");
        if (node.HasAttr("num") && node.GetInt("num") != count) throw new TfjsFormatException($"{node}: num differs from the dimension size");
        var pieces = count == 1
            ? [ctx.Native(x)]
            : ctx.Builder.AddNode("Split", [ctx.Native(x)], (int)count, node.Name + "/split", OnnxAttribute.Int("axis", axis));
        var axes = ctx.Int64s(node.Name + "/axes", axis);
        var shape = x.Shape.Where((_, i) => i != axis).ToArray();
        for (var i = 0; i < count; i++)
            ctx.SetOutput(node, new TfValue(shape, x.DType, nativeName: ctx.Node("Squeeze", [pieces[i], axes], $"{node.Name}_{i}")), i);
    }

    private static void Split(TfjsNode node, TfjsConversionContext ctx)
    {
        var axisValues = ctx.ConstantInput(node, 0, "axis").AsIntegers();
        var x = ctx.Input(node, 1);
        if (axisValues.Length != 1) throw new TfjsFormatException($"{node}: axis must be a single value");
        var axis = Dims.Axis(axisValues[0], x.Rank, node.ToString());
        var count = node.GetInt("num_split");
        var size = x.Shape[axis];
        if (!Dims.IsKnown(size)) throw new TfjsFormatException($"{node}: cannot split a dimension of unknown size");
        if (count < 1 || size % count != 0) throw new TfjsFormatException($"{node}: {size} does not split into {count} equal parts");
        EmitSplit(node, ctx, x, axis, Enumerable.Repeat(size / count, (int)count).ToArray());
    }

    private static void SplitV(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var sizes = ctx.ConstantInput(node, 1, "size_splits").AsIntegers().ToArray();
        var axisValues = ctx.ConstantInput(node, 2, "axis").AsIntegers();
        if (axisValues.Length != 1) throw new TfjsFormatException($"{node}: axis must be a single value");
        var axis = Dims.Axis(axisValues[0], x.Rank, node.ToString());
        var size = x.Shape[axis];
        if (!Dims.IsKnown(size)) throw new TfjsFormatException($"{node}: cannot split a dimension of unknown size");
        var inferred = Array.IndexOf(sizes, -1);
        if (inferred >= 0) sizes[inferred] = size - sizes.Where((_, i) => i != inferred).Sum();
        if (sizes.Any(s => s < 0) || sizes.Sum() != size)
            throw new TfjsFormatException($"{node}: split sizes [{string.Join(",", sizes)}] do not add up to {size}");
        EmitSplit(node, ctx, x, axis, sizes);
    }

    private static void EmitSplit(TfjsNode node, TfjsConversionContext ctx, TfValue x, int axis, long[] sizes)
    {
        var pieces = sizes.Length == 1
            ? [ctx.Native(x)]
            : ctx.Builder.AddNode("Split", [ctx.Native(x), ctx.Int64s(node.Name + "/sizes", sizes)], sizes.Length, node.Name,
                OnnxAttribute.Int("axis", axis));
        for (var i = 0; i < sizes.Length; i++)
        {
            var shape = x.Shape.ToArray();
            shape[axis] = sizes[i];
            ctx.SetOutput(node, new TfValue(shape, x.DType, nativeName: pieces[i]), i);
        }
    }

    private static void Transpose(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var perm = ctx.ConstantInput(node, 1, "perm").AsIntegers().ToArray();
        if (perm.Length != x.Rank || perm.Distinct().Count() != x.Rank || perm.Any(p => p < 0 || p >= x.Rank))
            throw new TfjsFormatException($"{node}: [{string.Join(",", perm)}] is not a permutation of rank {x.Rank}");
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        string output;
        if (x.PrefersNchw && x.Constant == null)
        {
            // Compose with the NCHW->NHWC step instead of emitting two transposes.
            var composed = perm.Select(p => NhwcPositionsInNchw[p]).ToArray();
            output = ctx.Node("Transpose", [ctx.Nchw(x)], node.Name, OnnxAttribute.Ints("perm", composed));
        }
        else output = ctx.Node("Transpose", [ctx.Native(x)], node.Name, OnnxAttribute.Ints("perm", perm));
        ctx.SetOutput(node, new TfValue(shape, x.DType, nativeName: output));
    }

    private static void Tile(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var multiples = ctx.ConstantInput(node, 1, "multiples").AsIntegers();
        if (multiples.Length != x.Rank || multiples.Any(m => m < 1))
            throw new TfjsFormatException($"{node}: multiples [{string.Join(",", multiples)}] do not fit rank {x.Rank}");
        var shape = x.Shape.Select((d, i) => multiples[i] == 1 ? d : Dims.IsKnown(d) ? d * multiples[i] : Dims.Unknown).ToArray();
        var output = ctx.Node("Tile", [ctx.Native(x), ctx.Int64s(node.Name + "/repeats", multiples)], node.Name);
        ctx.SetOutput(node, new TfValue(shape, x.DType, nativeName: output));
    }

    private static void Pad(TfjsNode node, TfjsConversionContext ctx, string kind)
    {
        var x = ctx.Input(node, 0);
        ElementwiseOps.RequireFloat(node, x);
        var paddings = ctx.ConstantInput(node, 1, "paddings").AsIntegers();
        if (paddings.Length != 2 * x.Rank) throw new TfjsFormatException($"{node}: paddings must be [{x.Rank},2]");
        if (paddings.Any(p => p < 0)) throw new TfjsFormatException($"{node}: negative paddings are not supported");
        var mode = "constant";
        if (kind == "mirror")
        {
            var tfMode = node.GetString("mode");
            if (tfMode != "REFLECT")
                throw new TfjsFormatException($"{node}: MirrorPad mode {tfMode} is not supported (ONNX Pad has reflect, not symmetric)");
            mode = "reflect";
        }
        float value = 0;
        if (node.Op == "PadV2") value = ctx.ConstantInput(node, 2, "constant_values").AsFloats().Single();
        else if (node.Op == "Pad") value = node.GetFloat("constant_value", 0f);

        var nchw = x.Rank == 4 && x.Constant == null && x.PrefersNchw;
        // ONNX wants all begins, then all ends, in the tensor's physical axis order.
        var order = nchw ? new[] { 0, 3, 1, 2 } : Enumerable.Range(0, x.Rank).ToArray();
        var pads = order.Select(a => paddings[2 * a]).Concat(order.Select(a => paddings[2 * a + 1])).ToArray();
        var inputs = new List<string> { nchw ? ctx.Nchw(x) : ctx.Native(x), ctx.Int64s(node.Name + "/pads", pads) };
        if (mode == "constant") inputs.Add(ctx.FloatScalar(node.Name + "/value", value));
        var output = ctx.Node("Pad", inputs, node.Name, OnnxAttribute.String("mode", mode));
        var shape = x.Shape.Select((d, i) =>
        {
            var grow = paddings[2 * i] + paddings[2 * i + 1];
            return grow == 0 ? d : Dims.IsKnown(d) ? d + grow : Dims.Unknown;
        }).ToArray();
        ctx.SetOutput(node, TfjsConversionContext.Produced(shape, x.DType, output, nchw));
    }

    private static void Cast(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var to = node.GetDType("DstT");
        if (to == x.DType)
        {
            ctx.SetOutput(node, x);
            return;
        }
        if (x.Constant is { } c)
        {
            // Fold casts of constants so shape arguments stay known.
            ctx.SetOutput(node, TfValue.FromConstant(CastConstant(c, to)));
            return;
        }
        var nchw = x.PrefersNchw;
        var output = ctx.Node("Cast", [nchw ? ctx.Nchw(x) : ctx.Native(x)], node.Name, OnnxAttribute.Int("to", (long)TfDataTypes.ToOnnx(to)));
        ctx.SetOutput(node, TfjsConversionContext.Produced(x.Shape, to, output, nchw));
    }

    private static TfjsTensor CastConstant(TfjsTensor c, TfDataType to) => to switch
    {
        TfDataType.Float32 => TfjsTensor.FromFloats(c.AsFloats(), c.Shape),
        TfDataType.Bool => TfjsTensor.FromIntegers(to, c.Floats != null ? c.Floats.Select(f => f != 0 ? 1L : 0L).ToArray() : c.Integers!.Select(v => v != 0 ? 1L : 0L).ToArray(), c.Shape),
        _ => TfjsTensor.FromIntegers(to, c.Floats != null ? c.Floats.Select(f => (long)MathF.Truncate(f)).ToArray() : c.Integers!, c.Shape),
    };
}
