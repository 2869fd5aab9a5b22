using System.Runtime.InteropServices;
using FaceMatch.Vault.Changes;
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
/// as absent, alike. Every add, replacement and removal is announced to the vault's
/// <see cref="ITemplateListener"/>s (see there for when).
/// </summary>
public sealed class TemplateStore
{
    public const int MaxModelLength = 128;
    private readonly IRecordStore _store;
    private readonly KeyRing _keys;
    private readonly TenantStore _tenants;
    private readonly UsageStore _usage;
    private readonly TimeProvider _clock;
    private readonly VaultOptions _options;
    private readonly ChangeNotifier _changes;
    private readonly StripedLock _locks = new();

    internal TemplateStore(IRecordStore store, KeyRing keys, TenantStore tenants, UsageStore usage, TimeProvider clock, VaultOptions options, ChangeNotifier changes)
    {
        _changes = changes;
        _store = store;
        _keys = keys;
        _tenants = tenants;
        _usage = usage;
        _clock = clock;
        _options = options;
    }

    /// <summary>
    /// Protects and stores an embedding; returns the new opaque id once the write is durable.
    /// <paramref name="sampleWeight"/> is what the embedding counts for when samples are added later
    /// (<see cref="AddSamplesAsync"/>), e.g. the summed quality of the frames it was averaged from.
    /// </summary>
    public async Task<string> AddAsync(string tenantId, ReadOnlyMemory<float> embedding, string model, float sampleWeight = 1f)
    {
        var (tenant, keys, policy) = Resolve(tenantId) ?? throw new VaultArgumentException("unknown tenant");
        ValidateSample(embedding.Span, model, sampleWeight);
        var protectedTemplate = new float[embedding.Length];
        keys.Rotation(embedding.Length).Apply(embedding.Span, protectedTemplate);
        var id = OpaqueId.New();
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new TemplateRecord(id, now, now, model, protectedTemplate, sampleWeight);
        var key = StoreKeys.Scoped(RecordType.Template, tenant, keys.RecordKeySuffix(id));
        lock (_locks.For(key))
        {
            Write(key, keys, record, policy);
            _usage.AdjustTemplates(tenant, keys, +1);
        }
        await _store.CommitAsync().ConfigureAwait(false);
        ListenerFailure.ThrowIfAny(AnnounceStored(tenant, id).Failure, id.ToString());
        return id.ToString();
    }

    /// <summary>
    /// Adds samples to an existing template (multi-sample enrolment): the stored vector becomes the weighted mean
    /// of what it was (weighted by its <see cref="StoredTemplate.SampleWeight"/>) and <paramref name="embedding"/>
    /// (weighted by <paramref name="sampleWeight"/>). The mean is taken in the protected space, which is the same
    /// as protecting the mean (the rotation is linear), so the unprotected template is never needed. Counts as a
    /// use (restarts retention). Returns the template as now stored once durable, or null when the id is
    /// malformed, unknown, deleted, expired or another tenant's (as <see cref="GetAsync"/>). A model or dimension
    /// other than the stored one is a <see cref="VaultArgumentException"/>: vectors of two embedders do not mix.
    /// </summary>
    public async Task<StoredTemplate?> AddSamplesAsync(string tenantId, string? templateId, ReadOnlyMemory<float> embedding, string model, float sampleWeight = 1f)
    {
        ValidateSample(embedding.Span, model, sampleWeight);
        if (Locate(tenantId, templateId) is not { } located) return null;
        var (tenant, id, keys, policy, key) = located;
        bool expired;
        lock (_locks.For(key))
        {
            var record = ReadLive(tenant, keys, policy, key, out expired);
            if (record is not null)
            {
                if (record.Model != model) throw new VaultArgumentException("model differs from the template's");
                if (record.Protected.Length != embedding.Length) throw new VaultArgumentException("embedding dimension differs from the template's");
                Write(key, keys, Combine(record, keys, embedding.Span, sampleWeight), policy);
            }
        }
        if (expired) return await FinishExpiredAsync(tenant, id).ConfigureAwait(false);
        await _store.CommitAsync().ConfigureAwait(false);
        var (stored, failure) = AnnounceStored(tenant, id);
        ListenerFailure.ThrowIfAny(failure);
        return stored;
    }

    private TemplateRecord Combine(TemplateRecord record, TenantKeys keys, ReadOnlySpan<float> embedding, float sampleWeight)
    {
        var added = new float[embedding.Length];
        keys.Rotation(embedding.Length).Apply(embedding, added);
        var total = record.SampleWeight + sampleWeight;
        for (var i = 0; i < added.Length; i++)
            added[i] = (record.Protected[i] * record.SampleWeight + added[i] * sampleWeight) / total;
        return record with { Protected = added, SampleWeight = total, LastUsedUnixMs = _clock.GetUtcNow().ToUnixTimeMilliseconds() };
    }

