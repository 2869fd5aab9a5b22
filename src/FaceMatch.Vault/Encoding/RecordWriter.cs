using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace FaceMatch.Vault.Encoding;

/// <summary>
/// Writes the vault's compact binary record layout: little-endian fixed-width numbers, LEB128 varints for
/// counts and lengths, length-prefixed UTF-8 strings and byte strings. Every record begins with a layout
/// version and a kind byte (<see cref="RecordHeader"/>), so a reader can refuse what it does not know.
/// </summary>
internal sealed class RecordWriter
{
    private byte[] _buffer;
    private int _length;

    public RecordWriter(int capacity = 256) => _buffer = new byte[Math.Max(16, capacity)];

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public RecordWriter Header(RecordKind kind, byte version = 1)
    {
        U8(version);
        return U8((byte)kind);
    }

    public RecordWriter U8(byte value)
    {
        Reserve(1)[0] = value;
        return this;
    }

    public RecordWriter Bool(bool value) => U8(value ? (byte)1 : (byte)0);

    public RecordWriter VarUInt(ulong value)
    {
        while (value >= 0x80)
        {
            U8((byte)(value | 0x80));
            value >>= 7;
        }
        return U8((byte)value);
    }

    public RecordWriter I64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);
        return this;
    }

    public RecordWriter F32(float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
        return this;
    }

    /// <summary>Fixed-length bytes, no length prefix (ids, hashes).</summary>
    public RecordWriter Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        return this;
    }

    public RecordWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        VarUInt((ulong)bytes.Length);
        return Raw(bytes);
    }

    public RecordWriter String(string value)
    {
        var count = System.Text.Encoding.UTF8.GetByteCount(value);
        VarUInt((ulong)count);
        System.Text.Encoding.UTF8.GetBytes(value, Reserve(count));
        return this;
    }

    public RecordWriter Floats(ReadOnlySpan<float> values)
    {
        VarUInt((ulong)values.Length);
        var target = Reserve(values.Length * 4);
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values).CopyTo(target);
        else
            for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(target[(i * 4)..], values[i]);
        return this;
    }

    /// <summary>Zeroes the buffer: plaintext of records must not linger in memory longer than needed.</summary>
    public void Wipe()
    {
        Array.Clear(_buffer);
        _length = 0;
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var grown = new byte[Math.Max(_buffer.Length * 2, _length + count)];
            _buffer.AsSpan(0, _length).CopyTo(grown);
            Array.Clear(_buffer);
            _buffer = grown;
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
