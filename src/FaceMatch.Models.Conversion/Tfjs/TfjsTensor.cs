namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>Element types a TensorFlow.js graph model carries in its weights and attributes.</summary>
public enum TfDataType { Float32, Int32, Int64, Bool }

public static class TfDataTypes
{
    /// <summary>Parses a weights-manifest dtype ("float32") or a GraphDef DataType ("DT_FLOAT").</summary>
    public static TfDataType Parse(string text) => text switch
    {
        "float32" or "DT_FLOAT" => TfDataType.Float32,
        "int32" or "DT_INT32" => TfDataType.Int32,
        "int64" or "DT_INT64" => TfDataType.Int64,
        "bool" or "DT_BOOL" => TfDataType.Bool,
        _ => throw new TfjsFormatException($"data type '{text}' is not supported (float32, int32, int64 and bool are)"),
    };

    public static global::Onnx.TensorProto.Types.DataType ToOnnx(TfDataType type) => type switch
    {
        TfDataType.Float32 => global::Onnx.TensorProto.Types.DataType.Float,
        TfDataType.Int32 => global::Onnx.TensorProto.Types.DataType.Int32,
        TfDataType.Int64 => global::Onnx.TensorProto.Types.DataType.Int64,
        TfDataType.Bool => global::Onnx.TensorProto.Types.DataType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}

/// <summary>
/// A constant tensor known at conversion time (a weight, or a shape/axis argument). Floats live in
/// <see cref="Floats"/>; int32, int64 and bool values in <see cref="Integers"/>.
/// </summary>
public sealed class TfjsTensor
{
    public TfDataType DType { get; }
    public long[] Shape { get; }
    public float[]? Floats { get; }
    public long[]? Integers { get; }

    private TfjsTensor(TfDataType dtype, long[] shape, float[]? floats, long[]? integers)
    {
        DType = dtype;
        Shape = shape;
        Floats = floats;
        Integers = integers;
        var count = ElementCount(shape);
        var actual = floats?.Length ?? integers!.Length;
        if (actual != count)
            throw new TfjsFormatException($"tensor of shape [{string.Join(",", shape)}] needs {count} values, has {actual}");
    }

    public static TfjsTensor FromFloats(float[] values, params long[] shape) => new(TfDataType.Float32, shape, values, null);

    public static TfjsTensor FromIntegers(TfDataType dtype, long[] values, params long[] shape)
    {
        if (dtype == TfDataType.Float32) throw new ArgumentException("use FromFloats for float32", nameof(dtype));
        return new(dtype, shape, null, values);
    }

    public int Rank => Shape.Length;
    public long Count => Floats?.Length ?? Integers!.Length;

    public static long ElementCount(IEnumerable<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new TfjsFormatException("a constant tensor cannot have an unknown dimension");
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>The values as integers (int32/int64/bool, or a float tensor holding whole numbers).</summary>
    public long[] AsIntegers()
    {
        if (Integers != null) return Integers;
        var result = new long[Floats!.Length];
        for (var i = 0; i < result.Length; i++)
        {
            if (Floats[i] != MathF.Floor(Floats[i])) throw new TfjsFormatException("expected whole numbers in an integer argument");
            result[i] = (long)Floats[i];
        }
        return result;
    }

    public float[] AsFloats() => Floats ?? Integers!.Select(v => (float)v).ToArray();

    /// <summary>The same values with a different shape (same element count).</summary>
    public TfjsTensor Reshaped(params long[] shape) =>
        Floats != null ? new(DType, shape, Floats, null) : new(DType, shape, null, Integers);

    /// <summary>Permutes the axes (numpy transpose): result axis i is source axis perm[i].</summary>
    public TfjsTensor Transposed(params int[] perm)
    {
        if (perm.Length != Rank) throw new ArgumentException("permutation rank mismatch", nameof(perm));
        var newShape = perm.Select(p => Shape[p]).ToArray();
        var srcStrides = Strides(Shape);
        var count = (int)Count;
        var floats = Floats != null ? new float[count] : null;
        var ints = Integers != null ? new long[count] : null;
        var index = new long[Rank];
        for (var o = 0; o < count; o++)
        {
            long src = 0;
            for (var a = 0; a < Rank; a++) src += index[a] * srcStrides[perm[a]];
            if (floats != null) floats[o] = Floats![src];
            else ints![o] = Integers![src];
            for (var a = Rank - 1; a >= 0; a--)
            {
                if (++index[a] < newShape[a]) break;
                index[a] = 0;
            }
        }
        return floats != null ? new(DType, newShape, floats, null) : new(DType, newShape, null, ints);
    }

    private static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }
}

/// <summary>The model files are malformed or use something this converter does not handle.</summary>
public sealed class TfjsFormatException(string message) : Exception(message);