    /// <summary>
    /// The template, or null when the id is malformed, unknown, deleted, expired or another tenant's.
    /// <paramref name="markUsed"/> records the use (authentication), which restarts the retention period.
    /// </summary>
    public async Task<StoredTemplate?> GetAsync(string tenantId, string? templateId, bool markUsed = true)
    {
        if (Locate(tenantId, templateId) is not { } located) return null;
        var (tenant, id, keys, policy, key) = located;
        var now = _clock.GetUtcNow();
        TemplateRecord? record;
        bool expired, touched = false;
        lock (_locks.For(key))
        {
            record = ReadLive(tenant, keys, policy, key, out expired);
            if (record is not null && markUsed && now.ToUnixTimeMilliseconds() - record.LastUsedUnixMs >= (long)_options.TouchGranularity.TotalMilliseconds)
            {
                record = record with { LastUsedUnixMs = now.ToUnixTimeMilliseconds() };
                Write(key, keys, record, policy);
                touched = true;
            }
        }
        if (expired) return await FinishExpiredAsync(tenant, id).ConfigureAwait(false);
        if (touched) await _store.CommitAsync().ConfigureAwait(false);
        return record is null ? null : ToStored(record, policy);
    }

    /// <summary>Records a use without returning the template (e.g. an identification hit).</summary>
    public async Task<bool> MarkUsedAsync(string tenantId, string? templateId) =>
        await GetAsync(tenantId, templateId, markUsed: true).ConfigureAwait(false) is not null;

    /// <summary>Right to erasure: unreadable as soon as this returns; gone from every file after the next compaction.</summary>
    public async Task<bool> DeleteAsync(string tenantId, string? templateId)
    {
        if (Locate(tenantId, templateId) is not { } located) return false;
        var (tenant, id, keys, _, key) = located;
        lock (_locks.For(key))
        {
            if (!_store.Exists(key)) return false;
            _store.Delete(key);
            _usage.AdjustTemplates(tenant, keys, -1);
        }
        await AnnounceRemovalAndCommitAsync(tenant, id, TemplateRemovalReason.Erased).ConfigureAwait(false);
        return true;
    }

