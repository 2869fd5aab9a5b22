using System.Runtime.CompilerServices;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Vault;
using FaceMatch.Vault.Templates;

namespace FaceMatch.Server.Services;

/// <summary>
/// A duplicate sweep of one gallery, its pairs confirmed with the vault: the same step whichever process holds the
/// gallery (one process's own, or the copy a sharded replica builds for the sweep).
/// </summary>
public static class DuplicateConfirmation
{
    /// <summary>
    /// Every pair of <paramref name="gallery"/>'s rows scoring at least <paramref name="threshold"/>, in batches as the
    /// sweep goes (<see cref="Gallery.FindDuplicates"/>; each batch computed on the thread pool when the caller asks
    /// for it, so a slow reader slows the sweep instead of piling pairs up). Each pair is confirmed with the vault
    /// like a search candidate (both templates still there, an expired one erased by the read); when the gallery
    /// holds compressed vectors only, its candidates are re-scored from the vault's float32 templates.
    /// </summary>
    public static async IAsyncEnumerable<DuplicateSweepBatch> SweepAsync(FaceMatchVault vault, string tenantId, Gallery gallery, float threshold,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var sweep = gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = threshold }, cancellationToken).GetEnumerator();
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
}
