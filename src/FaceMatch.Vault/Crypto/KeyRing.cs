using System.Collections.Concurrent;
using System.Security.Cryptography;
using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Storage;

namespace FaceMatch.Vault.Crypto;

/// <summary>
/// The key hierarchy. Master key (configuration) → HKDF → system key (tenant and token records), wrap key
/// (tenant data keys), token-hash key. Each tenant's random data key is stored wrapped under the wrap key, bound
/// to its tenant id; unwrapped keys are cached in memory only.
/// </summary>
internal sealed class KeyRing : IDisposable
{
    private static ReadOnlySpan<byte> KeyCheckPlaintext => "FaceMatch vault key check"u8;
    private readonly IRecordStore _store;
    private readonly ConcurrentDictionary<OpaqueId, TenantKeys> _tenants = new();
    // Shredded tenants (in memory; after a restart their wrapped key is simply absent). Checked after a cache
    // miss put keys into the cache, so a read that raced the shredding cannot leave the key cached.
    private readonly ConcurrentDictionary<OpaqueId, byte> _shredded = new();

    private KeyRing(IRecordStore store, byte[] masterKey)
    {
        _store = store;
        SystemKey = KeyDerivation.Derive(masterKey, "system-records");
        WrapKey = KeyDerivation.Derive(masterKey, "tenant-key-wrap");
        TokenHashKey = KeyDerivation.Derive(masterKey, "token-hash");
    }

    public byte[] SystemKey { get; }
    public byte[] WrapKey { get; }
    public byte[] TokenHashKey { get; }

    /// <summary>Derives the system keys and checks the master key against the store (or marks a new store with it).</summary>
    public static async Task<KeyRing> OpenAsync(IRecordStore store, byte[] masterKey)
    {
        var ring = new KeyRing(store, masterKey);
        var key = StoreKeys.KeyCheck();
        if (store.TryRead(key, out var existing))
        {
            try { Sealer.Open(ring.SystemKey, key, existing.Span); }
            catch (VaultIntegrityException ex)
            {
                ring.Dispose();
                throw new VaultConfigurationException("the master key does not match this data directory", ex);
            }
            finally { existing.Release(); }
        }
        else
        {
            store.Upsert(key, Sealer.Seal(ring.SystemKey, key, KeyCheckPlaintext));
            await store.CommitAsync().ConfigureAwait(false);
        }
        return ring;
    }

    /// <summary>Creates a tenant's data key and writes it, wrapped, to the store (not yet committed).</summary>
    public TenantKeys CreateTenantKey(OpaqueId tenant)
    {
        var dataKey = RandomNumberGenerator.GetBytes(Sealer.KeySize);
        var storeKey = StoreKeys.ById(RecordType.TenantKey, tenant);
        var plaintext = new RecordWriter(48).Header(RecordKind.TenantKey).Raw(dataKey);
        _store.Upsert(storeKey, Sealer.Seal(WrapKey, storeKey, plaintext.Written));
        plaintext.Wipe();
        var keys = new TenantKeys(tenant, dataKey);
        _tenants[tenant] = keys;
        return keys;
    }

    /// <summary>The tenant's keys, or null if it has none (never created, or shredded).</summary>
    public TenantKeys? TryGet(OpaqueId tenant)
    {
        if (_tenants.TryGetValue(tenant, out var cached)) return cached;
        var storeKey = StoreKeys.ById(RecordType.TenantKey, tenant);
        if (!_store.TryRead(storeKey, out var wrapped)) return null;
        byte[] plaintext;
        try { plaintext = Sealer.Open(WrapKey, storeKey, wrapped.Span); }
        finally { wrapped.Release(); }
        try
        {
            var reader = new RecordReader(plaintext);
            reader.Header(RecordKind.TenantKey);
            var dataKey = reader.Raw(Sealer.KeySize).ToArray();
            reader.End();
            var keys = _tenants.GetOrAdd(tenant, t => new TenantKeys(t, dataKey));
            // Shred marks first and evicts second, so either it evicts this entry or this check sees the mark.
            if (!_shredded.ContainsKey(tenant)) return keys;
            _tenants.TryRemove(tenant, out _);
            return null;
        }
        finally { Array.Clear(plaintext); }
    }

    /// <summary>Crypto-shredding: deletes the wrapped data key and forgets the cached one (not yet committed).</summary>
    public void Shred(OpaqueId tenant)
    {
        _shredded.TryAdd(tenant, 0);
        _store.Delete(StoreKeys.ById(RecordType.TenantKey, tenant));
        // Dropped, not wiped: an operation still in flight may hold these keys, and wiping them under it
        // would seal its record under an all-zero key. Unreferenced, they are collected with the last user.
        _tenants.TryRemove(tenant, out _);
    }

    public void Dispose()
    {
        foreach (var keys in _tenants.Values) keys.Dispose();
        _tenants.Clear();
        Array.Clear(SystemKey);
        Array.Clear(WrapKey);
        Array.Clear(TokenHashKey);
    }
}
