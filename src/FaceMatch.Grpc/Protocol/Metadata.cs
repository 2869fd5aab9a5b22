using System.Collections;
using System.Text;

namespace FaceMatch.Grpc;

/// <summary>
/// Custom call metadata (request headers, response headers, trailers). Keys are lowercase ASCII;
/// keys ending in "-bin" carry bytes (base64 on the wire), all others printable ASCII strings.
/// </summary>
public sealed class Metadata : IReadOnlyList<Metadata.Entry>
{
    private readonly List<Entry> _entries = new();

    public int Count => _entries.Count;
    public Entry this[int index] => _entries[index];

    public Metadata Add(string key, string value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    public Metadata Add(string key, byte[] value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    public Metadata Add(Entry entry)
    {
        _entries.Add(entry);
        return this;
    }

    public void Clear() => _entries.Clear();

    /// <summary>The last entry with this key, or null.</summary>
    public Entry? Get(string key)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
            if (string.Equals(_entries[i].Key, key, StringComparison.OrdinalIgnoreCase)) return _entries[i];
        return null;
    }

    public string? GetValue(string key) => Get(key)?.Value;
    public byte[]? GetValueBytes(string key) => Get(key)?.ValueBytes;

    public IEnumerable<Entry> GetAll(string key) =>
        _entries.Where(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));

    public bool Remove(string key) => _entries.RemoveAll(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase)) > 0;

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static bool IsBinaryKey(string key) => key.EndsWith(GrpcProtocol.BinarySuffix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses a header received on the wire into an entry (base64-decoding "-bin" keys). Returns false for
    /// reserved headers and for values that are not valid metadata, which are then not surfaced.
    /// </summary>
    public static bool TryFromWire(string key, string value, out Entry? entry)
    {
        entry = null;
        if (GrpcProtocol.IsReservedHeader(key)) return false;
        try
        {
            key = key.ToLowerInvariant();
            entry = IsBinaryKey(key) ? new Entry(key, DecodeBase64(value)) : new Entry(key, value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The header value to send: base64 (unpadded) for "-bin" keys, the string itself otherwise.</summary>
    public static string ToWire(Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;

    /// <summary>Accepts padded and unpadded base64 (both are allowed on the wire); commas join repeated values.</summary>
    internal static byte[] DecodeBase64(string value)
    {
        value = value.Trim();
        if (value.Contains(','))
        {
            var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return parts.SelectMany(DecodeBase64).ToArray();
        }
        var padding = (4 - value.Length % 4) % 4;
        if (padding == 3) throw new FormatException("Invalid base64 length in binary metadata.");
        return Convert.FromBase64String(padding == 0 ? value : value + new string('=', padding));
    }

    /// <summary>One key and its value; exactly one of Value (ASCII keys) or ValueBytes ("-bin" keys) is meaningful.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _bytes;

        public Entry(string key, string value)
        {
            Key = ValidateKey(key);
            if (IsBinaryKey(Key)) throw new ArgumentException($"Metadata key '{Key}' ends in -bin and needs a byte[] value.", nameof(value));
            ArgumentNullException.ThrowIfNull(value);
            foreach (var c in value)
                if (c is < ' ' or > '~')
                    throw new ArgumentException($"Metadata value for '{Key}' must be printable ASCII; use a -bin key for other data.", nameof(value));
            _value = value;
        }

        public Entry(string key, byte[] value)
        {
            Key = ValidateKey(key);
            if (!IsBinaryKey(Key)) throw new ArgumentException($"Metadata key '{Key}' needs the -bin suffix to carry bytes.", nameof(key));
            _bytes = value ?? throw new ArgumentNullException(nameof(value));
        }

        public string Key { get; }
        public bool IsBinary => _bytes is not null;
        public string Value => _value ?? throw new InvalidOperationException($"Metadata '{Key}' is binary; read ValueBytes.");
        public byte[] ValueBytes => _bytes ?? Encoding.ASCII.GetBytes(_value!);

        public override string ToString() => IsBinary ? $"{Key}: <{_bytes!.Length} bytes>" : $"{Key}: {_value}";

        private static string ValidateKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            key = key.ToLowerInvariant();
            foreach (var c in key)
                if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
                    throw new ArgumentException($"Metadata key '{key}' may contain only a-z, 0-9, '-', '_' and '.'.", nameof(key));
            if (GrpcProtocol.IsReservedHeader(key))
                throw new ArgumentException($"Metadata key '{key}' is reserved by the gRPC protocol.", nameof(key));
            return key;
        }
    }
}
