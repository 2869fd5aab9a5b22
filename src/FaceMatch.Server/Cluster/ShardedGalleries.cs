using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Server.Services;
using FaceMatch.Vault;
using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Templates;
using FaceMatch.Vault.Tenants;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FaceMatch.Server.Cluster;

/// <summary>
/// Sharded galleries over a cluster store: each tenant's gallery is split into <see cref="ShardingSettings.GalleryShards"/>
/// shards by template id (<see cref="GalleryShard"/>), and this replica holds in memory only the shards the current
/// <see cref="ShardAssignment"/> gives it. It keeps them in step with the store from three sources:
/// <list type="bullet">
/// <item>writes through this replica (it is the vault's listener): applied here at once when it holds the shard, and
/// published (<see cref="IGalleryFeed"/>) for the owner; an enrolment is acknowledged only once its notice's version
/// is counted in the store (<see cref="StoredAsync"/>);</item>
/// <item>notices from every replica: a Stored one is applied by reading the sealed record from the store, a Removed
/// one drops the row; a notice whose version skips one, or a shard whose stored version stays ahead of what this
/// replica applied (a lost message), reloads the shard from the store;</item>
/// <item>the membership: shards this replica gains are loaded from the store; shards it loses are kept (and kept in
/// step) for a grace period, so coordinators with the old view still find them, then dropped.</item>
/// </list>
/// Changes are applied one at a time, in order, on one loop. Identify on any replica gathers candidates from the owners
/// of the tenant's shards (this replica's own directly, the others' over <see cref="PeerClients"/>) and confirms the
/// merged best with the store, as one process does; a shard without a reachable owner fails it UNAVAILABLE.
/// </summary>
public sealed partial class ShardedGalleries : IGalleryRegistry, ITemplateListener, IAsyncDisposable
{
    private readonly int _dimension;
    private readonly GalleryDefaults _defaults;
    private readonly ShardingSettings _settings;
    private readonly FaceMatchVault _vault;
    private readonly IGalleryFeed _feed;
    private readonly IMembershipSource _membership;
    private readonly PeerClients _peers;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<(string Tenant, int Shard), ShardState> _held = new();
    private readonly Channel<Func<Task>> _work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<(string Tenant, string Template), TaskCompletionSource> _unpublished = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly Dictionary<(string Tenant, int Shard), long> _aheadSince = [];
    private readonly ConcurrentDictionary<string, byte> _rebuilds = new(StringComparer.Ordinal);
    private volatile ShardAssignment _assignment;
    private volatile bool _left;
    private int _sweeping;
    private IDisposable? _subscription;

    public ShardedGalleries(int dimension, GalleryDefaults defaults, ShardingSettings settings, FaceMatchVault vault, IGalleryFeed feed,
        IMembershipSource membership, PeerClients peers, ILogger log)
    {
        _dimension = dimension;
        _defaults = defaults;
        _settings = settings;
        _vault = vault;
        _feed = feed;
        _membership = membership;
        _peers = peers;
        _log = log;
        _assignment = new ShardAssignment([membership.Self], settings.GalleryShards);
    }

    public int Dimension => _dimension;
    public ReplicaMember Self => _membership.Self;
    public ShardAssignment Assignment => _assignment;
    /// <summary>Raised (on the apply loop) after a new membership view took effect and the gained shards are loaded.</summary>
    public event Action<ShardAssignment>? Reassigned;

    /// <summary>
    /// Subscribes to the notices and the vault's changes, loads the shards this replica will own (the live members
    /// and itself), then joins the membership and starts the heartbeat, apply and catch-up loops. Returns how many
    /// templates were loaded. Call before the server serves.
    /// </summary>
    public async Task<int> StartAsync(CancellationToken cancellationToken)
    {
        await _feed.SubscribeAsync(notice =>
        {
            Enqueue(() => ApplyAsync(notice));
            return Task.CompletedTask;
        }).ConfigureAwait(false);
        _subscription = _vault.AddListener(this);
        var others = await _membership.LiveAsync(cancellationToken).ConfigureAwait(false);
        _assignment = new ShardAssignment([.. others, _membership.Self], _settings.GalleryShards);
        var loaded = await LoadOwnedAsync(_assignment).ConfigureAwait(false);
        await _membership.JoinAsync(cancellationToken).ConfigureAwait(false);
        _loops.Add(Task.Run(ApplyLoopAsync));
        _loops.Add(Task.Run(PublishLoopAsync));
        _loops.Add(Task.Run(MembershipLoopAsync));
        return loaded;
    }

