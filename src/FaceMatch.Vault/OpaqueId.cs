using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FaceMatch.Vault;

/// <summary>
/// A 128-bit random identifier written as 22 URL-safe base64 characters (no padding). Nothing is derivable
/// from it: no time, no counter, no tenant. Used for template, tenant, token and capture ids.
/// </summary>
public readonly record struct OpaqueId(UInt128 Value)
{
    public const int ByteLength = 16;
    public const int TextLength = 22;

    public static OpaqueId New()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        RandomNumberGenerator.Fill(bytes);
        return FromBytes(bytes);
    }

    public static OpaqueId FromBytes(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt128BigEndian(bytes));

    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, Value);

    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Parses the text form; false for anything that is not exactly 22 URL-safe base64 characters.</summary>
    public static bool TryParse(string? text, out OpaqueId id)
    {
        id = default;
        if (text is null || text.Length != TextLength) return false;
        Span<char> padded = stackalloc char[24];
        for (var i = 0; i < TextLength; i++)
        {
            var c = text[i];
            padded[i] = c switch
            {
                >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' => c,
                '-' => '+',
                '_' => '/',
                _ => '\0',
            };
            if (padded[i] == '\0') return false;
        }
        padded[22] = '=';
        padded[23] = '=';
        Span<byte> bytes = stackalloc byte[18];
        if (!Convert.TryFromBase64Chars(padded, bytes, out var written) || written != ByteLength) return false;
        id = FromBytes(bytes[..ByteLength]);
        // Reject non-canonical spellings (unused low bits set), so one id has exactly one text form.
        return id.ToString() == text;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        WriteTo(bytes);
        Span<char> chars = stackalloc char[24];
        Convert.TryToBase64Chars(bytes, chars, out _);
        for (var i = 0; i < TextLength; i++)
            chars[i] = chars[i] switch { '+' => '-', '/' => '_', var c => c };
        return new string(chars[..TextLength]);
    }
}
