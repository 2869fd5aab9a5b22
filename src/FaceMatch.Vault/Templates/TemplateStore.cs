using System.Runtime.InteropServices;
using FaceMatch.Vault.Crypto;
using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Usage;

namespace FaceMatch.Vault.Templates;

/// <summary>
/// Biometric templates, siloed per tenant. A template is protected (rotated by the tenant's secret orthonormal
/// matrix) before it is stored, sealed under the tenant's record key, and filed under HMAC(tenant id key,
/// template id). The record holds the protected vector, model id, created / last-used times and expiry:
/// nothing about the person, device or request. Unknown, malformed, expired and other tenants' ids all read
/// as absent, alike.
/// </summary>
public sealed class TemplateStore
{
    public const int MaxModelLength = 128;
    private readonly FasterStore _store;
    private readonly KeyRing _keys;
    private readonly TenantStore _tenants;
    private readonly UsageStore _usage;
    private readonly TimeProvider _clock;
    private readonly VaultOptions _options;
    private readonly StripedLock _locks = new();

    internal TemplateStore(FasterStore store, KeyRing keys, TenantStore tenants, UsageStore usage, TimeProvider clock, VaultOptions options)
    {
        _store = store;
        _keys = keys;
        _tenants = tenants;
        _usage = usage;
        _clock = clock;
        _options = options;
    }

