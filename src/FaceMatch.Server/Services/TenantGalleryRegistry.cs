using FaceMatch.Matching.Galleries;
using FaceMatch.Vault;

namespace FaceMatch.Server.Services;

/// <summary>
/// Each tenant's 1:N gallery, in the vault's protected space, kept in step with the vault: loaded with one scan at
/// start, rows added when an enrolment is durable, removed when the vault removes the template. Identify confirms
/// every candidate with the vault before returning it, so a template the vault no longer has (erased, expired,
/// its tenant deleted) is never returned even if a removal were missed; such a row is dropped on the spot.
/// </summary>
public sealed class TenantGalleryRegistry(int dimension) : IDisposable
{
    private readonly TenantGalleries _galleries = new(_ => new GalleryOptions { Dimension = dimension });

    public int Dimension => dimension;

    /// <summary>Every live template of every tenant, in one pass over the vault's log. Returns how many.</summary>
    public int LoadFrom(FaceMatchVault vault)
    {
        var loaded = 0;
        foreach (var (tenantId, template) in vault.Templates.EnumerateAll())
        {
            // Templates of another embedder (a model change) cannot be compared with today's probes.
            if (template.ProtectedTemplate.Length != dimension) continue;
            _galleries.For(tenantId).Upsert(template.TemplateId, template.ProtectedTemplate);
            loaded++;
        }
        return loaded;
    }

    public void Upsert(string tenantId, string templateId, ReadOnlySpan<float> protectedTemplate) =>
        _galleries.For(tenantId).Upsert(templateId, protectedTemplate);

    public void Remove(string tenantId, string templateId)
    {
        if (_galleries.TryGet(tenantId, out var gallery)) gallery!.Remove(templateId);
    }

    public void Drop(string tenantId) => _galleries.Drop(tenantId);

    /// <summary>The tenant's best <paramref name="k"/> templates for a protected probe, each confirmed with the vault.</summary>
    public async Task<IReadOnlyList<Match>> SearchAsync(FaceMatchVault vault, string tenantId, float[] protectedProbe, int k)
    {
        if (!_galleries.TryGet(tenantId, out var gallery)) return [];
        var confirmed = new List<Match>(k);
        // A few extra candidates cover rows dropped during confirmation.
        foreach (var candidate in gallery!.Search(protectedProbe, Math.Min(k + 4, gallery.Options.MaxK)))
        {
            if (confirmed.Count == k) break;
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
