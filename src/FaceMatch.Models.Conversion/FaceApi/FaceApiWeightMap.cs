using System.Buffers.Binary;
using System.Text.Json;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>
/// The named tensors of one face-api.js model, read from its TensorFlow.js weights manifest
/// (<c>&lt;name&gt;-weights_manifest.json</c>) and the binary shards it lists. Values are decoded
/// exactly as tfjs-core's <c>decodeWeights</c> does, so the converted graph holds the same float32
/// constants face-api runs with: a uint8/uint16 quantised value q becomes
/// <c>(float)(q * scale + min)</c> computed in double, float16 is widened, float32 is taken as is.
/// </summary>
public sealed class FaceApiWeightMap
{
    /// <summary>Refuse manifests or shards beyond this size (bytes): a face-api model is a few MB.</summary>
    public const long DefaultMaxBytes = 256L * 1024 * 1024;

    private readonly Dictionary<string, WeightTensor> _tensors;

    private FaceApiWeightMap(string modelName, Dictionary<string, WeightTensor> tensors, IReadOnlyList<string> files)
    {
        ModelName = modelName;
        _tensors = tensors;
        Files = files;
    }

    public string ModelName { get; }

    /// <summary>The manifest and every shard read, as full paths, in the order read.</summary>
    public IReadOnlyList<string> Files { get; }

    public IReadOnlyCollection<string> Names => _tensors.Keys;

    public int Count => _tensors.Count;

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor called <paramref name="name"/>; a missing one is a clear error naming the model.</summary>
    public WeightTensor this[string name] =>
        _tensors.TryGetValue(name, out var t)
            ? t
            : throw new FaceApiWeightsException($"{ModelName}: weight '{name}' is not in the weights manifest");

    /// <summary>Like the indexer, and also checks the tensor's shape (a -1 in <paramref name="shape"/> matches any size).</summary>
    public WeightTensor Get(string name, params int[] shape)
    {
        var t = this[name];
        if (t.Shape.Length != shape.Length || t.Shape.Where((d, i) => shape[i] >= 0 && shape[i] != d).Any())
            throw new FaceApiWeightsException(
                $"{ModelName}: weight '{name}' has shape [{string.Join(",", t.Shape)}], expected [{string.Join(",", shape)}]");
        return t;
    }

    /// <summary>Reads <c>&lt;modelDir&gt;/&lt;modelName&gt;-weights_manifest.json</c> and its shards.</summary>
    public static FaceApiWeightMap Load(string modelDir, string modelName, long maxBytes = DefaultMaxBytes)
    {
        var manifestPath = Path.Combine(modelDir, modelName + "-weights_manifest.json");
        if (!File.Exists(manifestPath))
            throw new FaceApiWeightsException($"{modelName}: weights manifest not found at {manifestPath}");
        if (new FileInfo(manifestPath).Length > maxBytes)
            throw new FaceApiWeightsException($"{modelName}: weights manifest {manifestPath} is larger than {maxBytes} bytes");

        List<ManifestGroup> groups;
        try
        {
            groups = JsonSerializer.Deserialize<List<ManifestGroup>>(File.ReadAllText(manifestPath), JsonOptions)
                ?? throw new FaceApiWeightsException($"{modelName}: weights manifest {manifestPath} is empty");
        }
        catch (JsonException e)
        {
            throw new FaceApiWeightsException($"{modelName}: weights manifest {manifestPath} is not valid JSON: {e.Message}");
        }

        var files = new List<string> { Path.GetFullPath(manifestPath) };
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        var groupIndex = 0;
        foreach (var group in groups)
        {
            var where = $"{modelName}: weights group {groupIndex++}";
            if (group?.Paths is not { Count: > 0 } || group.Weights is null)
                throw new FaceApiWeightsException($"{where} needs 'paths' and 'weights'");
            var data = ReadShards(modelDir, group.Paths, where, maxBytes, files);
            var offset = 0;
            foreach (var spec in group.Weights)
            {
                var tensor = Decode(spec, data, ref offset, where);
                if (!tensors.TryAdd(tensor.Name, tensor))
                    throw new FaceApiWeightsException($"{where}: weight '{tensor.Name}' appears twice");
            }
            if (offset != data.Length)
                throw new FaceApiWeightsException(
                    $"{where}: shards hold {data.Length} bytes but the weights listed use {offset}");
        }
        return new FaceApiWeightMap(modelName, tensors, files);
    }

