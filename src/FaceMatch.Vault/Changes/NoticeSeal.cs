using System.Security.Cryptography;
using FaceMatch.Vault.Crypto;

namespace FaceMatch.Vault.Changes;

/// <summary>
/// What replicas sharing one store tell each other through it (gallery change notices, shard versions) goes through
/// here, under keys derived from the master key that every replica of a deployment holds: notices are sealed
/// (AES-256-GCM), so the store sees neither tenant nor template ids in them, and the names of what replicas keep in
/// the store for a tenant are keyed hashes of its id.
/// </summary>
public sealed class NoticeSeal : IDisposable
{
    private static ReadOnlySpan<byte> Domain => "FaceMatch.Notice/1"u8;
    private readonly byte[] _sealKey;
    private readonly byte[] _nameKey;

    internal NoticeSeal(ReadOnlySpan<byte> masterKey)
    {
        _sealKey = KeyDerivation.Derive(masterKey, "cluster-notices");
        _nameKey = KeyDerivation.Derive(masterKey, "cluster-names");
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext) => Sealer.Seal(_sealKey, Domain, plaintext);

    /// <summary>The notice's plaintext, or null when it was sealed under another master key or altered.</summary>
    public byte[]? TryOpen(ReadOnlySpan<byte> envelope)
    {
        try { return Sealer.Open(_sealKey, Domain, envelope); }
        catch (VaultIntegrityException) { return null; }
    }

    /// <summary>A stable name for <paramref name="value"/> (e.g. a tenant id) that reveals nothing about it: 32 hex digits.</summary>
    public string Name(string value)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_nameKey, System.Text.Encoding.UTF8.GetBytes(value), mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_sealKey);
        CryptographicOperations.ZeroMemory(_nameKey);
    }
}
