using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Vault;
using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Templates;
using FaceMatch.Vault.Tenants;

namespace FaceMatch.Server.Services;

/// <summary>
/// Each tenant's 1:N gallery, in the vault's protected space, kept in step with the vault as its listener: loaded
/// with one scan at start, rows added or updated once a write is durable, removed when the vault erases or expires a
/// template (before the call or sweep that did it returns), dropped with the tenant. Identify also confirms every
/// candidate with the vault before returning it, so a template expired but not yet swept is never returned either.
/// </summary>
/// <remarks>
/// A tenant's gallery holds float32 rows, or int8 rows only (a quarter of the memory) when its policy's (or the
/// server's) gallery storage says so; the int8 gallery's candidates are re-scored from the vault's float32
/// templates, which the confirmation reads anyway, so the scores a caller sees are exact either way. Past
/// <see cref="GalleryDefaults.IndexThreshold"/> templates a gallery builds its approximate index in the background.
/// </remarks>
public sealed class TenantGalleryRegistry : IGalleryRegistry, ITemplateListener, IDisposable
{
    private readonly int _dimension;
    private readonly GalleryDefaults _defaults;
    private readonly TenantGalleries _galleries;
    private readonly ConcurrentDictionary<string, byte> _sweeps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _tenantLocks = new(StringComparer.Ordinal);
    private FaceMatchVault? _vault;

    public TenantGalleryRegistry(int dimension, GalleryDefaults? defaults = null)
    {
        _dimension = dimension;
        _defaults = defaults ?? new GalleryDefaults();
        _galleries = new TenantGalleries(OptionsFor);
    }

    public int Dimension => _dimension;

    /// <summary>
    /// Subscribes to the vault's changes, then loads every live template of every tenant in one pass over its log.
    /// Call before the server serves and before the retention sweeper starts (the load is not guarded against
    /// concurrent changes). Returns how many templates were loaded and the subscription.
    /// </summary>
    public (int Loaded, IDisposable Subscription) LoadFrom(FaceMatchVault vault)
    {
        _vault = vault;
        var subscription = vault.AddListener(this);
        var loaded = 0;
        foreach (var (tenantId, template) in vault.Templates.EnumerateAll())
        {
            // Templates of another embedder (a model change) cannot be compared with today's probes.
            if (template.ProtectedTemplate.Length != _dimension) continue;
            _galleries.For(tenantId).Upsert(template.TemplateId, template.ProtectedTemplate);
            loaded++;
        }
        return (loaded, subscription);
    }

    /// <summary>Whether the tenant's gallery has a row for the template (diagnostics and tests).</summary>
    public bool Contains(string tenantId, string templateId) => _galleries.TryGet(tenantId, out var gallery) && gallery!.Contains(templateId);

    public void TemplateStored(string tenantId, StoredTemplate template)
    {
        if (template.ProtectedTemplate.Length != _dimension) return;
        lock (TenantLock(tenantId)) _galleries.For(tenantId).Upsert(template.TemplateId, template.ProtectedTemplate);
    }

    public void TemplatesRemoved(string tenantId, IReadOnlyList<string> templateIds, TemplateRemovalReason reason)
    {
        lock (TenantLock(tenantId))
        {
            if (!_galleries.TryGet(tenantId, out var gallery)) return;
            foreach (var id in templateIds) gallery!.Remove(id);
        }
    }

    public void TenantDeleted(string tenantId)
    {
        lock (TenantLock(tenantId)) _galleries.Drop(tenantId);
        _tenantLocks.TryRemove(tenantId, out _);
    }

    /// <summary>
    /// After a policy change: if the tenant's gallery storage changed, reloads its gallery from the vault in the new
    /// form and swaps it in. The tenant's template changes wait meanwhile (they are applied to the new gallery), so
    /// nothing is lost; searches keep using the old gallery until the swap.
    /// </summary>
    public void ApplyPolicy(string tenantId)
    {
        if (_vault is not { } vault) return;
        lock (TenantLock(tenantId))
        {
            if (!_galleries.TryGet(tenantId, out var current)) return; // built with the right options on first use
            var wanted = OptionsFor(tenantId);
            if (current!.Options.Precision == wanted.Precision && current.Options.KeepFloat32 == wanted.KeepFloat32) return;
            var fresh = new Gallery(wanted);
            try
            {
                foreach (var template in vault.Templates.Enumerate(tenantId))
                    if (template.ProtectedTemplate.Length == _dimension) fresh.Upsert(template.TemplateId, template.ProtectedTemplate);
            }
            catch
            {
                fresh.Dispose();
                throw;
            }
            _galleries.Replace(tenantId, fresh);
        }
    }