    // ---- IGalleryRegistry -------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<Match>> SearchAsync(FaceMatchVault vault, string tenantId, float[] embedding, int k)
    {
        var protectedProbe = vault.Templates.ProtectProbe(tenantId, embedding);
        // The policy as the store has it now; the owners are told it, and say whether their scores are exact: a shard
        // whose rebuild in a new storage is still to come is then re-scored like any int8 one, so every answer is
        // exact whichever storage each shard holds at this moment.
        var exact = IsExact(OptionsFor(tenantId));
        var query = new ShardQuery(CandidateConfirmation.Wanted(k, exact), k, exact ? GalleryStorage.Float32 : GalleryStorage.Int8);
        var assignment = _assignment;
        var owners = assignment.OwnersOf(tenantId);
        var groups = Enumerable.Range(0, owners.Count).GroupBy(s => owners[s]).ToList();
        var gathers = groups.Select(g => GatherAsync(g.Key, tenantId, g.ToArray(), protectedProbe, query)).ToList();
        var candidates = new List<Match>();
        foreach (var (gather, group) in gathers.Zip(groups))
        {
            try
            {
                var found = await gather.ConfigureAwait(false);
                candidates.AddRange(found.Candidates);
                if (found.Approximate) exact = false;
            }
            catch (Exception e) when (e is RpcException or ShardUnavailableException or OperationCanceledException or TimeoutException)
            {
                var reason = e is RpcException r ? $"{r.StatusCode}: {r.Status.Detail}" : e.Message;
                throw new RpcException(new Status(StatusCode.Unavailable,
                    $"gallery shard {group.First()} of this tenant has no reachable owner ({reason}); retry shortly"));
            }
        }
        var best = candidates.OrderByDescending(m => m.Score).ThenBy(m => m.Id, StringComparer.Ordinal).Take(CandidateConfirmation.Wanted(k, exact));
        // The owner's rows are copies: the store decides, as in one process (a removed template is never returned).
        return await CandidateConfirmation.ConfirmAsync(vault, tenantId, protectedProbe, best, k, exact).ConfigureAwait(false);
    }

    private Task<ShardCandidates> GatherAsync(ReplicaMember? owner, string tenantId, int[] shards, float[] protectedProbe, ShardQuery query)
    {
        if (owner is null) throw new ShardUnavailableException(shards[0], "no live replica");
        if (owner.Id == Self.Id) return CandidatesOfAsync(tenantId, shards, protectedProbe, query);
        return _peers.SearchAsync(owner, tenantId, shards, protectedProbe, query);
    }

    /// <summary>
    /// This replica's best rows of the tenant's <paramref name="shards"/> for a protected probe (<see cref="ShardQuery.Wanted"/>,
    /// or more from a shard of int8 rows only, enough to re-score), unconfirmed (the coordinator confirms the merged
    /// list). A shard it owns but does not hold yet (a tenant created since this replica loaded, whose shard has had no
    /// template so far) is loaded from the store first; one it neither owns nor holds throws
    /// <see cref="ShardUnavailableException"/>. A shard held in another storage than the query's policy is rebuilt
    /// (queued; it answers as it is meanwhile, its scores flagged approximate if they are).
    /// </summary>
    public async Task<ShardCandidates> CandidatesOfAsync(string tenantId, IReadOnlyList<int> shards, float[] protectedProbe, ShardQuery query)
    {
        var missing = shards.Where(s => !_held.ContainsKey((tenantId, s))).ToList();
        if (missing.Count > 0)
        {
            var assignment = _assignment;
            var foreign = missing.Where(s => assignment.OwnerOf(tenantId, s)?.Id != Self.Id).ToList();
            if (foreign.Count > 0) throw new ShardUnavailableException(foreign[0], "neither owned nor held by this replica");
            if (_vault.Tenants.Get(tenantId) is null) return new ShardCandidates([], Approximate: false);
            var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // On the apply loop, like every other change to what is held, so it cannot overtake a notice.
            Enqueue(async () =>
            {
                try { await ReloadAsync(tenantId, missing.Where(s => !_held.ContainsKey((tenantId, s))).ToHashSet()).ConfigureAwait(false); }
                catch (Exception e) { loaded.TrySetException(e); }
                loaded.TrySetResult();
            });
            await loaded.Task.WaitAsync(PeerClients.CallTimeout).ConfigureAwait(false);
        }
        return CandidatesOf(tenantId, shards, protectedProbe, query);
    }