    /// <summary>Right of access: everything held under the id, or null (same cases as <see cref="GetAsync"/>).</summary>
    public TemplateExport? Export(string tenantId, string? templateId)
    {
        if (Locate(tenantId, templateId) is not { } located) return null;
        var (tenant, id, keys, policy, key) = located;
        TemplateRecord? record;
        bool expired;
        lock (_locks.For(key)) record = ReadLive(tenant, keys, policy, key, out expired);
        // Not committed here (this call is synchronous): a lost erasure of an expired record is redone by the next
        // read or sweep, since it stays expired.
        if (expired) ListenerFailure.ThrowIfAny(_changes.Removed(tenant.ToString(), [id.ToString()], TemplateRemovalReason.Expired));
        if (record is null) return null;
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
        var tenants = new Dictionary<OpaqueId, (string Id, TenantKeys Keys, Policy Policy)?>();
        foreach (var record in _store.Scan(StoreKeys.TypePrefix(RecordType.Template)))
        {
            var tenant = StoreKeys.TenantOf(record.Key);
            if (!tenants.TryGetValue(tenant, out var resolved))
            {
                resolved = Resolve(tenant) is { } r ? (tenant.ToString(), r.Keys, r.Policy) : null;
                tenants[tenant] = resolved;
            }
            if (resolved is not { } found) continue; // a deleted tenant's leftovers, for the sweeper
            // One open and one decode per record; the vector is handed out as decoded, not copied again.
            var template = Decode(Sealer.Open(found.Keys.RecordKey, record.Key, record.Value));
            if (!IsExpired(template, found.Policy, now)) yield return (found.Id, ToStored(template, found.Policy));
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

    /// <summary>
    /// Deletes templates unused for longer than the policy allows and announces them (before the sweep commits);
    /// returns how many, and any listener failure for the sweep to throw once it has committed.
    /// </summary>
    internal (int Purged, ListenerFailure? Failure) PurgeExpired(OpaqueId tenant, TenantKeys keys, Policy policy, DateTimeOffset now)
    {
        if (policy.TemplateRetentionDays == 0) return (0, null);
        var purged = new List<string>();
        foreach (var stored in _store.Scan(StoreKeys.TenantPrefix(RecordType.Template, tenant)).ToList())
        {
            lock (_locks.For(stored.Key))
            {
                // Re-read under the lock: a concurrent use may have just renewed it.
                var record = Read(stored.Key, keys);
                if (record is null || !IsExpired(record, policy, now)) continue;
                _store.Delete(stored.Key);
                _usage.AdjustTemplates(tenant, keys, -1);
                purged.Add(record.Id.ToString());
            }
        }
        return (purged.Count, _changes.Removed(tenant.ToString(), purged, TemplateRemovalReason.Expired));
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

    private void ValidateSample(ReadOnlySpan<float> embedding, string model, float sampleWeight)
    {
        ValidateEmbedding(embedding);
        if (string.IsNullOrEmpty(model) || model.Length > MaxModelLength)
            throw new VaultArgumentException($"model id must be 1..{MaxModelLength} characters");
        if (!float.IsFinite(sampleWeight) || sampleWeight <= 0) throw new VaultArgumentException("sample weight must be positive and finite");
    }

    private (OpaqueId Tenant, TenantKeys Keys, Policy Policy)? Resolve(string tenantId) =>
        OpaqueId.TryParse(tenantId, out var tenant) ? Resolve(tenant) : null;

    private (OpaqueId Tenant, TenantKeys Keys, Policy Policy)? Resolve(OpaqueId tenant)
    {
        if (_tenants.Get(tenant) is not { } t || _keys.TryGet(tenant) is not { } keys) return null;
        return (tenant, keys, t.Policy);
    }

    private (OpaqueId Tenant, OpaqueId Id, TenantKeys Keys, Policy Policy, byte[] Key)? Locate(string tenantId, string? templateId) =>
        OpaqueId.TryParse(templateId, out var id) && OpaqueId.TryParse(tenantId, out var tenant) ? Locate(tenant, id) : null;

    private (OpaqueId Tenant, OpaqueId Id, TenantKeys Keys, Policy Policy, byte[] Key)? Locate(OpaqueId tenant, OpaqueId id)
    {
        if (Resolve(tenant) is not { } resolved) return null;
        return (tenant, id, resolved.Keys, resolved.Policy, StoreKeys.Scoped(RecordType.Template, tenant, resolved.Keys.RecordKeySuffix(id)));
    }

    /// <summary>
    /// The record under <paramref name="key"/> if it is live. An expired one is erased here (caller holds the
    /// record's lock) rather than left for the sweeper; the caller announces and commits that.
    /// </summary>
    private TemplateRecord? ReadLive(OpaqueId tenant, TenantKeys keys, Policy policy, byte[] key, out bool expired)
    {
        var record = Read(key, keys);
        expired = record is not null && IsExpired(record, policy, _clock.GetUtcNow());
        if (!expired) return record;
        _store.Delete(key);
        _usage.AdjustTemplates(tenant, keys, -1);
        return null;
    }

    /// <summary>After <see cref="ReadLive"/> erased an expired record: announce, commit, and read as absent.</summary>
    private async Task<StoredTemplate?> FinishExpiredAsync(OpaqueId tenant, OpaqueId id)
    {
        await AnnounceRemovalAndCommitAsync(tenant, id, TemplateRemovalReason.Expired).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// For a record already deleted (unreadable): announced before the commit, so copies do not outlive it any
    /// longer than they must; a listener failure is thrown only once the deletion is durable.
    /// </summary>
    private async Task AnnounceRemovalAndCommitAsync(OpaqueId tenant, OpaqueId id, TemplateRemovalReason reason)
    {
        var failure = _changes.Removed(tenant.ToString(), [id.ToString()], reason);
        await _store.CommitAsync().ConfigureAwait(false);
        ListenerFailure.ThrowIfAny(failure);
    }

    /// <summary>Announces a durable write with what the vault holds now (nothing if it is gone meanwhile).</summary>
    private (StoredTemplate? Template, ListenerFailure? Failure) AnnounceStored(OpaqueId tenant, OpaqueId id) =>
        _changes.Stored(tenant.ToString(), () => Current(tenant, id));

    /// <summary>The template as stored now, or null if it (or its tenant) is gone or expired. No touch, no erasure.</summary>
    private StoredTemplate? Current(OpaqueId tenant, OpaqueId id)
    {
        if (Locate(tenant, id) is not { } located) return null;
        var record = Read(located.Key, located.Keys);
        return record is null || IsExpired(record, located.Policy, _clock.GetUtcNow()) ? null : ToStored(record, located.Policy);
    }

    private static bool IsExpired(TemplateRecord record, Policy policy, DateTimeOffset now) =>
        ExpiresUnixMs(record, policy) is { } expires && now.ToUnixTimeMilliseconds() >= expires;

    private static long? ExpiresUnixMs(TemplateRecord record, Policy policy) =>
        policy.TemplateRetentionDays == 0 ? null : record.LastUsedUnixMs + policy.TemplateRetentionDays * 86_400_000L;

    private static StoredTemplate ToStored(TemplateRecord record, Policy policy) => new(
        record.Id.ToString(), record.Protected, record.Model,
        DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMs),
        DateTimeOffset.FromUnixTimeMilliseconds(record.LastUsedUnixMs),
        ExpiresUnixMs(record, policy) is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null)
    { SampleWeight = record.SampleWeight };

    private void Write(byte[] key, TenantKeys keys, TemplateRecord record, Policy policy)
    {
        var writer = new RecordWriter(72 + record.Protected.Length * 4);
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
