namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>
/// StridedSlice (all five masks) and Slice, as one ONNX Slice plus Squeeze/Unsqueeze for the
/// shrink and new axes. ONNX Slice clamps explicit indices the way Python/TensorFlow do, so
/// explicit begin/end values pass through; masks become open ends.
/// </summary>
internal static class SliceOps
{
    public static void Register(Dictionary<string, TfjsOpConverter> map)
    {
        map["StridedSlice"] = StridedSlice;
        map["Slice"] = Slice;
    }

    private enum EntryKind { Slice, NewAxis }

    private sealed record Entry(EntryKind Kind, int Axis, long Begin, long End, long Stride, bool BeginMasked, bool EndMasked, bool Shrink);

    private static void StridedSlice(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var begin = ctx.ConstantInput(node, 1, "begin").AsIntegers();
        var end = ctx.ConstantInput(node, 2, "end").AsIntegers();
        var strides = ctx.ConstantInput(node, 3, "strides").AsIntegers();
        if (begin.Length != end.Length || begin.Length != strides.Length)
            throw new TfjsFormatException($"{node}: begin, end and strides differ in length");
        long beginMask = node.GetInt("begin_mask", 0), endMask = node.GetInt("end_mask", 0);
        long ellipsisMask = node.GetInt("ellipsis_mask", 0), newAxisMask = node.GetInt("new_axis_mask", 0);
        long shrinkMask = node.GetInt("shrink_axis_mask", 0);
        if (long.PopCount(ellipsisMask) > 1) throw new TfjsFormatException($"{node}: more than one ellipsis");
        bool Bit(long mask, int i) => ((mask >> i) & 1) != 0;

        // Expand the sparse spec (with its ellipsis) into one entry per output-producing position.
        var entries = new List<Entry>();
        var axis = 0;
        for (var i = 0; i < begin.Length; i++)
        {
            if (Bit(ellipsisMask, i))
            {
                var consumingAfter = Enumerable.Range(i + 1, begin.Length - i - 1).Count(j => !Bit(newAxisMask, j) && !Bit(ellipsisMask, j));
                var cover = x.Rank - axis - consumingAfter;
                for (var k = 0; k < cover; k++) entries.Add(Full(axis++));
            }
            else if (Bit(newAxisMask, i)) entries.Add(new(EntryKind.NewAxis, -1, 0, 0, 1, false, false, false));
            else
            {
                if (strides[i] == 0) throw new TfjsFormatException($"{node}: stride 0");
                entries.Add(new(EntryKind.Slice, axis++, begin[i], end[i], strides[i], Bit(beginMask, i), Bit(endMask, i), Bit(shrinkMask, i)));
            }
        }
        while (axis < x.Rank) entries.Add(Full(axis++));
        if (axis > x.Rank) throw new TfjsFormatException($"{node}: the slice spec addresses {axis} dimensions of a rank-{x.Rank} tensor");

        var starts = new List<long>();
        var ends = new List<long>();
        var axes = new List<long>();
        var steps = new List<long>();
        var squeezeAxes = new List<long>();
        var newAxisPositions = new List<long>();
        var shape = new List<long>();
        foreach (var e in entries)
        {
            if (e.Kind == EntryKind.NewAxis)
            {
                newAxisPositions.Add(shape.Count);
                shape.Add(1);
                continue;
            }
            var size = x.Shape[e.Axis];
            if (e.Shrink)
            {
                var index = e.Begin;
                if (Dims.IsKnown(size))
                {
                    if (index < 0) index += size;
                    if (index < 0 || index >= size) throw new TfjsFormatException($"{node}: index {e.Begin} out of range for size {size}");
                }
                starts.Add(index);
                ends.Add(index == -1 ? long.MaxValue : index + 1);
                axes.Add(e.Axis);
                steps.Add(1);
                squeezeAxes.Add(e.Axis);
                continue;
            }
            var start = e.BeginMasked ? (e.Stride > 0 ? 0 : long.MaxValue) : e.Begin;
            var stop = e.EndMasked ? (e.Stride > 0 ? long.MaxValue : long.MinValue) : e.End;
            if (!(start == 0 && stop == long.MaxValue && e.Stride == 1))
            {
                starts.Add(start);
                ends.Add(stop);
                axes.Add(e.Axis);
                steps.Add(e.Stride);
                shape.Add(SlicedLength(e, size));
            }
            else shape.Add(size);
        }

        var output = ctx.Native(x);
        if (axes.Count > 0)
            output = ctx.Node("Slice",
                [output, ctx.Int64s(node.Name + "/starts", [.. starts]), ctx.Int64s(node.Name + "/ends", [.. ends]),
                 ctx.Int64s(node.Name + "/axes", [.. axes]), ctx.Int64s(node.Name + "/steps", [.. steps])],
                squeezeAxes.Count == 0 && newAxisPositions.Count == 0 ? node.Name : node.Name + "/slice");
        if (squeezeAxes.Count > 0)
            output = ctx.Node("Squeeze", [output, ctx.Int64s(node.Name + "/shrink", [.. squeezeAxes])],
                newAxisPositions.Count == 0 ? node.Name : node.Name + "/shrunk");
        if (newAxisPositions.Count > 0)
            output = ctx.Node("Unsqueeze", [output, ctx.Int64s(node.Name + "/newaxes", [.. newAxisPositions])], node.Name);
        if (output == ctx.Native(x))
        {
            ctx.SetOutput(node, x);
            return;
        }
        ctx.SetOutput(node, new TfValue([.. shape], x.DType, nativeName: output));
    }

