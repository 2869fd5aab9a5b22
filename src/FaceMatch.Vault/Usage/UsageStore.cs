using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using FaceMatch.Vault.Crypto;
using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tenants;

namespace FaceMatch.Vault.Usage;

/// <summary>
/// Anonymised session records (kept at most the tenant's usage retention, never over 730 days) and the
/// per-tenant billing counters. Device ids are replaced by HMAC under a random per-tenant key that rotates
/// every <see cref="VaultOptions.DeviceKeyRotationDays"/>; the sweeper deletes past keys, after which old
/// hashes cannot be recomputed from a device id or linked to new ones.
/// <para>
/// The counters are one sealed record per tenant. On the embedded store this process is its only writer, so it keeps
/// them in memory and writes each new value over the record. On a shared store several servers count into the same
/// record: each update is a read, the change and a compare-and-set (<see cref="IRecordStore.SwapIf"/>) retried until
/// no other server wrote in between, and reads go to the store.
/// </para>
/// </summary>
public sealed class UsageStore
{
    public const int MaxTextLength = 64;
    private readonly IRecordStore _store;
    private readonly KeyRing _keys;
    private readonly TenantStore _tenants;
    private readonly TimeProvider _clock;
    private readonly int _rotationDays;
    private readonly ConcurrentDictionary<OpaqueId, CounterState> _counters = new();
    private readonly ConcurrentDictionary<(OpaqueId, long), byte[]> _deviceKeys = new();
    private readonly object _deviceKeyLock = new();

    internal UsageStore(IRecordStore store, KeyRing keys, TenantStore tenants, TimeProvider clock, int rotationDays)
    {
        _store = store;
        _keys = keys;
        _tenants = tenants;
        _clock = clock;
        _rotationDays = rotationDays;
        tenants.Deleted += id =>
        {
            _counters.TryRemove(id, out _);
            foreach (var k in _deviceKeys.Keys.Where(k => k.Item1 == id).ToList()) _deviceKeys.TryRemove(k, out _);
        };
    }

    public async Task RecordSessionAsync(string tenantId, SessionUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (!Enum.IsDefined(usage.Kind)) throw new VaultArgumentException($"unknown session kind {(int)usage.Kind}");
        var (id, keys) = Resolve(tenantId);
        var started = usage.Started.ToUnixTimeMilliseconds();
        var writer = new RecordWriter(160).Header(RecordKind.UsageRecord)
            .U8((byte)usage.Kind).I64(started).VarUInt((ulong)Math.Max(0, (long)usage.Duration.TotalMilliseconds))
            .String(NetworkPrefix.Of(usage.ClientAddress))
            .Bytes(HashDevice(id, keys, usage.DeviceId))
            .String(Clip(usage.SdkVersion)).String(Clip(usage.OsVersion)).String(Clip(usage.DeviceModel))
            .String(Clip(usage.Outcome)).VarUInt(usage.Frames);
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        var key = StoreKeys.Usage(id, started, random);
        _store.Upsert(key, Sealer.Seal(keys.RecordKey, key, writer.Written));
        Update(id, keys, c => c with
        {
            Sessions = c.Sessions + 1,
            Enrollments = c.Enrollments + (usage.Kind == SessionKind.Enroll ? 1UL : 0),
            Authentications = c.Authentications + (usage.Kind == SessionKind.Authenticate ? 1UL : 0),
            Identifications = c.Identifications + (usage.Kind == SessionKind.Identify ? 1UL : 0),
            Frames = c.Frames + usage.Frames,
        });
        await _store.CommitAsync().ConfigureAwait(false);
    }

