using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tenants;

namespace FaceMatch.Vault.Retention;

/// <summary>What one sweep removed.</summary>
public sealed record SweepReport(int Templates, int DevCaptures, int UsageRecords, int DeviceKeys, int Orphans, bool Compacted)
{
    public int Total => Templates + DevCaptures + UsageRecords + DeviceKeys + Orphans;
}

/// <summary>
/// Applies every tenant's retention policy: templates unused for template_retention_days, development captures
/// older than dev_capture_retention_days, usage records older than usage_retention_days (never over 730),
/// device-hash keys of past rotation periods, and records left by a tenant deletion that did not finish. When it
/// removed anything it compacts, so the bytes leave the disk too. Runs on the vault's clock.
/// </summary>
public sealed class RetentionSweeper : IAsyncDisposable
{
    private const long DayMs = 86_400_000L;
    // One list with the tenant store's, so a new siloed type cannot escape either tenant deletion or this sweep.
    private static readonly RecordType[] TenantScopedTypes = [.. TenantStore.SiloedTypes, RecordType.TenantKey];

    private readonly FaceMatchVault _vault;
    private readonly TimeSpan _interval;
    private readonly bool _compact;
    private readonly SemaphoreSlim _sweeping = new(1, 1);
    private CancellationTokenSource? _stop;
    private Task? _loop;

    /// <param name="interval">Time between sweeps on the vault's clock (default 1 hour).</param>
    /// <param name="compactAfterPurge">Compact after a sweep that removed something (default true).</param>
    public RetentionSweeper(FaceMatchVault vault, TimeSpan? interval = null, bool compactAfterPurge = true)
    {
        _vault = vault;
        _interval = interval ?? TimeSpan.FromHours(1);
        if (_interval <= TimeSpan.Zero) throw new VaultArgumentException("sweep interval must be positive");
        _compact = compactAfterPurge;
    }

    /// <summary>Raised after each scheduled sweep (report, or the error that stopped it).</summary>
    public event Action<SweepReport?, Exception?>? Swept;

    /// <summary>Starts sweeping every interval until disposed.</summary>
    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("the sweeper is already running");
        _stop = new CancellationTokenSource();
        var token = _stop.Token;
        _loop = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                try { await Task.Delay(_interval, _vault.Options.Clock, token).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                try { Swept?.Invoke(await SweepOnceAsync().ConfigureAwait(false), null); }
                catch (Exception ex) when (ex is not OperationCanceledException) { Swept?.Invoke(null, ex); }
            }
        });
    }

    public async Task<SweepReport> SweepOnceAsync()
    {
        await _sweeping.WaitAsync().ConfigureAwait(false);
        try { return await SweepCoreAsync().ConfigureAwait(false); }
        finally { _sweeping.Release(); }
    }

    private async Task<SweepReport> SweepCoreAsync()
    {
        var now = _vault.Options.Clock.GetUtcNow();
        int templates = 0, captures = 0, usage = 0, deviceKeys = 0;
        ListenerFailure? failure = null;
        var tenants = _vault.Tenants.List();
        var live = new HashSet<OpaqueId>();
        foreach (var tenant in tenants)
        {
            OpaqueId.TryParse(tenant.TenantId, out var id);
            live.Add(id);
            if (_vault.Keys.TryGet(id) is not { } keys) continue;
            var policy = tenant.Policy;
            var (purged, listenerFailure) = _vault.Templates.PurgeExpired(id, keys, policy, now);
            templates += purged;
            failure = ListenerFailure.Combine(failure, listenerFailure);
            captures += _vault.DevCaptures.PurgeBefore(id, now.AddMilliseconds(-policy.EffectiveDevCaptureRetentionDays * DayMs));
            usage += _vault.Usage.PurgeRecordsBefore(id, now.AddMilliseconds(-policy.EffectiveUsageRetentionDays * DayMs));
            deviceKeys += _vault.Usage.PurgePastDeviceKeys(id);
        }
        var orphans = PurgeOrphans(live);
        var removed = templates + captures + usage + deviceKeys + orphans;
        if (removed > 0) await _vault.Store.CommitAsync().ConfigureAwait(false);
        var compacted = false;
        if (removed > 0 && _compact)
        {
            await _vault.CompactAsync().ConfigureAwait(false);
            compacted = true;
        }
        // Listeners heard of each tenant's expired templates before this sweep committed; a failure among them
        // surfaces only now, so it cannot stop the sweep half way.
        ListenerFailure.ThrowIfAny(failure);
        return new SweepReport(templates, captures, usage, deviceKeys, orphans, compacted);
    }

    /// <summary>Records of tenants that no longer exist (a deletion interrupted by a crash).</summary>
    private int PurgeOrphans(HashSet<OpaqueId> live)
    {
        var purged = 0;
        var checkedNow = new Dictionary<OpaqueId, bool>();
        foreach (var type in TenantScopedTypes)
        {
            foreach (var record in _vault.Store.Scan(StoreKeys.TypePrefix(type)).ToList())
            {
                if (record.Key.Length < StoreKeys.TenantPrefixLength) continue;
                var tenant = StoreKeys.TenantOf(record.Key);
                if (live.Contains(tenant)) continue;
                // Created since the sweep listed tenants? Then it is not an orphan.
                if (!checkedNow.TryGetValue(tenant, out var exists)) checkedNow[tenant] = exists = _vault.Tenants.Get(tenant) is not null;
                if (exists) continue;
                _vault.Store.Delete(record.Key);
                purged++;
            }
        }
        return purged;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop is not null)
        {
            _stop.Cancel();
            if (_loop is not null) await _loop.ConfigureAwait(false);
            _stop.Dispose();
        }
        // Let a sweep in progress finish before the vault may be disposed.
        await _sweeping.WaitAsync().ConfigureAwait(false);
        _sweeping.Release();
    }
}
