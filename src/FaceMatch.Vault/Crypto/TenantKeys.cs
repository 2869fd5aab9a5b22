using System.Collections.Concurrent;
using System.Security.Cryptography;
using FaceMatch.Vault.Protection;

namespace FaceMatch.Vault.Crypto;

/// <summary>
/// One tenant's keys, all derived from its random 256-bit data key (which exists on disk only wrapped under the
/// master key): the record encryption key, the key that turns record ids into store keys, and the seed of the
/// template rotation. Destroying the wrapped data key makes all of them unrecoverable.
/// </summary>
internal sealed class TenantKeys : IDisposable
{
    private readonly byte[] _dataKey;
    private readonly ConcurrentDictionary<int, OrthonormalMatrix> _rotations = new();

    public TenantKeys(OpaqueId tenant, byte[] dataKey)
    {
        Tenant = tenant;
        _dataKey = dataKey;
        RecordKey = KeyDerivation.Derive(dataKey, "tenant/records");
        IdKey = KeyDerivation.Derive(dataKey, "tenant/record-ids");
    }

    public OpaqueId Tenant { get; }
    public byte[] RecordKey { get; }
    public byte[] IdKey { get; }

    /// <summary>The tenant's secret rotation for embeddings of this dimension (built once, then cached).</summary>
    public OrthonormalMatrix Rotation(int dimension) => _rotations.GetOrAdd(dimension, d =>
    {
        var seed = KeyDerivation.Derive(_dataKey, $"tenant/template-rotation/{d}");
        try { return OrthonormalMatrix.Generate(seed, d); }
        finally { Array.Clear(seed); }
    });

    /// <summary>Store-key suffix for a record id: HMAC-SHA256 under the id key, first 16 bytes.</summary>
    public byte[] RecordKeySuffix(OpaqueId id)
    {
        Span<byte> idBytes = stackalloc byte[OpaqueId.ByteLength];
        id.WriteTo(idBytes);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(IdKey, idBytes, mac);
        return mac[..16].ToArray();
    }

    public void Dispose()
    {
        Array.Clear(_dataKey);
        Array.Clear(RecordKey);
        Array.Clear(IdKey);
        _rotations.Clear();
    }
}
