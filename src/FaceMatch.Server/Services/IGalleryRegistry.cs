using FaceMatch.Matching.Galleries;
using FaceMatch.Vault;

namespace FaceMatch.Server.Services;

/// <summary>
/// The server's 1:N galleries as the sessions and Admin see them: one process holding every tenant's gallery
/// (<see cref="TenantGalleryRegistry"/>, the embedded store), or shards spread over the replicas of a cluster
/// (<see cref="Cluster.ShardedGalleries"/>), whose search gathers from every shard's owner.
/// </summary>
public interface IGalleryRegistry
{
    int Dimension { get; }

    /// <summary>The tenant's best <paramref name="k"/> templates for an embedding, each confirmed with the vault.</summary>
    Task<IReadOnlyList<Match>> SearchAsync(FaceMatchVault vault, string tenantId, float[] embedding, int k);

    /// <summary>
    /// Called after the vault stored a template through this process and before the caller is told so: returns once
    /// the change is on its way to every gallery that must hold it (at once for one process).
    /// </summary>
    Task StoredAsync(string tenantId, string templateId);

    /// <summary>After a policy change: rebuilds the tenant's gallery in the storage the policy now asks for.</summary>
    void ApplyPolicy(string tenantId);

    /// <summary>Every pair of the tenant's templates scoring at least <paramref name="threshold"/> (see <see cref="TenantGalleryRegistry.FindDuplicatesAsync"/>).</summary>
    IAsyncEnumerable<DuplicateSweepBatch> FindDuplicatesAsync(FaceMatchVault vault, string tenantId, float threshold, CancellationToken cancellationToken = default);

    /// <summary>Memory held by each tenant's gallery in this process (for the per-tenant metric).</summary>
    IEnumerable<(string TenantId, GalleryMemoryUsage Usage, bool Compact)> MemoryByTenant();
}
