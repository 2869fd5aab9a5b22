using FaceMatch.Vault;
using StackExchange.Redis;

namespace FaceMatch.Server.Cluster;

/// <summary>The store cluster's connection the vault opened, shared for membership, versions and notices.</summary>
internal static class ClusterStoreAccess
{
    // Until the cluster vault backend is merged, tests hand a connection in; then this returns vault.ClusterConnection.
    internal static IConnectionMultiplexer? Override;

    public static IConnectionMultiplexer? ConnectionOf(FaceMatchVault vault) => Override;
}
