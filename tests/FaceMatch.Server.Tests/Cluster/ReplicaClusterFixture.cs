using FaceMatch.Api.V1;
using FaceMatch.Server.Cluster;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using FaceMatch.Tests.Shared;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>The classes that start a store cluster and several `facematch serve` replicas run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaClusterCollection
{
    public const string Name = "store cluster and FaceMatch replicas";
}

/// <summary>
/// A loopback scale-out deployment (<see cref="ClusterDeployment"/>: a store cluster of 3 primaries with a replica
/// each, 3 `facematch serve` replicas on it, one master key, one admin token, one peer token) with sharded galleries of
/// 8 shards a tenant and a heartbeat TTL of 3 s; plus, for comparison, one `facematch serve` on the embedded store
/// (today's single process). Ready once every replica sees all three in its membership.
/// </summary>
public class ReplicaClusterFixture : IAsyncLifetime
{
    public const int Shards = 8;
    public const int MemberTtlSeconds = 3;
    private readonly List<GrpcChannel> _channels = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<object>>> _shared = new();

    public ClusterDeployment Deployment { get; private set; } = null!;
    public string AdminTokenValue => Deployment.AdminTokenValue;
    public IReadOnlyList<ServeProcess> Replicas => [.. Deployment.Replicas.Select(r => r.Serve)];
    public ServeProcess Single { get; private set; } = null!;
    public string PeerTokenFile => Deployment.PeerTokenFile;

    /// <summary>Whether the single embedded-store process is started too (only comparisons need it).</summary>
    protected virtual bool WithSingleProcess => true;

    public async Task InitializeAsync()
    {
        Deployment = await ClusterDeployment.StartAsync(3, new Dictionary<string, string>
        {
            [ShardingSettings.GalleryShardsVariable] = Shards.ToString(),
            [ShardingSettings.MemberTtlVariable] = MemberTtlSeconds.ToString(),
        });
        if (WithSingleProcess)
        {
            Single = ServeProcess.Start(new Dictionary<string, string> { ["FACEMATCH_ADMIN_TOKEN"] = AdminTokenValue });
            await Single.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(4));
        }
        await WaitForMembersAsync(Replicas, 3, TimeSpan.FromMinutes(1));
    }

    /// <summary>Waits until each replica has logged a membership view of <paramref name="members"/> replicas.</summary>
    public static async Task WaitForMembersAsync(IEnumerable<ServeProcess> replicas, int members, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        foreach (var replica in replicas)
        {
            while (!replica.Lines.Any(l => l.Contains($"{members} live replicas") || l.Contains($"{members} replicas live")))
            {
                if (DateTime.UtcNow > until) throw new TimeoutException($"replica on {replica.Port} never saw {members} members:\n{string.Join("\n", replica.Lines.TakeLast(20))}");
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// What several tests of a class build once and then only read (say the same templates enrolled in the cluster and
    /// in the single process): the first caller creates it, the others wait for it.
    /// </summary>
    public async Task<T> SharedAsync<T>(string name, Func<Task<T>> create) where T : class =>
        (T)await _shared.GetOrAdd(name, _ => new Lazy<Task<object>>(async () => await create())).Value;

    public GrpcChannel Channel(ServeProcess serve)
    {
        var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{serve.Port}"), new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20, MaxSendMessageSize = 16 << 20 });
        lock (_channels) _channels.Add(channel);
        return channel;
    }

    /// <summary>A tenant with ADVISORY liveness and a low match threshold (Identify lists every candidate of positive score), and its token.</summary>
    public async Task<(string TenantId, string Token)> NewTenantAsync(ServeProcess through)
    {
        var admin = new Admin.AdminClient(Channel(through));
        var tenant = await admin.CreateTenantAsync(new CreateTenantRequest { Name = "shards " + Guid.NewGuid().ToString("N")[..8] }, ServiceFixture.As(AdminTokenValue));
        await admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = LivenessMode.Advisory, MatchThreshold = 0.01f } },
            ServiceFixture.As(AdminTokenValue));
        var token = await admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, ServiceFixture.As(AdminTokenValue));
        return (tenant.TenantId, token.Token);
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _channels) channel.Dispose();
        if (Deployment is not null) await Deployment.DisposeAsync();
        if (Single is not null) await Single.DisposeAsync();
    }
}
