namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>
/// Shape bookkeeping for the conversion. A dimension is a known size (>= 0), <see cref="Batch"/>
/// (the graph input's leading dimension, left dynamic in the ONNX model) or <see cref="Unknown"/>.
/// </summary>
public static class Dims
{
    public const long Batch = -1;
    public const long Unknown = -2;

    public static bool IsKnown(long d) => d >= 0;
    public static bool AllKnown(IEnumerable<long> shape) => shape.All(IsKnown);

    public static string Format(IEnumerable<long> shape) =>
        "[" + string.Join(",", shape.Select(d => d switch { Batch => "N", Unknown => "?", _ => d.ToString() })) + "]";

    /// <summary>Numpy broadcasting of two shapes.</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var x = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            var y = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            result[i] = x == 1 ? y : y == 1 ? x : x == y ? x
                : !IsKnown(x) && IsKnown(y) ? y : IsKnown(x) && !IsKnown(y) ? x
                : IsKnown(x) && IsKnown(y) ? throw new TfjsFormatException($"shapes {Format(a)} and {Format(b)} do not broadcast")
                : Unknown;
        }
        return result;
    }

    /// <summary>Normalises a possibly negative axis against a rank.</summary>
    public static int Axis(long axis, int rank, string what)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new TfjsFormatException($"{what}: axis {axis} is out of range for rank {rank}");
        return (int)a;
    }
}

/// <summary>
/// A TensorFlow tensor during conversion: its logical (TensorFlow) shape, and the ONNX value(s) that
/// hold it. Rank-4 activations may live in ONNX as NCHW (what ONNX Conv wants) instead of the
/// model's NHWC; both forms are cached once made so no transpose is emitted twice.
/// </summary>
public sealed class TfValue
{
    public TfValue(long[] shape, TfDataType dtype, string? nativeName = null, string? nchwName = null, TfjsTensor? constant = null)
    {
        Shape = shape;
        DType = dtype;
        NativeName = nativeName;
        NchwName = nchwName;
        Constant = constant;
    }

    /// <summary>The shape as TensorFlow sees it (NHWC for images).</summary>
    public long[] Shape { get; }
    public TfDataType DType { get; }
    public int Rank => Shape.Length;
    /// <summary>Set when the value is known at conversion time.</summary>
    public TfjsTensor? Constant { get; }
    /// <summary>ONNX value in TensorFlow's layout, once it exists.</summary>
    public string? NativeName { get; internal set; }
    /// <summary>ONNX value transposed to NCHW (rank 4 only), once it exists.</summary>
    public string? NchwName { get; internal set; }

    /// <summary>True when the value exists only as NCHW, so layout-agnostic consumers should stay in NCHW.</summary>
    public bool PrefersNchw => NchwName != null && NativeName == null;

    public static TfValue FromConstant(TfjsTensor t) => new(t.Shape, t.DType, constant: t);
}
