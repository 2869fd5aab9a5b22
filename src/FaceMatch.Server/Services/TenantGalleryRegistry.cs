using FaceMatch.Matching.Galleries;
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

    public void Dispose() => _galleries.Dispose();
}
