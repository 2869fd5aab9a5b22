using FaceMatch.Models.Conversion.Onnx;
using Onnx;

namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>
/// State of one conversion: the ONNX graph being built and the TensorFlow tensors converted so far.
/// Op converters read their inputs and publish their outputs here, and use its helpers for layout
/// changes and constants so those are emitted once.
/// </summary>
public sealed class TfjsConversionContext
{
    private static readonly long[] ToNchw = [0, 3, 1, 2];
    private static readonly long[] ToNhwc = [0, 2, 3, 1];
    private readonly Dictionary<string, TfValue> _values = new();
    private readonly IReadOnlyDictionary<string, TfjsTensor> _weights;

    internal TfjsConversionContext(OnnxGraphBuilder builder, IReadOnlyDictionary<string, TfjsTensor> weights)
    {
        Builder = builder;
        _weights = weights;
    }

    public OnnxGraphBuilder Builder { get; }

    internal bool TryGetWeight(string name, out TfjsTensor tensor) => _weights.TryGetValue(name, out tensor!);

    public TfValue Input(TfjsNode node, int index)
    {
        if (index >= node.Inputs.Count)
            throw new TfjsFormatException($"{node} has {node.Inputs.Count} inputs, needs at least {index + 1}");
        var reference = node.Inputs[index];
        return _values.TryGetValue(reference.ToString(), out var v)
            ? v
            : throw new TfjsFormatException($"{node}: input '{reference}' was not produced by any converted node");
    }

    /// <summary>An input that must be known at conversion time (a shape, axis or padding argument).</summary>
    public TfjsTensor ConstantInput(TfjsNode node, int index, string role) =>
        Input(node, index).Constant
        ?? throw new TfjsFormatException($"{node}: its {role} (input {index}) must be a constant; computed {role}s are not supported");

    public void SetOutput(TfjsNode node, TfValue value, int index = 0) =>
        _values[new TfjsTensorRef(node.Name, index).ToString()] = value;

    internal TfValue? Lookup(TfjsTensorRef reference) => _values.GetValueOrDefault(reference.ToString());

    /// <summary>The ONNX value holding <paramref name="v"/> in TensorFlow's own layout.</summary>
    public string Native(TfValue v)
    {
        if (v.NativeName != null) return v.NativeName;
        if (v.Constant != null) return v.NativeName = Constant(v.Constant, "const");
        return v.NativeName = Builder.AddNode("Transpose", [v.NchwName!], v.NchwName + "_nhwc", OnnxAttribute.Ints("perm", ToNhwc));
    }

    /// <summary>The ONNX value holding rank-4 <paramref name="v"/> as NCHW.</summary>
    public string Nchw(TfValue v)
    {
        if (v.NchwName != null) return v.NchwName;
        if (v.Constant != null)
            return v.NchwName = Constant(ExpandToRank4(v.Constant).Transposed(0, 3, 1, 2), "const_nchw");
        if (v.Rank != 4) throw new InvalidOperationException($"only rank-4 tensors have an NCHW form (rank {v.Rank})");
        return v.NchwName = Builder.AddNode("Transpose", [v.NativeName!], v.NativeName + "_nchw", OnnxAttribute.Ints("perm", ToNchw));
    }

    /// <summary>
    /// Whether an elementwise op over <paramref name="operands"/> should run in NCHW: yes when an
    /// activation already lives only in NCHW and every operand can follow (rank-4 activations, or
    /// constants that broadcast as rank 4).
    /// </summary>
    public static bool ShouldUseNchw(params TfValue[] operands) =>
        operands.Any(o => o.Constant == null && o.PrefersNchw)
        && operands.All(o => o.Constant != null ? o.Rank <= 4 : o.Rank == 4);

    /// <summary>The ONNX names of <paramref name="operands"/>, all in the chosen layout.</summary>
    public string[] InLayout(bool nchw, params TfValue[] operands) =>
        operands.Select(o => nchw ? Nchw(o) : Native(o)).ToArray();

    /// <summary>A new value living in the given layout.</summary>
    public static TfValue Produced(long[] shape, TfDataType dtype, string onnxName, bool nchw) =>
        nchw ? new TfValue(shape, dtype, nchwName: onnxName) : new TfValue(shape, dtype, nativeName: onnxName);

    public string Constant(TfjsTensor t, string hint) => t.DType switch
    {
        TfDataType.Float32 => Builder.AddInitializer(hint, t.Floats!, t.Shape),
        TfDataType.Int64 => Builder.AddInitializer(hint, t.Integers!, t.Shape),
        TfDataType.Int32 => Builder.AddInitializer(hint, t.Integers!.Select(v => (int)v).ToArray(), t.Shape),
        TfDataType.Bool => Builder.AddInitializer(hint, TensorProto.Types.DataType.Bool, t.Integers!.Select(v => (byte)(v != 0 ? 1 : 0)).ToArray(), t.Shape),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>A 1-D int64 initializer (ONNX shape, axes, pads and sizes arguments).</summary>
    public string Int64s(string hint, params long[] values) => Builder.AddInitializer(hint, values, [values.Length]);

    public string FloatScalar(string hint, float value) => Builder.AddInitializer(hint, [value], []);

    public string Node(string op, IReadOnlyList<string> inputs, string hint, params OnnxAttribute[] attributes) =>
        Builder.AddNode(op, inputs, hint, attributes);

    private static TfjsTensor ExpandToRank4(TfjsTensor t)
    {
        if (t.Rank > 4) throw new InvalidOperationException("constant of rank > 4 cannot take an NCHW form");
        var shape = new long[4];
        for (var i = 0; i < 4; i++) shape[i] = i < 4 - t.Rank ? 1 : t.Shape[i - (4 - t.Rank)];
        return t.Reshaped(shape);
    }
}
