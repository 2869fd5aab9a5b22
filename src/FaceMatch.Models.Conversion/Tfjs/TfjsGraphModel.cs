using System.Buffers.Binary;
using System.Text.Json;

namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>
/// A TensorFlow.js graph model read from disk: its GraphDef nodes (model.json "modelTopology") and
/// its weights, decoded from the binary shards listed in "weightsManifest".
/// </summary>
public sealed class TfjsGraphModel
{
    /// <summary>Refuse absurd files before allocating for them.</summary>
    public const long MaxWeightBytes = 2L << 30;

    public required string JsonPath { get; init; }
    public required IReadOnlyList<TfjsNode> Nodes { get; init; }
    public required IReadOnlyDictionary<string, TfjsTensor> Weights { get; init; }
    /// <summary>Every file the model consists of: model.json first, then the weight shards.</summary>
    public required IReadOnlyList<string> Files { get; init; }
    /// <summary>Signature outputs (tensor names such as "Identity_3:0"), when the file has a signature.</summary>
    public IReadOnlyList<string> SignatureOutputs { get; init; } = [];
    public string? GeneratedBy { get; init; }

    public static TfjsGraphModel Load(string jsonPath)
    {
        if (!File.Exists(jsonPath)) throw new FileNotFoundException($"TF.js model not found: {jsonPath}", jsonPath);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        }
        catch (JsonException e)
        {
            throw new TfjsFormatException($"{jsonPath} is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.TryGetProperty("format", out var format) && format.GetString() is { } f && f != "graph-model")
                throw new TfjsFormatException($"{jsonPath}: format '{f}' is not a TF.js graph model (layers models are not supported)");
            if (!root.TryGetProperty("modelTopology", out var topology) || !topology.TryGetProperty("node", out var nodesJson))
                throw new TfjsFormatException($"{jsonPath}: no modelTopology.node list");
            if (!root.TryGetProperty("weightsManifest", out var manifest))
                throw new TfjsFormatException($"{jsonPath}: no weightsManifest");

            var nodes = nodesJson.EnumerateArray().Select(ParseNode).ToList();
            var dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath))!;
            var (weights, shards) = ReadWeights(manifest, dir, jsonPath);
            return new TfjsGraphModel
            {
                JsonPath = jsonPath,
                Nodes = nodes,
                Weights = weights,
                Files = [jsonPath, .. shards],
                SignatureOutputs = SignatureOutputNames(root),
                GeneratedBy = root.TryGetProperty("generatedBy", out var g) ? g.GetString() : null,
            };
        }
    }

    private static TfjsNode ParseNode(JsonElement n)
    {
        var name = n.GetProperty("name").GetString() ?? throw new TfjsFormatException("node without a name");
        var op = n.GetProperty("op").GetString() ?? throw new TfjsFormatException($"node '{name}' without an op");
        var inputs = new List<TfjsTensorRef>();
        if (n.TryGetProperty("input", out var ins))
            foreach (var i in ins.EnumerateArray())
                if (i.GetString() is { } s && !s.StartsWith('^'))
                    inputs.Add(TfjsTensorRef.Parse(s));
        var attrs = new Dictionary<string, JsonElement>();
        if (n.TryGetProperty("attr", out var a))
            foreach (var p in a.EnumerateObject())
                attrs[p.Name] = p.Value.Clone();
        return new TfjsNode(name, op, inputs, attrs);
    }

    private static List<string> SignatureOutputNames(JsonElement root)
    {
        var signature = root.TryGetProperty("signature", out var s) ? s
            : root.TryGetProperty("userDefinedMetadata", out var u) && u.TryGetProperty("signature", out var us) ? us
            : default;
        if (signature.ValueKind != JsonValueKind.Object || !signature.TryGetProperty("outputs", out var outputs)) return [];
        return outputs.EnumerateObject()
            .Select(o => o.Value.TryGetProperty("name", out var n) ? n.GetString()! : o.Name)
            .ToList();
    }

    /// <summary>
    /// Decodes every weight exactly as tfjs-core's io utilities do, so the converted model sees the
    /// same float32 values the reference runtime computes with: float16 widened exactly,
    /// uint8/uint16 affine-dequantised as v*scale+min in double precision, then rounded to float32.
    /// </summary>
    private static (Dictionary<string, TfjsTensor>, List<string>) ReadWeights(JsonElement manifest, string dir, string jsonPath)
    {
        var weights = new Dictionary<string, TfjsTensor>();
        var shards = new List<string>();
        foreach (var group in manifest.EnumerateArray())
        {
            // Within a group the shards are one byte stream cut into files.
            var paths = group.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToList();
            var buffer = new MemoryStream();
            foreach (var p in paths)
            {
                if (Path.IsPathRooted(p) || p.Split('/', '\\').Contains(".."))
                    throw new TfjsFormatException($"{jsonPath}: weight path '{p}' leaves the model folder");
                var full = Path.Combine(dir, p);
                if (!File.Exists(full)) throw new FileNotFoundException($"weight shard missing: {full}", full);
                if (buffer.Length + new FileInfo(full).Length > MaxWeightBytes)
                    throw new TfjsFormatException($"{jsonPath}: weights exceed {MaxWeightBytes} bytes");
                using var fs = File.OpenRead(full);
                fs.CopyTo(buffer);
                shards.Add(full);
            }
            var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            var offset = 0;
            foreach (var spec in group.GetProperty("weights").EnumerateArray())
            {
                var name = spec.GetProperty("name").GetString()!;
                var shape = spec.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var dtype = spec.GetProperty("dtype").GetString()!;
                var count = TfjsTensor.ElementCount(shape);
                var quantization = spec.TryGetProperty("quantization", out var q) ? q : default;
                var tensor = quantization.ValueKind == JsonValueKind.Object
                    ? DecodeQuantized(name, dtype, shape, count, quantization, bytes, ref offset)
                    : DecodePlain(name, dtype, shape, count, bytes, ref offset);
                weights[name] = tensor;
            }
            if (offset != bytes.Length)
                throw new TfjsFormatException($"{jsonPath}: the weights manifest describes {offset} bytes but the shards hold {bytes.Length}");
        }
        return (weights, shards);
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> bytes, ref int offset, long length, string name)
    {
        if (offset + length > bytes.Length) throw new TfjsFormatException($"weight '{name}' runs past the end of its shards");
        var slice = bytes.Slice(offset, (int)length);
        offset += (int)length;
        return slice;
    }

    private static TfjsTensor DecodePlain(string name, string dtype, long[] shape, long count, ReadOnlySpan<byte> bytes, ref int offset)
    {
        switch (dtype)
        {
            case "float32":
            {
                var data = Take(bytes, ref offset, count * 4, name);
                var values = new float[count];
                for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
                return TfjsTensor.FromFloats(values, shape);
            }
            case "int32":
            {
                var data = Take(bytes, ref offset, count * 4, name);
                var values = new long[count];
                for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(i * 4)..]);
                return TfjsTensor.FromIntegers(TfDataType.Int32, values, shape);
            }
            case "bool":
            {
                var data = Take(bytes, ref offset, count, name);
                var values = new long[count];
                for (var i = 0; i < count; i++) values[i] = data[i] != 0 ? 1 : 0;
                return TfjsTensor.FromIntegers(TfDataType.Bool, values, shape);
            }
            default:
                throw new TfjsFormatException($"weight '{name}' has dtype '{dtype}', which is not supported");
        }
    }

    private static TfjsTensor DecodeQuantized(string name, string dtype, long[] shape, long count, JsonElement q, ReadOnlySpan<byte> bytes, ref int offset)
    {
        var qtype = q.GetProperty("dtype").GetString();
        switch (qtype)
        {
            case "float16":
            {
                if (dtype != "float32") throw new TfjsFormatException($"weight '{name}': float16 quantisation of {dtype} is not defined");
                var data = Take(bytes, ref offset, count * 2, name);
                var values = new float[count];
                for (var i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]);
                return TfjsTensor.FromFloats(values, shape);
            }
            case "uint8" or "uint16":
            {
                if (!q.TryGetProperty("scale", out var scaleJson) || !q.TryGetProperty("min", out var minJson))
                    throw new TfjsFormatException($"weight '{name}' is {qtype}-quantised but lacks scale/min");
                double scale = scaleJson.GetDouble(), min = minJson.GetDouble();
                var width = qtype == "uint8" ? 1 : 2;
                var data = Take(bytes, ref offset, count * width, name);
                var raw = new double[count];
                for (var i = 0; i < count; i++) raw[i] = width == 1 ? data[i] : BinaryPrimitives.ReadUInt16LittleEndian(data[(i * 2)..]);
                if (dtype == "float32")
                {
                    var values = new float[count];
                    for (var i = 0; i < count; i++) values[i] = (float)(raw[i] * scale + min);
                    return TfjsTensor.FromFloats(values, shape);
                }
                if (dtype == "int32")
                {
                    var values = new long[count];
                    // Math.round in JavaScript rounds halves up, not to even.
                    for (var i = 0; i < count; i++) values[i] = (long)Math.Floor(raw[i] * scale + min + 0.5);
                    return TfjsTensor.FromIntegers(TfDataType.Int32, values, shape);
                }
                throw new TfjsFormatException($"weight '{name}': {qtype} quantisation of {dtype} is not defined");
            }
            default:
                throw new TfjsFormatException($"weight '{name}' has unknown quantisation '{qtype}' (uint8, uint16 and float16 are defined)");
        }
    }
}
