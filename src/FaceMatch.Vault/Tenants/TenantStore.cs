using System.Collections.Concurrent;
using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Crypto;
using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Storage;

namespace FaceMatch.Vault.Tenants;

/// <summary>
/// Tenants and their policies. Tenant records are sealed under the system key; creating a tenant also creates
/// its data key. Deleting a tenant shreds that key first (everything of the tenant becomes unreadable at once),
/// then purges its records; compaction then removes the bytes from disk.
/// <para>
/// Deletion races: a deleted tenant's id goes into <c>_deleted</c> (a tombstone, in memory: after a restart the
/// record is simply absent) under the tenant's lock, together with removing its cache entry. Whatever else
/// writes the cache or the record (a lookup that missed the cache, <see cref="SetPolicyAsync"/>) checks the
/// tombstone under the same lock immediately before writing, so it can neither put a deleted tenant back
/// into the cache nor rewrite its record.
/// </para>
/// </summary>
public sealed class TenantStore
{
    public const int MaxNameLength = 200;
    /// <summary>Every record type kept under a tenant's prefix, apart from its key record.</summary>
    internal static readonly RecordType[] SiloedTypes =
        [RecordType.Template, RecordType.DevCapture, RecordType.UsageRecord, RecordType.UsageCounters, RecordType.DeviceHashKey];

    private readonly IRecordStore _store;
    private readonly KeyRing _keys;
    private readonly TimeProvider _clock;
    private readonly ChangeNotifier _changes;
    private readonly ConcurrentDictionary<OpaqueId, Tenant> _cache = new();
    private readonly ConcurrentDictionary<OpaqueId, byte> _deleted = new();
    private readonly StripedLock _locks = new(64);

    internal TenantStore(IRecordStore store, KeyRing keys, TimeProvider clock, ChangeNotifier changes)
    {
        _store = store;
        _keys = keys;
        _clock = clock;
        _changes = changes;
    }

    /// <summary>
    /// Test seams at the two race windows (after a cache-missing lookup read the record; after SetPolicy read the
    /// current tenant): a test runs a deletion exactly there. Null outside tests.
    /// </summary>
    internal Action<OpaqueId>? AfterCacheMissRead, BeforePolicyWrite;

    /// <summary>Raised after a tenant is deleted (caches elsewhere drop it).</summary>
    internal event Action<OpaqueId>? Deleted;

