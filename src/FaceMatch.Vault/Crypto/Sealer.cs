using System.Security.Cryptography;

namespace FaceMatch.Vault.Crypto;

/// <summary>
/// AES-256-GCM envelopes for stored values: <c>[version 1][nonce 12][ciphertext][tag 16]</c>. Every write draws a
/// fresh random nonce. The associated data is a domain label plus the full store key (record type, tenant id,
/// record key), so a value moved under another key, tenant or type fails authentication instead of decrypting.
/// </summary>
internal static class Sealer
{
    public const byte EnvelopeVersion = 1;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = 1 + NonceSize + TagSize;
    public const int KeySize = 32;
    private static ReadOnlySpan<byte> Domain => "FaceMatch.Vault/1"u8;

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> plaintext)
    {
        var envelope = new byte[Overhead + plaintext.Length];
        envelope[0] = EnvelopeVersion;
        var nonce = envelope.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var ciphertext = envelope.AsSpan(1 + NonceSize, plaintext.Length);
        var tag = envelope.AsSpan(1 + NonceSize + plaintext.Length, TagSize);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(storeKey, stackalloc byte[AadSize(storeKey)]));
        return envelope;
    }

    public static byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> envelope)
    {
        if (envelope.Length < Overhead) throw new VaultIntegrityException("sealed value is shorter than its envelope");
        if (envelope[0] != EnvelopeVersion) throw new VaultIntegrityException($"unknown envelope version {envelope[0]}");
        var nonce = envelope.Slice(1, NonceSize);
        var ciphertext = envelope[(1 + NonceSize)..^TagSize];
        var tag = envelope[^TagSize..];
        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var gcm = new AesGcm(key, TagSize);
            gcm.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(storeKey, stackalloc byte[AadSize(storeKey)]));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new VaultIntegrityException("sealed value failed authentication (tampered, moved, or another key)", ex);
        }
        return plaintext;
    }

    private static int AadSize(ReadOnlySpan<byte> storeKey) => Domain.Length + storeKey.Length;

    private static ReadOnlySpan<byte> AssociatedData(ReadOnlySpan<byte> storeKey, Span<byte> buffer)
    {
        Domain.CopyTo(buffer);
        storeKey.CopyTo(buffer[Domain.Length..]);
        return buffer;
    }
}
