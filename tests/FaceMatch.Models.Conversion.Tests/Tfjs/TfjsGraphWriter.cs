using System.Text;
using System.Text.Json.Nodes;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>Attribute values in the protobuf-JSON form TensorFlow.js model.json files use.</summary>
public sealed class TfjsAttrs
{
    internal JsonObject Json { get; } = new();

    public TfjsAttrs Str(string name, string value) { Json[name] = new JsonObject { ["s"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) }; return this; }
    public TfjsAttrs Int(string name, long value) { Json[name] = new JsonObject { ["i"] = value.ToString() }; return this; }
    public TfjsAttrs Float(string name, float value) { Json[name] = new JsonObject { ["f"] = value }; return this; }
    public TfjsAttrs Bool(string name, bool value) { Json[name] = new JsonObject { ["b"] = value }; return this; }
    public TfjsAttrs Type(string name, string value) { Json[name] = new JsonObject { ["type"] = value }; return this; }

    public TfjsAttrs Ints(string name, params long[] values)
    {
        Json[name] = new JsonObject { ["list"] = values.Length == 0 ? new JsonObject() : new JsonObject { ["i"] = new JsonArray(values.Select(v => (JsonNode)v.ToString()).ToArray()) } };
        return this;
    }

    public TfjsAttrs Strs(string name, params string[] values)
    {
        Json[name] = new JsonObject { ["list"] = new JsonObject { ["s"] = new JsonArray(values.Select(v => (JsonNode)Convert.ToBase64String(Encoding.UTF8.GetBytes(v))).ToArray()) } };
        return this;
    }

    /// <summary>The attributes TensorFlow writes on every NHWC 2-D window op.</summary>
    public TfjsAttrs Window(string padding, long strideH = 1, long strideW = 1, long dilationH = 1, long dilationW = 1, long[]? explicitPaddings = null) =>
        Str("padding", padding).Ints("strides", 1, strideH, strideW, 1).Ints("dilations", 1, dilationH, dilationW, 1)
            .Str("data_format", "NHWC").Ints("explicit_paddings", explicitPaddings ?? []).Type("T", "DT_FLOAT");
}

/// <summary>
/// Writes small TensorFlow.js graph models (model.json + one weight shard) for op-level tests,
/// including uint8/uint16/float16-quantised weights encoded the way the tfjs converter does.
/// </summary>
public sealed class TfjsGraphWriter
{
    private readonly JsonArray _nodes = [];
    private readonly JsonArray _weightSpecs = [];
    private readonly MemoryStream _weights = new();

    public string Placeholder(string name, params long[] shape)
    {
        var dims = new JsonArray(shape.Select(d => (JsonNode)new JsonObject { ["size"] = d.ToString() }).ToArray());
        _nodes.Add(new JsonObject
        {
            ["name"] = name, ["op"] = "Placeholder",
            ["attr"] = new JsonObject { ["dtype"] = new JsonObject { ["type"] = "DT_FLOAT" }, ["shape"] = new JsonObject { ["shape"] = new JsonObject { ["dim"] = dims } } },
        });
        return name;
    }

    /// <param name="quantization">null, "uint8", "uint16" or "float16".</param>
    public string Const(string name, float[] values, long[] shape, string? quantization = null)
    {
        var spec = new JsonObject { ["name"] = name, ["shape"] = ShapeJson(shape), ["dtype"] = "float32" };
        switch (quantization)
        {
            case null:
                foreach (var v in values) _weights.Write(BitConverter.GetBytes(v));
                break;
            case "float16":
                foreach (var v in values) _weights.Write(BitConverter.GetBytes((Half)v));
                spec["quantization"] = new JsonObject { ["dtype"] = "float16", ["original_dtype"] = "float32" };
                break;
            case "uint8" or "uint16":
            {
                var levels = quantization == "uint8" ? 255 : 65535;
                double min = values.Min(), max = values.Max();
                var scale = max > min ? (max - min) / levels : 1.0;
                foreach (var v in values)
                {
                    var q = (int)Math.Round((v - min) / scale);
                    if (quantization == "uint8") _weights.WriteByte((byte)q);
                    else _weights.Write(BitConverter.GetBytes((ushort)q));
                }
                spec["quantization"] = new JsonObject { ["dtype"] = quantization, ["scale"] = scale, ["min"] = min, ["original_dtype"] = "float32" };
                break;
            }
            default:
                throw new ArgumentException(quantization, nameof(quantization));
        }
        _weightSpecs.Add(spec);
        AddConstNode(name, "DT_FLOAT", shape);
        return name;
    }

    public string Const(string name, float[] values) => Const(name, values, [values.Length]);

    public string Scalar(string name, float value) => Const(name, [value], []);

    public string Ints(string name, long[] shape, params int[] values)
    {
        foreach (var v in values) _weights.Write(BitConverter.GetBytes(v));
        _weightSpecs.Add(new JsonObject { ["name"] = name, ["shape"] = ShapeJson(shape), ["dtype"] = "int32" });
        AddConstNode(name, "DT_INT32", shape);
        return name;
    }

    public string Ints(string name, params int[] values) => Ints(name, [values.Length], values);

    public string IntScalar(string name, int value) => Ints(name, [], value);

    public string Op(string op, string name, string[] inputs, Action<TfjsAttrs>? attrs = null)
    {
        var a = new TfjsAttrs();
        attrs?.Invoke(a);
        _nodes.Add(new JsonObject
        {
            ["name"] = name, ["op"] = op,
            ["input"] = new JsonArray(inputs.Select(i => (JsonNode)i).ToArray()),
            ["attr"] = a.Json,
        });
        return name;
    }

    /// <summary>Writes model.json and weights.bin into <paramref name="dir"/>; returns the model.json path.</summary>
    public string Save(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), _weights.ToArray());
        var json = new JsonObject
        {
            ["format"] = "graph-model",
            ["generatedBy"] = "facematch tests",
            ["modelTopology"] = new JsonObject { ["node"] = _nodes.DeepClone(), ["library"] = new JsonObject(), ["versions"] = new JsonObject() },
            ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray("weights.bin"), ["weights"] = _weightSpecs.DeepClone() }),
        };
        var path = Path.Combine(dir, "model.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private void AddConstNode(string name, string dtype, long[] shape) =>
        _nodes.Add(new JsonObject
        {
            ["name"] = name, ["op"] = "Const",
            ["attr"] = new JsonObject
            {
                ["value"] = new JsonObject { ["tensor"] = new JsonObject { ["dtype"] = dtype, ["tensorShape"] = new JsonObject { ["dim"] = new JsonArray(shape.Select(d => (JsonNode)new JsonObject { ["size"] = d.ToString() }).ToArray()) } } },
                ["dtype"] = new JsonObject { ["type"] = dtype },
            },
        });

    private static JsonArray ShapeJson(long[] shape) => new(shape.Select(d => (JsonNode)d).ToArray());
}