    public async Task<Tenant> CreateAsync(string name, Policy? policy = null)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > MaxNameLength) throw new VaultArgumentException($"tenant name must be 1..{MaxNameLength} characters");
        policy ??= Policy.Default;
        policy.Validate();
        var id = OpaqueId.New();
        var tenant = new Tenant(id.ToString(), name, policy, _clock.GetUtcNow());
        // Tenant record before key, and on delete key before record: a data key never exists without its
        // tenant, so the sweeper can treat a key without a tenant as left over.
        Write(id, tenant);
        _keys.CreateTenantKey(id);
        await _store.CommitAsync().ConfigureAwait(false);
        return tenant;
    }

    /// <summary>The tenant, or null if the id is malformed, unknown or deleted.</summary>
    public Tenant? Get(string? tenantId) => OpaqueId.TryParse(tenantId, out var id) ? Get(id) : null;

    internal Tenant? Get(OpaqueId id)
    {
        if (_cache.TryGetValue(id, out var cached)) return cached;
        var key = StoreKeys.ById(RecordType.Tenant, id);
        if (!_store.TryRead(key, out var sealedValue)) return null;
        Tenant tenant;
        try { tenant = Decode(Sealer.Open(_keys.SystemKey, key, sealedValue.Span)); }
        finally { sealedValue.Release(); }
        AfterCacheMissRead?.Invoke(id);
        // The read may predate a deletion that has since removed the cache entry: only cache what is not deleted.
        lock (_locks.For(key))
            return _deleted.ContainsKey(id) ? null : _cache.GetOrAdd(id, tenant);
    }

    public IReadOnlyList<Tenant> List()
    {
        var prefix = StoreKeys.TypePrefix(RecordType.Tenant);
        return _store.Scan(prefix).Select(r => Decode(Sealer.Open(_keys.SystemKey, r.Key, r.Value))).OrderBy(t => t.Created).ToList();
    }

    public async Task<Tenant?> SetPolicyAsync(string tenantId, Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        if (!OpaqueId.TryParse(tenantId, out var id) || Get(id) is not { } current) return null;
        BeforePolicyWrite?.Invoke(id);
        var updated = current with { Policy = policy };
        lock (_locks.For(StoreKeys.ById(RecordType.Tenant, id)))
        {
            // Deleted since Get: writing now would bring the tenant record back.
            if (_deleted.ContainsKey(id)) return null;
            Write(id, updated);
        }
        await _store.CommitAsync().ConfigureAwait(false);
        return updated;
    }

    /// <summary>
    /// Deletes the tenant: its data key is destroyed first (crypto-shredding), then its records, tokens and
    /// counters are purged. Returns false if there was no such tenant (or it is already being deleted).
    /// <see cref="ITemplateListener.TenantDeleted"/> is announced once the tenant is unreadable, before the first
    /// commit; a listener failure is thrown after the deletion has finished.
    /// </summary>
    public async Task<bool> DeleteAsync(string tenantId)
    {
        if (!OpaqueId.TryParse(tenantId, out var id) || Get(id) is null) return false;
        var key = StoreKeys.ById(RecordType.Tenant, id);
        lock (_locks.For(key))
        {
            // The tombstone first: from here on no lookup caches the tenant and no policy write recreates it.
            if (!_deleted.TryAdd(id, 0)) return false;
            _keys.Shred(id);
            _store.Delete(key);
            _cache.TryRemove(id, out _);
        }
        var failure = _changes.TenantDeleted(id.ToString());
        // Commit the shredding before the (longer) purge: from here on nothing of the tenant can be decrypted.
        await _store.CommitAsync().ConfigureAwait(false);
        PurgeSiloedRecords(id);
        Deleted?.Invoke(id);
        await _store.CommitAsync().ConfigureAwait(false);
        ListenerFailure.ThrowIfAny(failure);
        return true;
    }

    /// <summary>Deletes every record under the tenant's prefix (its key record aside).</summary>
    internal int PurgeSiloedRecords(OpaqueId id)
    {
        var purged = 0;
        foreach (var type in SiloedTypes)
        {
            foreach (var record in _store.Scan(StoreKeys.TenantPrefix(type, id)).ToList())
            {
                _store.Delete(record.Key);
                purged++;
            }
        }
        return purged;
    }

    private void Write(OpaqueId id, Tenant tenant)
    {
        // v2 appends the liveness threshold and the duplicate check, v3 the gallery storage; older records read with
        // what they lack at its default.
        var writer = new RecordWriter(128).Header(RecordKind.Tenant, version: 3).Raw(id.ToBytes()).String(tenant.Name)
            .I64(tenant.Created.ToUnixTimeMilliseconds())
            .U8((byte)tenant.Policy.Liveness).VarUInt(tenant.Policy.TemplateRetentionDays)
            .VarUInt(tenant.Policy.DevCaptureRetentionDays).VarUInt(tenant.Policy.UsageRetentionDays)
            .F32(tenant.Policy.MatchThreshold)
            .F32(tenant.Policy.LivenessThreshold).U8(tenant.Policy.DuplicateCheck ? (byte)1 : (byte)0)
            .U8((byte)tenant.Policy.GalleryStorage);
        var key = StoreKeys.ById(RecordType.Tenant, id);
        _store.Upsert(key, Sealer.Seal(_keys.SystemKey, key, writer.Written));
        _cache[id] = tenant;
    }

    private static Tenant Decode(byte[] plaintext)
    {
        var reader = new RecordReader(plaintext);
        var version = reader.Header(RecordKind.Tenant);
        var id = OpaqueId.FromBytes(reader.Raw(OpaqueId.ByteLength));
        var name = reader.String(MaxNameLength * 4);
        var created = DateTimeOffset.FromUnixTimeMilliseconds(reader.I64());
        var policy = new Policy
        {
            Liveness = (LivenessMode)reader.U8(),
            TemplateRetentionDays = (uint)reader.VarUInt(),
            DevCaptureRetentionDays = (uint)reader.VarUInt(),
            UsageRetentionDays = (uint)reader.VarUInt(),
            MatchThreshold = reader.F32(),
        };
        if (version >= 2) policy = policy with { LivenessThreshold = reader.F32(), DuplicateCheck = reader.U8() != 0 };
        if (version >= 3) policy = policy with { GalleryStorage = (GalleryStorage)reader.U8() };
        reader.End();
        return new Tenant(id.ToString(), name, policy, created);
    }
}