    private ShardCandidates CandidatesOf(string tenantId, IReadOnlyList<int> shards, ReadOnlySpan<float> protectedProbe, ShardQuery query)
    {
        var all = new List<Match>();
        var approximate = false;
        var wanted = query.Wanted;
        foreach (var shard in shards)
        {
            // A reload swaps a shard's gallery and disposes the old one: a search that met the old one looks again.
            for (var attempt = 0; ; attempt++)
            {
                if (!_held.TryGetValue((tenantId, shard), out var state)) throw new ShardUnavailableException(shard, "not held by this replica");
                if (state.Gallery is not { } gallery) break;
                var shardExact = IsExact(gallery.Options);
                if (query.Storage != GalleryStorage.Unspecified && shardExact != (query.Storage == GalleryStorage.Float32)) QueueRebuild(tenantId);
                var take = wanted;
                if (!shardExact)
                {
                    approximate = true;
                    if (query.TopK > 0) take = Math.Max(wanted, CandidateConfirmation.Wanted(query.TopK, exact: false));
                }
                try
                {
                    all.AddRange(gallery.Search(protectedProbe, Math.Min(take, gallery.Options.MaxK)));
                    break;
                }
                catch (ObjectDisposedException) when (attempt < 3) { }
            }
        }
        if (approximate && query.TopK > 0) wanted = Math.Max(wanted, CandidateConfirmation.Wanted(query.TopK, exact: false));
        var best = all.Count <= wanted ? all : all.OrderByDescending(m => m.Score).ThenBy(m => m.Id, StringComparer.Ordinal).Take(wanted).ToList();
        return new ShardCandidates(best, approximate);
    }

    /// <summary>
    /// Rebuilds the tenant's shards whose storage its policy no longer names, on the apply loop, once however many
    /// searches notice it: the same step as a policy notice, so a lost notice heals at the next search too.
    /// </summary>
    private void QueueRebuild(string tenantId)
    {
        if (!_rebuilds.TryAdd(tenantId, 0)) return;
        Enqueue(async () =>
        {
            try { await ApplyAsync(new GalleryNotice(NoticeOp.TenantReload, tenantId, -1, "", 0)).ConfigureAwait(false); }
            finally { _rebuilds.TryRemove(tenantId, out _); }
        });
    }

