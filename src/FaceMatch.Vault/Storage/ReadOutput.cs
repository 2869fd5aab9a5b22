using System.Buffers;

namespace FaceMatch.Vault.Storage;

/// <summary>A value copied out of the store into a pooled array; the caller returns it with <see cref="Release"/>.</summary>
internal struct ReadOutput
{
    public byte[]? Buffer;
    public int Length;

    public readonly ReadOnlySpan<byte> Span => Buffer is null ? default : Buffer.AsSpan(0, Length);

    public void Release()
    {
        if (Buffer is not null)
        {
            // Values are ciphertext, but clear anyway: pooled arrays outlive this read.
            Array.Clear(Buffer, 0, Length);
            ArrayPool<byte>.Shared.Return(Buffer);
        }
        Buffer = null;
        Length = 0;
    }

    public void CopyFrom(ReadOnlySpan<byte> source)
    {
        Buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, source.Length));
        source.CopyTo(Buffer);
        Length = source.Length;
    }
}