    private static byte[] ReadShards(string modelDir, List<string> paths, string where, long maxBytes, List<string> files)
    {
        var root = Path.GetFullPath(modelDir);
        long total = 0;
        var shardPaths = new List<string>();
        foreach (var relative in paths)
        {
            if (string.IsNullOrWhiteSpace(relative))
                throw new FaceApiWeightsException($"{where}: empty shard path");
            var full = Path.GetFullPath(Path.Combine(root, relative));
            // Shards are named relative to the manifest; a path escaping the folder is refused.
            if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new FaceApiWeightsException($"{where}: shard path '{relative}' leaves the model folder");
            if (!File.Exists(full))
                throw new FaceApiWeightsException($"{where}: shard {full} not found");
            total += new FileInfo(full).Length;
            if (total > maxBytes)
                throw new FaceApiWeightsException($"{where}: shards are larger than {maxBytes} bytes");
            shardPaths.Add(full);
        }
        var data = new byte[total];
        var at = 0;
        foreach (var full in shardPaths)
        {
            var bytes = File.ReadAllBytes(full);
            bytes.CopyTo(data, at);
            at += bytes.Length;
            files.Add(full);
        }
        return data;
    }

    private static WeightTensor Decode(ManifestWeight? spec, byte[] data, ref int offset, string where)
    {
        if (spec is null || string.IsNullOrEmpty(spec.Name))
            throw new FaceApiWeightsException($"{where}: a weight has no name");
        var name = spec.Name;
        var shape = spec.Shape ?? throw new FaceApiWeightsException($"{where}: weight '{name}' has no shape");
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new FaceApiWeightsException($"{where}: weight '{name}' has a negative dimension");
            count *= d;
            if (count > data.Length) throw new FaceApiWeightsException($"{where}: weight '{name}' is larger than its shards");
        }
        var n = (int)count;
        var isInt = spec.Dtype switch
        {
            "float32" => false,
            "int32" => true,
            _ => throw new FaceApiWeightsException($"{where}: weight '{name}' has unsupported dtype '{spec.Dtype}' (float32 or int32)"),
        };

        var q = spec.Quantization;
        var elementBytes = q is null ? 4 : q.Dtype switch
        {
            "uint8" => 1,
            "uint16" or "float16" => 2,
            _ => throw new FaceApiWeightsException($"{where}: weight '{name}' has unknown quantization dtype '{q.Dtype}' (uint8, uint16 or float16)"),
        };
        if (q is { Dtype: "uint8" or "uint16" } && (q.Scale is null || q.Min is null))
            throw new FaceApiWeightsException($"{where}: weight '{name}' is quantised without 'scale' and 'min'");
        if (q is { Dtype: "float16" } && isInt)
            throw new FaceApiWeightsException($"{where}: weight '{name}' is int32 quantised as float16, which tfjs does not allow");

        var byteLength = (long)n * elementBytes;
        if (offset + byteLength > data.Length)
            throw new FaceApiWeightsException(
                $"{where}: weight '{name}' needs bytes {offset}..{offset + byteLength} but the shards end at {data.Length}");
        var bytes = data.AsSpan(offset, (int)byteLength);
        offset += (int)byteLength;

        var values = new float[n];
        int[]? ints = isInt ? new int[n] : null;
        for (var i = 0; i < n; i++)
        {
            if (q is null)
            {
                if (isInt) ints![i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);
                else values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                continue;
            }
            if (q.Dtype == "float16")
            {
                values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                continue;
            }
            double raw = q.Dtype == "uint8" ? bytes[i] : BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]);
            // tfjs evaluates this in double (JavaScript numbers) and then stores it as float32 or rounds it.
            var v = raw * q.Scale!.Value + q.Min!.Value;
            if (isInt) ints![i] = (int)Math.Floor(v + 0.5);
            else values[i] = (float)v;
        }
        if (ints != null)
            for (var i = 0; i < n; i++) values[i] = ints[i];
        return new WeightTensor(name, [.. shape], values, ints);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    private sealed class ManifestGroup
    {
        public List<string>? Paths { get; set; }
        public List<ManifestWeight?>? Weights { get; set; }
    }

    private sealed class ManifestWeight
    {
        public string? Name { get; set; }
        public int[]? Shape { get; set; }
        public string? Dtype { get; set; }
        public ManifestQuantization? Quantization { get; set; }
    }

    private sealed class ManifestQuantization
    {
        public string? Dtype { get; set; }
        public double? Scale { get; set; }
        public double? Min { get; set; }
    }
}

/// <summary>One named weight: its shape as the manifest gives it (TensorFlow layouts) and its values.</summary>
/// <param name="Values">Elements in row-major order, as float32 (int32 weights are also given as floats).</param>
/// <param name="IntValues">The exact values of an int32 weight; null for float32.</param>
public sealed record WeightTensor(string Name, int[] Shape, float[] Values, int[]? IntValues = null)
{
    public int ElementCount => Values.Length;
}

public sealed class FaceApiWeightsException(string message) : Exception(message);