    /// <summary>Memory held by each tenant's gallery (for the per-tenant metric).</summary>
    public IEnumerable<(string TenantId, GalleryMemoryUsage Usage, bool Compact)> MemoryByTenant()
    {
        foreach (var tenant in _galleries.Tenants)
        {
            if (!_galleries.TryGet(tenant, out var gallery)) continue;
            GalleryMemoryUsage usage;
            try { usage = gallery!.MemoryUsage; }
            catch (ObjectDisposedException) { continue; } // dropped or replaced meanwhile
            yield return (tenant, usage, !gallery.Options.KeepFloat32 && gallery.Options.Precision != VectorPrecision.Float32);
        }
    }

    /// <summary>
    /// The tenant's best <paramref name="k"/> templates for an embedding, each confirmed with the vault; from an int8
    /// gallery more candidates are taken and re-scored exactly from the templates the confirmation reads.
    /// </summary>
    public async Task<IReadOnlyList<Match>> SearchAsync(FaceMatchVault vault, string tenantId, float[] embedding, int k)
    {
        if (!_galleries.TryGet(tenantId, out var gallery)) return [];
        // The gallery holds the tenant's protected (rotated) templates: the probe is rotated the same way.
        var protectedProbe = vault.Templates.ProtectProbe(tenantId, embedding);
        bool exact = gallery!.Options.Precision == VectorPrecision.Float32 || gallery.Options.KeepFloat32;
        var candidates = gallery.Search(protectedProbe, Math.Min(CandidateConfirmation.Wanted(k, exact), gallery.Options.MaxK));
        return await CandidateConfirmation.ConfirmAsync(vault, tenantId, protectedProbe, candidates, k, exact, id => gallery.Remove(id)).ConfigureAwait(false);
    }

    /// <summary>One process: the vault's listener has already put the row in (before the store call returned).</summary>
    public Task StoredAsync(string tenantId, string templateId) => Task.CompletedTask;

    private GalleryOptions OptionsFor(string tenantId)
    {
        var storage = _vault?.Tenants.Get(tenantId)?.Policy.GalleryStorage ?? GalleryStorage.Unspecified;
        if (storage == GalleryStorage.Unspecified) storage = _defaults.Storage;
        return new GalleryOptions
        {
            Dimension = _dimension,
            Precision = storage == GalleryStorage.Int8 ? VectorPrecision.Int8 : VectorPrecision.Float32,
            KeepFloat32 = storage != GalleryStorage.Int8,
            IndexThreshold = _defaults.IndexThreshold,
        };
    }

    private object TenantLock(string tenantId) => _tenantLocks.GetOrAdd(tenantId, _ => new object());

    /// <summary>
    /// Every pair of the tenant's templates scoring at least <paramref name="threshold"/>: the tenant's gallery swept
    /// and its pairs confirmed with the vault (<see cref="DuplicateConfirmation.SweepAsync"/>). One sweep per tenant at
    /// a time: a second throws <see cref="DuplicateSweepRunningException"/>.
    /// </summary>
    public async IAsyncEnumerable<DuplicateSweepBatch> FindDuplicatesAsync(FaceMatchVault vault, string tenantId, float threshold,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!_sweeps.TryAdd(tenantId, 0)) throw new DuplicateSweepRunningException();
        try
        {
            if (!_galleries.TryGet(tenantId, out var gallery))
            {
                yield return new DuplicateSweepBatch([], 0, 0, 1);
                yield break;
            }
            await foreach (var batch in DuplicateConfirmation.SweepAsync(vault, tenantId, gallery!, threshold, cancellationToken).ConfigureAwait(false))
                yield return batch;
        }
        finally
        {
            _sweeps.TryRemove(tenantId, out _);
        }
    }

    public void Dispose() => _galleries.Dispose();
}

/// <summary>Confirmed duplicate pairs since the previous batch and the sweep's progress (see <see cref="DuplicateBatch"/>).</summary>
public sealed record DuplicateSweepBatch(IReadOnlyList<DuplicatePair> Pairs, int TemplatesDone, int TemplatesTotal, double Progress);

/// <summary>A duplicate sweep of the tenant is already running.</summary>
public sealed class DuplicateSweepRunningException(string message = "a duplicate sweep of this tenant is already running") : InvalidOperationException(message);