    private static Entry Full(int axis) => new(EntryKind.Slice, axis, 0, 0, 1, true, true, false);

    /// <summary>Length of a strided range under TensorFlow's clamping, or Unknown.</summary>
    private static long SlicedLength(Entry e, long size)
    {
        if (!Dims.IsKnown(size)) return Dims.Unknown;
        var s = e.Stride;
        long Clamp(long v) => s > 0 ? Math.Clamp(v, 0, size) : Math.Clamp(v, -1, size - 1);
        var b = e.BeginMasked ? (s > 0 ? 0 : size - 1) : Clamp(e.Begin < 0 ? e.Begin + size : e.Begin);
        var end = e.EndMasked ? (s > 0 ? size : -1) : Clamp(e.End < 0 ? e.End + size : e.End);
        var span = s > 0 ? end - b : b - end;
        var step = Math.Abs(s);
        return span <= 0 ? 0 : (span + step - 1) / step;
    }

    private static void Slice(TfjsNode node, TfjsConversionContext ctx)
    {
        var x = ctx.Input(node, 0);
        var begin = ctx.ConstantInput(node, 1, "begin").AsIntegers();
        var size = ctx.ConstantInput(node, 2, "size").AsIntegers();
        if (begin.Length != x.Rank || size.Length != x.Rank) throw new TfjsFormatException($"{node}: begin/size must have one value per dimension");
        var shape = new long[x.Rank];
        var ends = new long[x.Rank];
        for (var i = 0; i < x.Rank; i++)
        {
            if (begin[i] < 0 || size[i] < -1) throw new TfjsFormatException($"{node}: invalid begin/size");
            ends[i] = size[i] == -1 ? long.MaxValue : begin[i] + size[i];
            shape[i] = size[i] != -1 ? size[i] : begin[i] == 0 ? x.Shape[i] : Dims.IsKnown(x.Shape[i]) ? x.Shape[i] - begin[i] : Dims.Unknown;
        }
        var output = ctx.Node("Slice",
            [ctx.Native(x), ctx.Int64s(node.Name + "/starts", begin), ctx.Int64s(node.Name + "/ends", ends),
             ctx.Int64s(node.Name + "/axes", Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray())], node.Name);
        ctx.SetOutput(node, new TfValue(shape, x.DType, nativeName: output));
    }
}