    /// <summary>Protects and stores an embedding; returns the new opaque id once the write is durable.</summary>
    public async Task<string> AddAsync(string tenantId, ReadOnlyMemory<float> embedding, string model)
    {
        var (tenant, keys, policy) = Resolve(tenantId) ?? throw new VaultArgumentException("unknown tenant");
        ValidateEmbedding(embedding.Span);
        if (string.IsNullOrEmpty(model) || model.Length > MaxModelLength)
            throw new VaultArgumentException($"model id must be 1..{MaxModelLength} characters");
        var protectedTemplate = new float[embedding.Length];
        keys.Rotation(embedding.Length).Apply(embedding.Span, protectedTemplate);
        var id = OpaqueId.New();
        var now = _clock.GetUtcNow();
        var record = new TemplateRecord(id, now.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), model, protectedTemplate);
        var key = StoreKeys.Scoped(RecordType.Template, tenant, keys.RecordKeySuffix(id));
        lock (_locks.For(key))
        {
            Write(key, keys, record, policy);
            _usage.AdjustTemplates(tenant, keys, +1);
        }
        await _store.CommitAsync().ConfigureAwait(false);
        return id.ToString();
    }

    /// <summary>
    /// The template, or null when the id is malformed, unknown, deleted, expired or another tenant's.
    /// <paramref name="markUsed"/> records the use (authentication), which restarts the retention period.
    /// </summary>
    public async Task<StoredTemplate?> GetAsync(string tenantId, string? templateId, bool markUsed = true)
    {
        if (Locate(tenantId, templateId) is not { } located) return null;
        var (tenant, keys, policy, key) = located;
        var now = _clock.GetUtcNow();
        TemplateRecord? record;
        var wrote = false;
        lock (_locks.For(key))
        {
            record = Read(key, keys);
            if (record is null) return null;
            if (IsExpired(record, policy, now))
            {
                // Past its retention: erase now rather than wait for the sweeper.
                _store.Delete(key);
                _usage.AdjustTemplates(tenant, keys, -1);
                record = null;
                wrote = true;
            }
            else if (markUsed && now.ToUnixTimeMilliseconds() - record.LastUsedUnixMs >= (long)_options.TouchGranularity.TotalMilliseconds)
            {
                record = record with { LastUsedUnixMs = now.ToUnixTimeMilliseconds() };
                Write(key, keys, record, policy);
                wrote = true;
            }
        }
        if (wrote) await _store.CommitAsync().ConfigureAwait(false);
        return record is null ? null : ToStored(record, policy);
    }

    /// <summary>Records a use without returning the template (e.g. an identification hit).</summary>
    public async Task<bool> MarkUsedAsync(string tenantId, string? templateId) =>
        await GetAsync(tenantId, templateId, markUsed: true).ConfigureAwait(false) is not null;

    /// <summary>Right to erasure: unreadable as soon as this returns; gone from every file after the next compaction.</summary>
    public async Task<bool> DeleteAsync(string tenantId, string? templateId)
    {
        if (Locate(tenantId, templateId) is not { } located) return false;
        var (tenant, keys, _, key) = located;
        lock (_locks.For(key))
        {
            if (!_store.Exists(key)) return false;
            _store.Delete(key);
            _usage.AdjustTemplates(tenant, keys, -1);
        }
        await _store.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Right of access: everything held under the id, or null (same cases as <see cref="GetAsync"/>).</summary>
    public TemplateExport? Export(string tenantId, string? templateId)
    {
        if (Locate(tenantId, templateId) is not { } located) return null;
        var (_, keys, policy, key) = located;
        var record = Read(key, keys);
        if (record is null || IsExpired(record, policy, _clock.GetUtcNow())) return null;
        var stored = ToStored(record, policy);
        return new TemplateExport(stored.TemplateId, record.CreatedUnixMs, record.LastUsedUnixMs, record.Model,
            stored.Expires?.ToUnixTimeMilliseconds() ?? 0, MemoryMarshal.AsBytes(record.Protected.AsSpan()).ToArray());
    }

    /// <summary>
    /// Every live template of the tenant in the protected space, for loading a matching gallery at start. Match
    /// there: rotate each probe with <see cref="ProtectProbe(string, ReadOnlySpan{float})"/>; unprotected
    /// templates never need to exist in memory.
    /// </summary>
    public IEnumerable<StoredTemplate> Enumerate(string tenantId)
    {
        if (Resolve(tenantId) is not { } resolved) yield break;
        var (tenant, keys, policy) = resolved;
        var now = _clock.GetUtcNow();
        foreach (var record in _store.Scan(StoreKeys.TenantPrefix(RecordType.Template, tenant)))
        {
            var template = Decode(Sealer.Open(keys.RecordKey, record.Key, record.Value));
            if (!IsExpired(template, policy, now)) yield return ToStored(template, policy);
        }
    }

    /// <summary>
    /// Every live template of every tenant in one pass over the log (the gallery load at server start; a
    /// per-tenant <see cref="Enumerate"/> reads the whole log each time, as FASTER keeps no key order).
    /// </summary>
    public IEnumerable<(string TenantId, StoredTemplate Template)> EnumerateAll()
    {
        var now = _clock.GetUtcNow();
        var tenants = new Dictionary<OpaqueId, (TenantKeys Keys, Policy Policy)?>();
        foreach (var record in _store.Scan(StoreKeys.TypePrefix(RecordType.Template)))
        {
            var tenant = StoreKeys.TenantOf(record.Key);
            if (!tenants.TryGetValue(tenant, out var resolved))
            {
                resolved = Resolve(tenant.ToString()) is { } r ? (r.Keys, r.Policy) : null;
                tenants[tenant] = resolved;
            }
            if (resolved is not { } found) continue; // a deleted tenant's leftovers, for the sweeper
            var template = Decode(Sealer.Open(found.Keys.RecordKey, record.Key, record.Value));
            if (!IsExpired(template, found.Policy, now)) yield return (tenant.ToString(), ToStored(template, found.Policy));
        }
    }

    /// <summary>The probe in the tenant's protected space (same rotation as the stored templates).</summary>
    public float[] ProtectProbe(string tenantId, ReadOnlySpan<float> probe)
    {
        var result = new float[probe.Length];
        ProtectProbe(tenantId, probe, result);
        return result;
    }

    public void ProtectProbe(string tenantId, ReadOnlySpan<float> probe, Span<float> destination)
    {
        var (_, keys, _) = Resolve(tenantId) ?? throw new VaultArgumentException("unknown tenant");
        ValidateEmbedding(probe);
        keys.Rotation(probe.Length).Apply(probe, destination);
    }

    /// <summary>Deletes templates unused for longer than the policy allows; returns how many.</summary>
    internal int PurgeExpired(OpaqueId tenant, TenantKeys keys, Policy policy, DateTimeOffset now)
    {
        if (policy.TemplateRetentionDays == 0) return 0;
        var purged = 0;
        foreach (var stored in _store.Scan(StoreKeys.TenantPrefix(RecordType.Template, tenant)).ToList())
        {
            lock (_locks.For(stored.Key))
            {
                // Re-read under the lock: a concurrent use may have just renewed it.
                var record = Read(stored.Key, keys);
                if (record is null || !IsExpired(record, policy, now)) continue;
                _store.Delete(stored.Key);
                _usage.AdjustTemplates(tenant, keys, -1);
                purged++;
            }
        }
        return purged;
    }

    /// <summary>The raw sealed value under a template id (tests prove erasure by looking for these bytes on disk).</summary>
    internal byte[]? ReadSealed(string tenantId, string templateId)
    {
        if (Locate(tenantId, templateId) is not { } located) return null;
        if (!_store.TryRead(located.Key, out var value)) return null;
        try { return value.Span.ToArray(); }
        finally { value.Release(); }
    }

    private void ValidateEmbedding(ReadOnlySpan<float> embedding)
    {
        if (embedding.Length < 2 || embedding.Length > _options.MaxEmbeddingDimension)
            throw new VaultArgumentException($"embedding must have 2..{_options.MaxEmbeddingDimension} values, got {embedding.Length}");
        foreach (var v in embedding)
            if (!float.IsFinite(v)) throw new VaultArgumentException("embedding contains NaN or infinity");
    }

    private (OpaqueId Tenant, TenantKeys Keys, Policy Policy)? Resolve(string tenantId)
    {
        if (!OpaqueId.TryParse(tenantId, out var tenant) || _tenants.Get(tenant) is not { } t || _keys.TryGet(tenant) is not { } keys) return null;
        return (tenant, keys, t.Policy);
    }

    private (OpaqueId Tenant, TenantKeys Keys, Policy Policy, byte[] Key)? Locate(string tenantId, string? templateId)
    {
        if (!OpaqueId.TryParse(templateId, out var id) || Resolve(tenantId) is not { } resolved) return null;
        var (tenant, keys, policy) = resolved;
        return (tenant, keys, policy, StoreKeys.Scoped(RecordType.Template, tenant, keys.RecordKeySuffix(id)));
    }

    private static bool IsExpired(TemplateRecord record, Policy policy, DateTimeOffset now) =>
        ExpiresUnixMs(record, policy) is { } expires && now.ToUnixTimeMilliseconds() >= expires;

    private static long? ExpiresUnixMs(TemplateRecord record, Policy policy) =>
        policy.TemplateRetentionDays == 0 ? null : record.LastUsedUnixMs + policy.TemplateRetentionDays * 86_400_000L;

    private static StoredTemplate ToStored(TemplateRecord record, Policy policy) => new(
        record.Id.ToString(), record.Protected, record.Model,
        DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMs),
        DateTimeOffset.FromUnixTimeMilliseconds(record.LastUsedUnixMs),
        ExpiresUnixMs(record, policy) is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null);

    private void Write(byte[] key, TenantKeys keys, TemplateRecord record, Policy policy)
    {
        var writer = new RecordWriter(64 + record.Protected.Length * 4);
        TemplateRecord.Encode(writer, record, ExpiresUnixMs(record, policy) ?? 0);
        _store.Upsert(key, Sealer.Seal(keys.RecordKey, key, writer.Written));
        writer.Wipe();
    }

    private TemplateRecord? Read(byte[] key, TenantKeys keys)
    {
        if (!_store.TryRead(key, out var value)) return null;
        try { return Decode(Sealer.Open(keys.RecordKey, key, value.Span)); }
        finally { value.Release(); }
    }

    private TemplateRecord Decode(byte[] plaintext)
    {
        try { return TemplateRecord.Decode(plaintext, _options.MaxEmbeddingDimension); }
        finally { Array.Clear(plaintext); }
    }
}
