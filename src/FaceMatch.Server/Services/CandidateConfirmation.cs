using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Vault;

namespace FaceMatch.Server.Services;

/// <summary>
/// The last step of every 1:N search: a gallery's candidates, best first, confirmed one by one with the vault (a row
/// whose template is gone, or expired and erased by this very read, is dropped), and, when the gallery's scores are
/// approximate (int8 rows), re-scored exactly from the float32 templates the confirmation reads anyway.
/// </summary>
public static class CandidateConfirmation
{
    /// <summary>How many candidates a gallery should hand over for <paramref name="k"/> results: a few extra cover rows
    /// dropped during confirmation; approximate scores need a wider net.</summary>
    public static int Wanted(int k, bool exact) => exact ? k + 4 : Math.Max(4 * k, 32);

    /// <param name="gone">told of each candidate whose template the vault no longer has.</param>
    public static async Task<IReadOnlyList<Match>> ConfirmAsync(FaceMatchVault vault, string tenantId, float[] protectedProbe,
        IEnumerable<Match> candidates, int k, bool exact, Action<string>? gone = null)
    {
        var confirmed = new List<Match>(Wanted(k, exact));
        foreach (var candidate in candidates)
        {
            if (exact && confirmed.Count == k) break;
            // An expired template is erased by this read, and the vault's notification removes its row.
            if (await vault.Templates.GetAsync(tenantId, candidate.Id, markUsed: false).ConfigureAwait(false) is not { } template)
            {
                gone?.Invoke(candidate.Id);
                continue;
            }
            confirmed.Add(exact ? candidate : candidate with { Score = Similarity.Cosine(protectedProbe, template.ProtectedTemplate) });
        }
        if (exact) return confirmed;
        return confirmed.OrderByDescending(m => m.Score).ThenBy(m => m.Id, StringComparer.Ordinal).Take(k).ToList();
    }
}
