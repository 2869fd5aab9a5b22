using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FaceMatch.Vault.Encoding;

/// <summary>Reads what <see cref="RecordWriter"/> wrote; any overrun or unknown header is a <see cref="VaultIntegrityException"/>.</summary>
internal ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public RecordReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    /// <summary>Checks the layout version and kind; returns the version for readers that handle several.</summary>
    public byte Header(RecordKind expected)
    {
        var version = U8();
        if (version is 0 or > RecordHeader.CurrentVersion)
            throw new VaultIntegrityException($"unknown record layout version {version}");
        var kind = (RecordKind)U8();
        if (kind != expected) throw new VaultIntegrityException($"expected a {expected} record, found {kind}");
        return version;
    }

    public byte U8() => Take(1)[0];

    public bool Bool() => U8() switch
    {
        0 => false,
        1 => true,
        var b => throw new VaultIntegrityException($"invalid boolean byte {b}"),
    };

    public ulong VarUInt()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = U8();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new VaultIntegrityException("varint longer than 64 bits");
    }

    public int Length(int max)
    {
        var value = VarUInt();
        if (value > (ulong)max) throw new VaultIntegrityException($"length {value} exceeds the limit {max}");
        return (int)value;
    }

    public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public float F32() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public ReadOnlySpan<byte> Raw(int count) => Take(count);

    public byte[] Bytes(int max) => Take(Length(max)).ToArray();

    public string String(int maxBytes = 4096)
    {
        var bytes = Take(Length(maxBytes));
        try { return new System.Text.UTF8Encoding(false, true).GetString(bytes); }
        catch (ArgumentException ex) { throw new VaultIntegrityException("invalid UTF-8 in record", ex); }
    }

    public float[] Floats(int maxCount)
    {
        var count = Length(maxCount);
        var bytes = Take(count * 4);
        var values = new float[count];
        if (BitConverter.IsLittleEndian)
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else
            for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        return values;
    }

    /// <summary>Fails if bytes are left over: a record of a known version has no trailing data.</summary>
    public readonly void End()
    {
        if (_position != _data.Length) throw new VaultIntegrityException($"{_data.Length - _position} unexpected trailing bytes in record");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _data.Length - _position)
            throw new VaultIntegrityException("record is truncated");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
