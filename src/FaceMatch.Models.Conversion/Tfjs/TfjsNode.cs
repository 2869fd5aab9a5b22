using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>A reference to one output of a node: "name" is output 0, "name:2" output 2.</summary>
public readonly record struct TfjsTensorRef(string Node, int Index)
{
    public static TfjsTensorRef Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return new(text[..colon], index);
        return new(text, 0);
    }

    public override string ToString() => Index == 0 ? Node : $"{Node}:{Index}";
}

/// <summary>
/// One GraphDef node as model.json stores it: protobuf JSON, so int64 attributes are strings and
/// strings are base64. The typed getters hide that.
/// </summary>
public sealed class TfjsNode
{
    private readonly Dictionary<string, JsonElement> _attrs;

    public TfjsNode(string name, string op, IReadOnlyList<TfjsTensorRef> inputs, Dictionary<string, JsonElement> attrs)
    {
        Name = name;
        Op = op;
        Inputs = inputs;
        _attrs = attrs;
    }

    public string Name { get; }
    public string Op { get; }
    /// <summary>Data inputs (control dependencies, "^name", are dropped: they carry no values).</summary>
    public IReadOnlyList<TfjsTensorRef> Inputs { get; }

    public bool HasAttr(string name) => _attrs.ContainsKey(name);

    public string GetString(string name, string? fallback = null)
    {
        if (_attrs.TryGetValue(name, out var v) && v.TryGetProperty("s", out var s))
            return Encoding.UTF8.GetString(Convert.FromBase64String(s.GetString() ?? ""));
        return fallback ?? throw Missing(name);
    }

    public long GetInt(string name, long? fallback = null)
    {
        if (_attrs.TryGetValue(name, out var v) && v.TryGetProperty("i", out var i)) return ParseInt(i);
        return fallback ?? throw Missing(name);
    }

    public float GetFloat(string name, float? fallback = null)
    {
        if (_attrs.TryGetValue(name, out var v) && v.TryGetProperty("f", out var f)) return ParseFloat(f);
        return fallback ?? throw Missing(name);
    }

    public bool GetBool(string name, bool fallback = false) =>
        _attrs.TryGetValue(name, out var v) && v.TryGetProperty("b", out var b) ? b.GetBoolean() : fallback;

    public TfDataType GetDType(string name, TfDataType? fallback = null)
    {
        if (_attrs.TryGetValue(name, out var v) && v.TryGetProperty("type", out var t)) return TfDataTypes.Parse(t.GetString() ?? "");
        return fallback ?? throw Missing(name);
    }

    /// <summary>An int list attribute; absent or empty lists give an empty array.</summary>
    public long[] GetInts(string name)
    {
        if (!_attrs.TryGetValue(name, out var v) || !v.TryGetProperty("list", out var list) || !list.TryGetProperty("i", out var items))
            return [];
        return items.EnumerateArray().Select(ParseInt).ToArray();
    }

    public string[] GetStrings(string name)
    {
        if (!_attrs.TryGetValue(name, out var v) || !v.TryGetProperty("list", out var list) || !list.TryGetProperty("s", out var items))
            return [];
        return items.EnumerateArray().Select(s => Encoding.UTF8.GetString(Convert.FromBase64String(s.GetString() ?? ""))).ToArray();
    }

    /// <summary>A shape attribute (Placeholder's "shape"): -1 for unknown dimensions, null for unknown rank.</summary>
    public long[]? GetShape(string name)
    {
        if (!_attrs.TryGetValue(name, out var v) || !v.TryGetProperty("shape", out var shape)) return null;
        return ParseShape(shape);
    }

    internal static long[]? ParseShape(JsonElement shape)
    {
        if (shape.TryGetProperty("unknownRank", out var unknown) && unknown.GetBoolean()) return null;
        if (!shape.TryGetProperty("dim", out var dims)) return [];
        return dims.EnumerateArray().Select(d => d.TryGetProperty("size", out var s) ? ParseInt(s) : -1).ToArray();
    }

    private static long ParseInt(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? long.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetInt64();

    private static float ParseFloat(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetSingle(),
        // protobuf JSON writes non-finite floats as strings
        JsonValueKind.String => e.GetString() switch
        {
            "NaN" => float.NaN,
            "Infinity" => float.PositiveInfinity,
            "-Infinity" => float.NegativeInfinity,
            var s => float.Parse(s!, CultureInfo.InvariantCulture),
        },
        _ => throw new TfjsFormatException("float attribute has an unexpected JSON form"),
    };

    private TfjsFormatException Missing(string attr) => new($"node '{Name}' ({Op}) lacks attribute '{attr}'");

    public override string ToString() => $"{Op} '{Name}'";
}
