using Google.Protobuf;
using Onnx;

namespace FaceMatch.Models.Conversion.Onnx;

/// <summary>
/// Builds an ONNX model (IR 8, default opset 17: what Debian's onnx.proto 1.12 describes and ONNX
/// Runtime 1.29 runs) node by node. The converters' front-ends only decide which ops to emit;
/// names, initializers and the model envelope are handled here once.
/// </summary>
public sealed class OnnxGraphBuilder
{
    public const int DefaultOpset = 17;
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = [];
    private readonly HashSet<string> _reserved = [];
    private readonly int _opset;

    public OnnxGraphBuilder(string graphName, int opset = DefaultOpset)
    {
        _graph = new GraphProto { Name = graphName };
        _opset = opset;
    }

    public GraphProto Graph => _graph;

    /// <summary>A name not yet used in this graph, derived from <paramref name="hint"/>.</summary>
    public string UniqueName(string hint)
    {
        var name = string.IsNullOrEmpty(hint) ? "t" : hint;
        if (_names.Add(name)) return name;
        for (var i = 1; ; i++)
            if (_names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    /// <summary>Declares a graph input (the name must be unused, or reserved earlier); a null dimension is dynamic and named <c>batch</c> if first, else <c>d{i}</c>.</summary>
    public string AddInput(string name, TensorProto.Types.DataType type, long?[] shape)
    {
        var unique = ClaimExact(name);
        _graph.Input.Add(ValueInfo(unique, type, shape));
        return unique;
    }

    public void AddOutput(string name, TensorProto.Types.DataType type, long?[]? shape = null) =>
        _graph.Output.Add(ValueInfo(name, type, shape));

    public string AddInitializer(string hint, ReadOnlySpan<float> data, ReadOnlySpan<long> dims) =>
        AddInitializer(hint, TensorProto.Types.DataType.Float, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data), dims);

    public string AddInitializer(string hint, ReadOnlySpan<long> data, ReadOnlySpan<long> dims) =>
        AddInitializer(hint, TensorProto.Types.DataType.Int64, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data), dims);

    public string AddInitializer(string hint, ReadOnlySpan<int> data, ReadOnlySpan<long> dims) =>
        AddInitializer(hint, TensorProto.Types.DataType.Int32, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data), dims);

    /// <summary>Adds a constant tensor; <paramref name="littleEndianBytes"/> is the raw element data.</summary>
    public string AddInitializer(string hint, TensorProto.Types.DataType type, ReadOnlySpan<byte> littleEndianBytes, ReadOnlySpan<long> dims)
    {
        var name = UniqueName(hint);
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(littleEndianBytes) };
        foreach (var d in dims) tensor.Dims.Add(d);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds one node with a single output and returns that output's name.</summary>
    public string AddNode(string opType, IReadOnlyList<string> inputs, string? outputHint = null, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, 1, outputHint, attributes)[0];

    /// <summary>Adds one node; an empty string among <paramref name="inputs"/> is an omitted optional input.</summary>
    public string[] AddNode(string opType, IReadOnlyList<string> inputs, int outputCount, string? outputHint = null, params OnnxAttribute[] attributes)
    {
        var baseName = outputHint ?? opType.ToLowerInvariant();
        var node = new NodeProto { OpType = opType, Name = UniqueName("node_" + baseName) };
        node.Input.AddRange(inputs);
        var outputs = new string[outputCount];
        for (var i = 0; i < outputCount; i++)
        {
            outputs[i] = UniqueName(outputCount == 1 ? baseName : $"{baseName}_out{i}");
            node.Output.Add(outputs[i]);
        }
        foreach (var a in attributes) node.Attribute.Add(a.Proto);
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>
    /// Keeps <paramref name="name"/> free for a later <see cref="AddNamedNode"/>, so generated names
    /// never take it (e.g. a graph output name chosen before the graph is built).
    /// </summary>
    public void ReserveName(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"name '{name}' already used in the graph");
        _reserved.Add(name);
    }

    /// <summary>Adds a node whose single output has exactly <paramref name="outputName"/> (unused, or reserved earlier).</summary>
    public string AddNamedNode(string opType, IReadOnlyList<string> inputs, string outputName, params OnnxAttribute[] attributes)
    {
        if (!_reserved.Remove(outputName) && !_names.Add(outputName))
            throw new InvalidOperationException($"name '{outputName}' already used in the graph");
        var node = new NodeProto { OpType = opType, Name = UniqueName("node_" + outputName) };
        node.Input.AddRange(inputs);
        node.Output.Add(outputName);
        foreach (var a in attributes) node.Attribute.Add(a.Proto);
        _graph.Node.Add(node);
        return outputName;
    }

    /// <summary>Wraps the graph in a model with the opset and producer recorded.</summary>
    public ModelProto Build(string producer, string docString = "")
    {
        var model = new ModelProto
        {
            IrVersion = (long)global::Onnx.Version.IrVersion,
            ProducerName = producer,
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        return model;
    }

    private string ClaimExact(string name)
    {
        if (!_reserved.Remove(name) && !_names.Add(name)) throw new InvalidOperationException($"name '{name}' already used in the graph");
        return name;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long?[]? shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape != null)
        {
            tensorType.Shape = new TensorShapeProto();
            for (var i = 0; i < shape.Length; i++)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (shape[i] is long v) dim.DimValue = v;
                else dim.DimParam = i == 0 ? "batch" : $"d{i}";
                tensorType.Shape.Dim.Add(dim);
            }
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}

/// <summary>A node attribute; build with the static factories.</summary>
public readonly struct OnnxAttribute
{
    public AttributeProto Proto { get; }
    private OnnxAttribute(AttributeProto proto) => Proto = proto;

    public static OnnxAttribute Int(string name, long value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    public static OnnxAttribute Float(string name, float value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    public static OnnxAttribute String(string name, string value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    public static OnnxAttribute Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return new(a);
    }

    public static OnnxAttribute Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return new(a);
    }

    public static OnnxAttribute Tensor(string name, TensorProto value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value });
}