    public async Task RecordCompareAsync(string tenantId)
    {
        var (id, keys) = Resolve(tenantId);
        Update(id, keys, c => c with { Compares = c.Compares + 1 });
        await _store.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>Counts a duplicate sweep of the tenant's gallery.</summary>
    public async Task RecordDuplicateSweepAsync(string tenantId)
    {
        var (id, keys) = Resolve(tenantId);
        Update(id, keys, c => c with { DuplicateSweeps = c.DuplicateSweeps + 1 });
        await _store.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>The tenant's counters; null for an unknown tenant.</summary>
    public UsageCounters? GetCounters(string tenantId)
    {
        if (!OpaqueId.TryParse(tenantId, out var id) || _tenants.Get(id) is null || _keys.TryGet(id) is not { } keys) return null;
        // Other servers count into a shared store's record too: no copy here would stay current.
        if (_store.IsShared) return ReadCounters(StoreKeys.ById(RecordType.UsageCounters, id), keys).Counters;
        var state = State(id, keys);
        lock (state) return state.Counters;
    }

    /// <summary>The tenant's stored session records, oldest first.</summary>
    public IReadOnlyList<UsageRecord> ListRecords(string tenantId)
    {
        var (id, keys) = Resolve(tenantId);
        return _store.Scan(StoreKeys.TenantPrefix(RecordType.UsageRecord, id))
            .Select(r => DecodeRecord(Sealer.Open(keys.RecordKey, r.Key, r.Value)))
            .OrderBy(r => r.Started).ToList();
    }

    /// <summary>Adds <paramref name="delta"/> to the stored-template count (the caller commits).</summary>
    internal void AdjustTemplates(OpaqueId tenant, TenantKeys keys, long delta) =>
        Update(tenant, keys, c => c with { Templates = (ulong)Math.Max(0, (long)c.Templates + delta) });

    /// <summary>Deletes usage records that started at or before <paramref name="cutoff"/> (the key carries the time).</summary>
    internal int PurgeRecordsBefore(OpaqueId tenant, DateTimeOffset cutoff)
    {
        var limit = cutoff.ToUnixTimeMilliseconds();
        var purged = 0;
        foreach (var record in _store.Scan(StoreKeys.TenantPrefix(RecordType.UsageRecord, tenant)).ToList())
        {
            if (BinaryPrimitives.ReadInt64BigEndian(StoreKeys.SuffixOf(record.Key)) > limit) continue;
            _store.Delete(record.Key);
            purged++;
        }
        return purged;
    }

    /// <summary>Deletes device-hash keys of past periods: their hashes can no longer be recomputed.</summary>
    internal int PurgePastDeviceKeys(OpaqueId tenant)
    {
        var current = Period(_clock.GetUtcNow());
        var purged = 0;
        foreach (var record in _store.Scan(StoreKeys.TenantPrefix(RecordType.DeviceHashKey, tenant)).ToList())
        {
            var period = BinaryPrimitives.ReadInt64BigEndian(StoreKeys.SuffixOf(record.Key));
            if (period >= current) continue;
            _store.Delete(record.Key);
            _deviceKeys.TryRemove((tenant, period), out _);
            purged++;
        }
        return purged;
    }

    private long Period(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 86_400_000L / _rotationDays;

    private byte[] HashDevice(OpaqueId tenant, TenantKeys keys, string? deviceId)
    {
        if (string.IsNullOrEmpty(deviceId)) return [];
        var key = DeviceKey(tenant, keys, Period(_clock.GetUtcNow()));
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes(deviceId), mac);
        return mac[..16].ToArray();
    }

    private byte[] DeviceKey(OpaqueId tenant, TenantKeys keys, long period)
    {
        if (_deviceKeys.TryGetValue((tenant, period), out var cached)) return cached;
        lock (_deviceKeyLock)
        {
            if (_deviceKeys.TryGetValue((tenant, period), out cached)) return cached;
            var storeKey = StoreKeys.DeviceHashKey(tenant, period);
            byte[]? key;
            while ((key = StoredDeviceKey(storeKey, keys)) is null)
            {
                var fresh = RandomNumberGenerator.GetBytes(32);
                var writer = new RecordWriter(40).Header(RecordKind.DeviceHashKey).Raw(fresh);
                // Only if still absent: on a shared store another server may have made the period's key meanwhile,
                // and every server must hash a device with the same key (the loser reads the winner's).
                var created = _store.SwapIf(storeKey, null, Sealer.Seal(keys.RecordKey, storeKey, writer.Written));
                writer.Wipe();
                if (created)
                {
                    key = fresh;
                    break;
                }
                Array.Clear(fresh);
            }
            _deviceKeys[(tenant, period)] = key;
            return key;
        }
    }

    private byte[]? StoredDeviceKey(byte[] storeKey, TenantKeys keys)
    {
        if (!_store.TryRead(storeKey, out var existing)) return null;
        try
        {
            var reader = new RecordReader(Sealer.Open(keys.RecordKey, storeKey, existing.Span));
            reader.Header(RecordKind.DeviceHashKey);
            var key = reader.Raw(32).ToArray();
            reader.End();
            return key;
        }
        finally { existing.Release(); }
    }

    private (OpaqueId, TenantKeys) Resolve(string tenantId)
    {
        if (!OpaqueId.TryParse(tenantId, out var id) || _tenants.Get(id) is null || _keys.TryGet(id) is not { } keys)
            throw new VaultArgumentException("unknown tenant");
        return (id, keys);
    }

    private void Update(OpaqueId tenant, TenantKeys keys, Func<UsageCounters, UsageCounters> change)
    {
        if (_store.IsShared)
        {
            UpdateShared(tenant, keys, change);
            return;
        }
        var state = State(tenant, keys);
        // Under the lock, so snapshots reach the log in the order their values were computed.
        lock (state)
        {
            state.Counters = change(state.Counters);
            var key = StoreKeys.ById(RecordType.UsageCounters, tenant);
            _store.Upsert(key, Seal(keys, key, state.Counters));
        }
    }

    /// <summary>
    /// Other servers update the same record: read it, apply the change, and write it only if it is still the record
    /// read (<see cref="IRecordStore.SwapIf"/>); another server's update in between makes this one read again, so
    /// no update overwrites another's.
    /// </summary>
    private void UpdateShared(OpaqueId tenant, TenantKeys keys, Func<UsageCounters, UsageCounters> change)
    {
        var key = StoreKeys.ById(RecordType.UsageCounters, tenant);
        for (var attempt = 0; ; attempt++)
        {
            var (counters, current) = ReadCounters(key, keys);
            if (_store.SwapIf(key, current, Seal(keys, key, change(counters)))) return;
            if (attempt == MaxSwapAttempts) throw new VaultUnavailableException("the usage counters stayed contended; retry");
            // Back off a little at random, so servers that collided do not collide again in step.
            Thread.Sleep(Random.Shared.Next(0, 1 + Math.Min(attempt, 10)));
        }
    }

    private const int MaxSwapAttempts = 100;

    private static byte[] Seal(TenantKeys keys, byte[] key, UsageCounters c)
    {
        // v2 appends the duplicate sweeps; v1 records read with none.
        var writer = new RecordWriter(64).Header(RecordKind.UsageCounters, version: 2).VarUInt(c.Sessions).VarUInt(c.Enrollments)
            .VarUInt(c.Authentications).VarUInt(c.Identifications).VarUInt(c.Compares).VarUInt(c.Frames).VarUInt(c.Templates)
            .VarUInt(c.DuplicateSweeps);
        return Sealer.Seal(keys.RecordKey, key, writer.Written);
    }

    private CounterState State(OpaqueId tenant, TenantKeys keys) =>
        _counters.GetOrAdd(tenant, t => new CounterState(ReadCounters(StoreKeys.ById(RecordType.UsageCounters, t), keys).Counters));

    /// <summary>The stored counters (zero when none) and the sealed record they came from (null when none).</summary>
    private (UsageCounters Counters, byte[]? Sealed) ReadCounters(byte[] key, TenantKeys keys)
    {
        if (!_store.TryRead(key, out var value)) return (new UsageCounters(), null);
        try
        {
            var reader = new RecordReader(Sealer.Open(keys.RecordKey, key, value.Span));
            var version = reader.Header(RecordKind.UsageCounters);
            var counters = new UsageCounters
            {
                Sessions = reader.VarUInt(), Enrollments = reader.VarUInt(), Authentications = reader.VarUInt(),
                Identifications = reader.VarUInt(), Compares = reader.VarUInt(), Frames = reader.VarUInt(), Templates = reader.VarUInt(),
                DuplicateSweeps = version >= 2 ? reader.VarUInt() : 0,
            };
            reader.End();
            return (counters, value.Span.ToArray());
        }
        finally { value.Release(); }
    }

    private static UsageRecord DecodeRecord(byte[] plaintext)
    {
        var reader = new RecordReader(plaintext);
        reader.Header(RecordKind.UsageRecord);
        var kind = (SessionKind)reader.U8();
        var started = DateTimeOffset.FromUnixTimeMilliseconds(reader.I64());
        var duration = TimeSpan.FromMilliseconds(reader.VarUInt());
        var prefix = reader.String();
        var deviceHash = Convert.ToHexStringLower(reader.Bytes(32));
        var record = new UsageRecord(kind, started, duration, prefix, deviceHash, reader.String(), reader.String(), reader.String(), reader.String(), (uint)reader.VarUInt());
        reader.End();
        return record;
    }

    private static string Clip(string? text) => text is null ? "" : text.Length <= MaxTextLength ? text : text[..MaxTextLength];

    private sealed class CounterState(UsageCounters counters)
    {
        public UsageCounters Counters = counters;
    }
}
