using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Vault;
using FaceMatch.Vault.Changes;
using FaceMatch.Vault.Templates;

namespace FaceMatch.Server.Services;

/// <summary>
/// Each tenant's 1:N gallery, in the vault's protected space, kept in step with the vault as its listener: loaded
/// with one scan at start, rows added or updated once a write is durable, removed when the vault erases or expires a
/// template (before the call or sweep that did it returns), dropped with the tenant. Identify also confirms every
/// candidate with the vault before returning it, so a template expired but not yet swept is never returned either.
/// </summary>
public sealed class TenantGalleryRegistry(int dimension) : ITemplateListener, IDisposable
{
    private readonly TenantGalleries _galleries = new(_ => new GalleryOptions { Dimension = dimension });
    private readonly ConcurrentDictionary<string, byte> _sweeps = new(StringComparer.Ordinal);

    public int Dimension => dimension;

    /// <summary>
    /// Subscribes to the vault's changes, then loads every live template of every tenant in one pass over its log.
    /// Call before the server serves and before the retention sweeper starts (the load is not guarded against
    /// concurrent changes). Returns how many templates were loaded and the subscription.
    /// </summary>
    public (int Loaded, IDisposable Subscription) LoadFrom(FaceMatchVault vault)
    {
        var subscription = vault.AddListener(this);
        var loaded = 0;
        foreach (var (tenantId, template) in vault.Templates.EnumerateAll())
        {
            // Templates of another embedder (a model change) cannot be compared with today's probes.
            if (template.ProtectedTemplate.Length != dimension) continue;
            _galleries.For(tenantId).Upsert(template.TemplateId, template.ProtectedTemplate);
            loaded++;
        }
        return (loaded, subscription);
    }

    /// <summary>Whether the tenant's gallery has a row for the template (diagnostics and tests).</summary>
    public bool Contains(string tenantId, string templateId) => _galleries.TryGet(tenantId, out var gallery) && gallery!.Contains(templateId);

    public void TemplateStored(string tenantId, StoredTemplate template)
    {
        if (template.ProtectedTemplate.Length == dimension) _galleries.For(tenantId).Upsert(template.TemplateId, template.ProtectedTemplate);
    }

    public void TemplatesRemoved(string tenantId, IReadOnlyList<string> templateIds, TemplateRemovalReason reason)
    {
        if (!_galleries.TryGet(tenantId, out var gallery)) return;
        foreach (var id in templateIds) gallery!.Remove(id);
    }

    public void TenantDeleted(string tenantId) => _galleries.Drop(tenantId);

    /// <summary>The tenant's best <paramref name="k"/> templates for an embedding, each confirmed with the vault.</summary>
    public async Task<IReadOnlyList<Match>> SearchAsync(FaceMatchVault vault, string tenantId, float[] embedding, int k)
    {
        if (!_galleries.TryGet(tenantId, out var gallery)) return [];
        // The gallery holds the tenant's protected (rotated) templates: the probe is rotated the same way.
        var protectedProbe = vault.Templates.ProtectProbe(tenantId, embedding);
        var confirmed = new List<Match>(k);
        // A few extra candidates cover rows dropped during confirmation.
        foreach (var candidate in gallery!.Search(protectedProbe, Math.Min(k + 4, gallery.Options.MaxK)))
        {
            if (confirmed.Count == k) break;
            // An expired template is erased by this read, and the vault's notification removes its row.
            if (await vault.Templates.GetAsync(tenantId, candidate.Id, markUsed: false).ConfigureAwait(false) is null)
            {
                gallery.Remove(candidate.Id);
                continue;
            }
            confirmed.Add(candidate);
        }
        return confirmed;
    }

    /// <summary>
    /// Every pair of the tenant's templates scoring at least <paramref name="threshold"/>, in batches as the gallery's
    /// sweep goes (<see cref="Gallery.FindDuplicates"/>; each batch computed on the thread pool when the caller asks
    /// for it, so a slow reader slows the sweep instead of piling pairs up). Each pair is confirmed with the vault
    /// like a search candidate (both templates still there, an expired one erased by the read); when the gallery
    /// holds compressed vectors only, its candidates are re-scored from the vault's float32 templates. One sweep per
    /// tenant at a time: a second throws <see cref="DuplicateSweepRunningException"/>.
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
            using var sweep = gallery!.FindDuplicates(new DuplicateSweepOptions { Threshold = threshold }, cancellationToken).GetEnumerator();
            while (await Task.Run(sweep.MoveNext, cancellationToken).ConfigureAwait(false))
            {
                var batch = sweep.Current;
                var confirmed = new List<DuplicatePair>(batch.Pairs.Count);
                var templates = new Dictionary<string, StoredTemplate?>(StringComparer.Ordinal);
                async ValueTask<StoredTemplate?> TemplateOf(string id)
                {
                    if (!templates.TryGetValue(id, out var template))
                        templates[id] = template = await vault.Templates.GetAsync(tenantId, id, markUsed: false).ConfigureAwait(false);
                    return template;
                }
                foreach (var pair in batch.Pairs)
                {
                    if (await TemplateOf(pair.FirstId).ConfigureAwait(false) is not { } a) continue;
                    if (await TemplateOf(pair.SecondId).ConfigureAwait(false) is not { } b) continue;
                    if (batch.Exact) { confirmed.Add(pair); continue; }
                    float exact = Similarity.Cosine(a.ProtectedTemplate, b.ProtectedTemplate);
                    if (exact >= threshold) confirmed.Add(pair with { Score = exact });
                }
                yield return new DuplicateSweepBatch(confirmed, batch.ProbesDone, batch.Probes, batch.Progress);
            }
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
public sealed class DuplicateSweepRunningException() : InvalidOperationException("a duplicate sweep of this tenant is already running");
