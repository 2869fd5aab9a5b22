using FaceMatch.Tests.Shared;
using FaceMatch.Vault.Storage.Cluster;

namespace FaceMatch.Vault.Tests.Support;

/// <summary>One loopback Redis Cluster (3 primaries, a replica each) shared by the cluster-backend test classes.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public StoreCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await StoreCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public ClusterStoreSettings Settings() => new()
    {
        Endpoints = Cluster.Endpoints.Split(','),
        Password = ClusterStoreSettings.ReadPasswordFile(Cluster.PasswordFile),
    };

    /// <summary>A vault on the cluster; <paramref name="directory"/> holds nothing but what the options need.</summary>
    public Task<FaceMatchVault> OpenAsync(string directory, TimeProvider? clock = null) =>
        FaceMatchVault.OpenAsync(TestVault.Options(directory, clock) with { Cluster = Settings() });
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "store cluster";
}