    public async Task StoredAsync(string tenantId, string templateId)
    {
        if (!_unpublished.TryGetValue((tenantId, templateId), out var published)) return;
        try { await published.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                "the template is stored but the store did not take its gallery notice in time; it is not acknowledged, retry shortly"));
        }
    }

    public void ApplyPolicy(string tenantId) => _outgoing.Writer.TryWrite(new Outgoing(new GalleryNotice(NoticeOp.TenantReload, tenantId, -1, "", 0), null));

    /// <summary>
    /// The duplicate sweep of a sharded gallery, on the replica the call landed on: the tenant's templates read from the
    /// store in one bulk scan into a gallery of this call's own (in the tenant's storage, as its shards are), then the
    /// same batched sweep and confirmation as one process (<see cref="DuplicateConfirmation.SweepAsync"/>), so the same
    /// pairs. The pairs of a gallery cut into shards are those within each shard and across every two of them; one
    /// copy in one process is the simplest way to cover them all with the existing sweep. It costs the tenant's whole
    /// gallery in this replica's memory for the call, so a replica runs one sweep at a time (a second is refused
    /// <see cref="DuplicateSweepRunningException"/>) and its extra memory is at most one tenant's gallery.
    /// </summary>
    public async IAsyncEnumerable<DuplicateSweepBatch> FindDuplicatesAsync(FaceMatchVault vault, string tenantId, float threshold,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
            throw new DuplicateSweepRunningException("a duplicate sweep is already running on this replica; retry later or through another replica");
        try
        {
            using var gallery = await Task.Run(() => LoadForSweep(vault, tenantId, cancellationToken), cancellationToken).ConfigureAwait(false);
            await foreach (var batch in DuplicateConfirmation.SweepAsync(vault, tenantId, gallery, threshold, cancellationToken).ConfigureAwait(false))
                yield return batch;
        }
        finally { Volatile.Write(ref _sweeping, 0); }
    }

    private Gallery LoadForSweep(FaceMatchVault vault, string tenantId, CancellationToken cancellationToken)
    {
        // No approximate index: the sweep reads the rows themselves, and building one would only cost time.
        var gallery = new Gallery(OptionsFor(tenantId) with { IndexThreshold = 0 });
        try
        {
            foreach (var template in vault.Templates.Enumerate(tenantId))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (template.ProtectedTemplate.Length == _dimension) gallery.Upsert(template.TemplateId, template.ProtectedTemplate);
            }
            return gallery;
        }
        catch
        {
            gallery.Dispose();
            throw;
        }
    }

    public IEnumerable<(string TenantId, GalleryMemoryUsage Usage, bool Compact)> MemoryByTenant()
    {
        foreach (var tenant in _held.Where(h => h.Value.Gallery is not null).GroupBy(h => h.Key.Tenant))
        {
            long native = 0, perRow = 0, managed = 0, index = 0;
            int capacity = 0, rows = 0, live = 0, dead = 0;
            bool compact = false;
            foreach (var (_, state) in tenant)
            {
                if (state.Gallery is not { } gallery) continue;
                GalleryMemoryUsage usage;
                try { usage = gallery.MemoryUsage; }
                catch (ObjectDisposedException) { continue; }
                native += usage.NativeBytes; capacity += usage.Capacity; rows += usage.Rows; live += usage.LiveRows; dead += usage.TombstonedRows;
                perRow = usage.BytesPerRow; managed += usage.ManagedBytesEstimate; index += usage.IndexBytes;
                compact = !gallery.Options.KeepFloat32 && gallery.Options.Precision != VectorPrecision.Float32;
            }
            yield return (tenant.Key, new GalleryMemoryUsage(native, capacity, rows, live, dead, perRow, managed) { IndexBytes = index }, compact);
        }
    }

    /// <summary>Whether this replica holds a row for the template (diagnostics and tests).</summary>
    public bool Contains(string tenantId, string templateId) =>
        _held.TryGetValue((tenantId, GalleryShard.Of(templateId, _settings.GalleryShards)), out var state) && state.Gallery?.Contains(templateId) == true;

    /// <summary>How many (tenant, shard) pairs this replica holds (diagnostics).</summary>
    public int HeldShards => _held.Count;

    // ---- ITemplateListener: writes taken by this replica --------------------------------------------------------

    public void TemplateStored(string tenantId, StoredTemplate template)
    {
        if (template.ProtectedTemplate.Length != _dimension) return;
        var shard = GalleryShard.Of(template.TemplateId, _settings.GalleryShards);
        if (_held.TryGetValue((tenantId, shard), out var state)) state.Upsert(template.TemplateId, template.ProtectedTemplate, () => NewGallery(tenantId));
        var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _unpublished[(tenantId, template.TemplateId)] = published;
        _outgoing.Writer.TryWrite(new Outgoing(new GalleryNotice(NoticeOp.Stored, tenantId, shard, template.TemplateId, 0), published));
    }

    public void TemplatesRemoved(string tenantId, IReadOnlyList<string> templateIds, TemplateRemovalReason reason)
    {
        foreach (var id in templateIds)
        {
            var shard = GalleryShard.Of(id, _settings.GalleryShards);
            if (_held.TryGetValue((tenantId, shard), out var state)) state.Remove(id);
            _outgoing.Writer.TryWrite(new Outgoing(new GalleryNotice(NoticeOp.Removed, tenantId, shard, id, 0), null));
        }
    }

    public void TenantDeleted(string tenantId)
    {
        DropTenant(tenantId);
        _outgoing.Writer.TryWrite(new Outgoing(new GalleryNotice(NoticeOp.TenantDeleted, tenantId, -1, "", 0), null));
    }

    // ---- applying what others did ------------------------------------------------------------------------------

    private bool Enqueue(Func<Task> work) => _work.Writer.TryWrite(work);

    private Task ApplyAsync(GalleryNotice notice)
    {
        switch (notice.Op)
        {
            case NoticeOp.TenantDeleted:
                // Another replica deleted it: this one's cached record and keys must not outlive it.
                _vault.ForgetCachedTenant(notice.TenantId);
                DropTenant(notice.TenantId);
                return Task.CompletedTask;
            case NoticeOp.TenantReload:
                // A policy changed somewhere: read it afresh, and rebuild the shards whose gallery storage it changed.
                _vault.ForgetCachedTenant(notice.TenantId);
                var wanted = OptionsFor(notice.TenantId);
                var stale = _held.Where(h => h.Key.Tenant == notice.TenantId && h.Value.Gallery is { } g
                    && (g.Options.Precision != wanted.Precision || g.Options.KeepFloat32 != wanted.KeepFloat32)).Select(h => h.Key.Shard).ToHashSet();
                return ReloadAsync(notice.TenantId, stale);
            default:
                return notice.Shard < 0 || notice.Shard >= _settings.GalleryShards ? Task.CompletedTask : ApplyShardNoticeAsync(notice);
        }
    }

    private async Task ApplyShardNoticeAsync(GalleryNotice notice)
    {
        var key = (notice.TenantId, notice.Shard);
        if (!_held.TryGetValue(key, out var state))
        {
            // A shard this replica owns but does not hold yet (a tenant's first template): load it.
            if (_assignment.OwnerOf(notice.TenantId, notice.Shard)?.Id == Self.Id) await ReloadAsync(notice.TenantId, new HashSet<int> { notice.Shard }).ConfigureAwait(false);
            return;
        }
        // Applying is state-based (a Stored notice re-reads the record, absent once removed), so notices may be
        // applied in any order; what matters is that none is missed. The version counts what was applied: a gap
        // that the store's version check still sees on its next two checks is a lost notice, and reloads the shard.
        if (!state.ShouldApply(notice.Version)) return;
        if (notice.Op == NoticeOp.Removed) state.Remove(notice.TemplateId);
        else if (await _vault.Templates.GetAsync(notice.TenantId, notice.TemplateId, markUsed: false).ConfigureAwait(false) is { } template
                 && template.ProtectedTemplate.Length == _dimension)
            state.Upsert(template.TemplateId, template.ProtectedTemplate, () => NewGallery(notice.TenantId));
        else state.Remove(notice.TemplateId);               // gone again meanwhile: its removal notice follows
        state.Applied(notice.Version);
    }

    /// <summary>
    /// Rebuilds the tenant's <paramref name="shards"/> from the store and swaps them in: the versions are read first,
    /// so every change counted by then is in the scan, and later notices apply on top.
    /// </summary>
    private async Task<int> ReloadAsync(string tenantId, IReadOnlySet<int> shards)
    {
        if (shards.Count == 0) return 0;
        if (_vault.Tenants.Get(tenantId) is null)
        {
            DropTenant(tenantId);
            return 0;
        }
        var versions = await _feed.VersionsAsync(tenantId).ConfigureAwait(false);
        var fresh = shards.ToDictionary(s => s, _ => new ShardState());
        var loaded = 0;
        await Task.Run(() =>
        {
            foreach (var template in _vault.Templates.Enumerate(tenantId))
            {
                if (template.ProtectedTemplate.Length != _dimension) continue;
                if (!fresh.TryGetValue(GalleryShard.Of(template.TemplateId, _settings.GalleryShards), out var state)) continue;
                state.Upsert(template.TemplateId, template.ProtectedTemplate, () => NewGallery(tenantId));
                loaded++;
            }
        }).ConfigureAwait(false);
        foreach (var (shard, state) in fresh)
        {
            state.Version = versions.GetValueOrDefault(shard);
            if (_held.TryGetValue((tenantId, shard), out var old)) state.LostAt = old.LostAt;
            _held[(tenantId, shard)] = state;
            old?.Dispose();
        }
        return loaded;
    }

    /// <summary>
    /// Loads every shard the assignment gives this replica that it does not hold (one pass over the store's templates
    /// when several tenants gain shards, as at start; the tenant's own otherwise); marks the others lost.
    /// </summary>
    private async Task<int> LoadOwnedAsync(ShardAssignment assignment)
    {
        var now = Stopwatch.GetTimestamp();
        var gains = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        foreach (var tenant in _vault.Tenants.List())
        {
            var owned = assignment.ShardsOf(Self.Id, tenant.TenantId).ToHashSet();
            foreach (var shard in owned)
                if (_held.TryGetValue((tenant.TenantId, shard), out var kept)) kept.LostAt = 0;
            var gained = owned.Where(s => !_held.ContainsKey((tenant.TenantId, s))).ToHashSet();
            if (gained.Count > 0) gains[tenant.TenantId] = gained;
        }
        var loaded = 0;
        if (gains.Count == 1) loaded = await ReloadAsync(gains.Keys.Single(), gains.Values.Single()).ConfigureAwait(false);
        else if (gains.Count > 1) loaded = await LoadAllAsync(gains).ConfigureAwait(false);
        foreach (var (key, state) in _held)
            if (state.LostAt == 0 && assignment.OwnerOf(key.Tenant, key.Shard)?.Id != Self.Id) state.LostAt = now;
        return loaded;
    }

    /// <summary>The gained shards of many tenants from one pass over the store (versions read first, as in <see cref="ReloadAsync"/>).</summary>
    private async Task<int> LoadAllAsync(Dictionary<string, HashSet<int>> gains)
    {
        var versions = new Dictionary<string, IReadOnlyDictionary<int, long>>(StringComparer.Ordinal);
        foreach (var tenant in gains.Keys) versions[tenant] = await _feed.VersionsAsync(tenant).ConfigureAwait(false);
        var fresh = gains.SelectMany(g => g.Value.Select(s => (g.Key, s))).ToDictionary(k => k, _ => new ShardState());
        var loaded = 0;
        await Task.Run(() =>
        {
            foreach (var (tenantId, template) in _vault.Templates.EnumerateAll())
            {
                if (template.ProtectedTemplate.Length != _dimension) continue;
                if (!fresh.TryGetValue((tenantId, GalleryShard.Of(template.TemplateId, _settings.GalleryShards)), out var state)) continue;
                state.Upsert(template.TemplateId, template.ProtectedTemplate, () => NewGallery(tenantId));
                loaded++;
            }
        }).ConfigureAwait(false);
        foreach (var (key, state) in fresh)
        {
            state.Version = versions[key.Key].GetValueOrDefault(key.s);
            if (_held.TryGetValue(key, out var old)) state.LostAt = old.LostAt;
            _held[key] = state;
            old?.Dispose();
        }
        return loaded;
    }

    private void DropTenant(string tenantId)
    {
        foreach (var key in _held.Keys.Where(k => k.Tenant == tenantId).ToList())
            if (_held.TryRemove(key, out var state)) state.Dispose();
    }

    // ---- loops ---------------------------------------------------------------------------------------------------

    private async Task ApplyLoopAsync()
    {
        try
        {
            await foreach (var work in _work.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try { await work().ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested) { LogApplyFailed(_log, e); }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Publishes this replica's changes in order, retrying while the store is away (an enrolment waits for it).</summary>
    private async Task PublishLoopAsync()
    {
        try
        {
            await foreach (var outgoing in _outgoing.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        await _feed.PublishAsync(outgoing.Notice).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException && !_stop.IsCancellationRequested)
                    {
                        if (attempt == 0) LogPublishRetry(_log, e.GetType().Name);
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 << Math.Min(attempt, 6))), _stop.Token).ConfigureAwait(false);
                    }
                }
                if (outgoing.Published is { } published)
                {
                    _unpublished.TryRemove((outgoing.Notice.TenantId, outgoing.Notice.TemplateId), out _);
                    published.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Every heartbeat: renews this replica's membership, re-reads the others, and applies a changed view; checks the
    /// shard versions against what was applied (a shard found behind on two checks in a row missed a notice and is
    /// reloaded); drops lost shards whose grace period is over.
    /// </summary>
    private async Task MembershipLoopAsync()
    {
        using var timer = new PeriodicTimer(_settings.HeartbeatInterval);
        var grace = Stopwatch.Frequency * (long)(2 * _settings.MemberTtl.TotalSeconds);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    if (_left)
                    {
                        Enqueue(CatchUpAsync);
                        continue;
                    }
                    await _membership.JoinAsync(_stop.Token).ConfigureAwait(false);
                    var live = await _membership.LiveAsync(_stop.Token).ConfigureAwait(false);
                    var view = new ShardAssignment(live.Any(m => m.Id == Self.Id) ? live : [.. live, Self], _settings.GalleryShards);
                    if (!view.SameMembers(_assignment))
                    {
                        var previous = _assignment;
                        LogMembership(_log, view.Members.Count, previous.Members.Count);
                        var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        Enqueue(async () =>
                        {
                            try
                            {
                                // Loaded first, then switched: this replica answers for a gained shard only once it has it.
                                await LoadOwnedAsync(view).ConfigureAwait(false);
                                _assignment = view;
                                _peers.Retain(view.Members);
                                Reassigned?.Invoke(view);
                            }
                            finally { applied.TrySetResult(); }
                        });
                        await applied.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                    }
                    Enqueue(CatchUpAsync);
                    var now = Stopwatch.GetTimestamp();
                    foreach (var (key, state) in _held)
                        if (state.LostAt != 0 && now - state.LostAt > grace && _held.TryRemove(key, out var dropped)) dropped.Dispose();
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    LogStoreAway(_log, e.GetType().Name);   // the last view stays; the heartbeat retries next tick
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task CatchUpAsync()
    {
        foreach (var tenant in _held.Keys.Select(k => k.Tenant).Distinct().ToList())
        {
            var versions = await _feed.VersionsAsync(tenant).ConfigureAwait(false);
            var behind = new HashSet<int>();
            foreach (var (key, state) in _held.Where(h => h.Key.Tenant == tenant))
            {
                if (versions.GetValueOrDefault(key.Shard) > state.Version)
                {
                    // Behind once may be a notice still on its way; behind twice at the same version is a lost one.
                    if (_aheadSince.TryGetValue(key, out var seen) && seen == state.Version) behind.Add(key.Shard);
                    else _aheadSince[key] = state.Version;
                }
                else _aheadSince.Remove(key);
            }
            if (behind.Count == 0) continue;
            LogCatchUp(_log, behind.Count);
            foreach (var shard in behind) _aheadSince.Remove((tenant, shard));
            await ReloadAsync(tenant, behind).ConfigureAwait(false);
        }
    }

    // ---- parts ---------------------------------------------------------------------------------------------------

    private GalleryOptions OptionsFor(string tenantId)
    {
        var storage = _vault.Tenants.Get(tenantId)?.Policy.GalleryStorage ?? GalleryStorage.Unspecified;
        if (storage == GalleryStorage.Unspecified) storage = _defaults.Storage;
        return new GalleryOptions
        {
            Dimension = _dimension,
            Precision = storage == GalleryStorage.Int8 ? VectorPrecision.Int8 : VectorPrecision.Float32,
            KeepFloat32 = storage != GalleryStorage.Int8,
            IndexThreshold = _defaults.IndexThreshold,
        };
    }

    private static bool IsExact(GalleryOptions options) => options.Precision == VectorPrecision.Float32 || options.KeepFloat32;

    private Gallery NewGallery(string tenantId) => new(OptionsFor(tenantId));

    /// <summary>
    /// The start of a graceful stop: withdraws this replica from the membership, so the others load its shards now
    /// rather than after its TTL, while it keeps what it holds (and keeps it in step) to answer coordinators that
    /// still have the old view until its endpoints close.
    /// </summary>
    public async Task LeaveAsync()
    {
        _left = true;
        try { await _membership.LeaveAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_left) await LeaveAsync().ConfigureAwait(false);
        _subscription?.Dispose();
        // What this replica took but has not announced yet goes out before it stops (the loop drains the queue).
        _outgoing.Writer.TryComplete();
        var publishing = _loops.Count > 1 ? _loops[1] : Task.CompletedTask;
        try { await publishing.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (TimeoutException) { }
        _stop.Cancel();
        _work.Writer.TryComplete();
        try { await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
        foreach (var state in _held.Values) state.Dispose();
        _held.Clear();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "membership changed: {Members} live replicas (was {Previous}); shards reassigned")]
    private static partial void LogMembership(ILogger logger, int members, int previous);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Shards} gallery shards behind the store's version: reloading them")]
    private static partial void LogCatchUp(ILogger logger, int shards);

    [LoggerMessage(Level = LogLevel.Warning, Message = "store unreachable for the membership heartbeat ({Error}); keeping the last view")]
    private static partial void LogStoreAway(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "gallery notice not published ({Error}); retrying")]
    private static partial void LogPublishRetry(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "applying a gallery change failed")]
    private static partial void LogApplyFailed(ILogger logger, Exception error);

    private sealed record Outgoing(GalleryNotice Notice, TaskCompletionSource? Published);

    /// <summary>
    /// One held shard: its gallery (created on its first row); <see cref="Version"/>, up to which every change is in
    /// (the ones applied beyond it, out of order, kept aside until the gap closes); when it was lost (0: owned).
    /// </summary>
    private sealed class ShardState : IDisposable
    {
        private readonly object _lock = new();
        private readonly SortedSet<long> _ahead = [];
        private volatile Gallery? _gallery;
        public long Version;
        public long LostAt;

        /// <summary>Whether a notice of this version is not in yet (not covered by a reload, nor applied before).</summary>
        public bool ShouldApply(long version) => version > Version && !_ahead.Contains(version);

        public void Applied(long version)
        {
            _ahead.Add(version);
            while (_ahead.Min == Version + 1)
            {
                _ahead.Remove(Version + 1);
                Version++;
            }
        }

        public Gallery? Gallery => _gallery;

        public void Upsert(string id, float[] vector, Func<Gallery> create)
        {
            lock (_lock) (_gallery ??= create()).Upsert(id, vector);
        }

        public void Remove(string id)
        {
            lock (_lock) _gallery?.Remove(id);
        }

        public void Dispose()
        {
            lock (_lock) _gallery?.Dispose();
        }
    }
}

/// <summary>
/// What a coordinator asks of a shard's owner: <paramref name="Wanted"/> rows at most (sized for the policy's storage),
/// for <paramref name="TopK"/> results, under the policy's <paramref name="Storage"/> as read for this search.
/// </summary>
public readonly record struct ShardQuery(int Wanted, int TopK, GalleryStorage Storage);

/// <summary>An owner's unconfirmed best rows; <paramref name="Approximate"/> when some scores come from int8 rows only.</summary>
public sealed record ShardCandidates(IReadOnlyList<Match> Candidates, bool Approximate);

/// <summary>A shard of the gallery is not held where it was looked for (not loaded yet, or reassigned).</summary>
public sealed class ShardUnavailableException(int shard, string why) : Exception($"shard {shard}: {why}")
{
    public int Shard { get; } = shard;
}
