using System.Security.Cryptography;
using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Tests.Shared;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.Support;

/// <summary>One `facematch serve` replica of a <see cref="ClusterDeployment"/> and a channel to it.</summary>
public sealed class ClusterReplica : IAsyncDisposable
{
    internal ClusterReplica(int index, ServeProcess serve)
    {
        Index = index;
        Serve = serve;
        Channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{serve.Port}"), new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20, MaxSendMessageSize = 16 << 20 });
    }

    public int Index { get; }
    public ServeProcess Serve { get; }
    public GrpcChannel Channel { get; }
    public FaceMatch.Api.V1.FaceMatch.FaceMatchClient Client => new(Channel);
    public Admin.AdminClient Admin => new(Channel);

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Serve.DisposeAsync();
    }
}

/// <summary>
/// A loopback scale-out deployment of real processes: a <see cref="StoreCluster"/> (3 primaries with a replica each)
/// and <c>replicas</c> `facematch serve` processes with FACEMATCH_STORE=cluster over it, sharing one master key and
/// one admin token, each with its own data directory (which holds no records). Started together (the model loads
/// overlap), stopped and deleted on dispose.
/// </summary>
public sealed class ClusterDeployment : IAsyncDisposable
{
    private readonly List<ClusterReplica> _replicas = new();
    private IReadOnlyDictionary<string, string>? _extraEnvironment;
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private ClusterDeployment(StoreCluster store)
    {
        Store = store;
        // The replicas' shared secret for their internal shard service, beside the store's password file.
        PeerTokenFile = Path.Combine(store.Directory, "peer.token");
        File.WriteAllText(PeerTokenFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(PeerTokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>The 0600 file with the peer token every replica is started with (FACEMATCH_PEER_TOKEN_FILE).</summary>
    public string PeerTokenFile { get; }

    public StoreCluster Store { get; }

    /// <summary>The master key every replica runs with (a test may open the vault on the same store beside them).</summary>
    public string MasterKeyBase64 => _masterKey;
    public IReadOnlyList<ClusterReplica> Replicas => _replicas;
    public string AdminTokenValue { get; } = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    /// <param name="extraEnvironment">more settings for every replica (e.g. the shard count of a later part).</param>
    public static async Task<ClusterDeployment> StartAsync(int replicas = 3, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var deployment = new ClusterDeployment(await StoreCluster.StartAsync()) { _extraEnvironment = extraEnvironment };
        try
        {
            var processes = Enumerable.Range(0, replicas).Select(_ => ServeProcess.Start(deployment.Environment(extraEnvironment))).ToList();
            for (var i = 0; i < processes.Count; i++) deployment._replicas.Add(new ClusterReplica(i, processes[i]));
            await Task.WhenAll(deployment._replicas.Select(r => r.Serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(4))));
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// SIGKILLs replica <paramref name="index"/> if it still runs and starts a fresh process in its place (new ports,
    /// a new data directory, the same store, master key and admin token); returns it once it answers SERVING.
    /// </summary>
    public async Task<ClusterReplica> ReplaceAsync(int index)
    {
        var old = _replicas[index];
        if (!old.Serve.HasExited) await old.Serve.KillAsync(TimeSpan.FromSeconds(30));
        await old.DisposeAsync();
        var replica = new ClusterReplica(index, ServeProcess.Start(Environment(_extraEnvironment)));
        _replicas[index] = replica;
        await replica.Serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(4));
        return replica;
    }

    /// <summary>What every replica runs with: the store cluster, its password file, the shared master key and admin token.</summary>
    public Dictionary<string, string> Environment(IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["FACEMATCH_STORE"] = "cluster",
            ["FACEMATCH_CLUSTER_ENDPOINTS"] = Store.Endpoints,
            ["FACEMATCH_CLUSTER_PASSWORD_FILE"] = Store.PasswordFile,
            ["FACEMATCH_MASTER_KEY"] = _masterKey,
            ["FACEMATCH_ADMIN_TOKEN"] = AdminTokenValue,
            ["FACEMATCH_PEER_TOKEN_FILE"] = PeerTokenFile,
            ["FACEMATCH_GRPC_SHUTDOWN_SECONDS"] = "5",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) environment[k] = v;
        return environment;
    }

    /// <summary>A new ADVISORY tenant (replayed photos are scored, not refused) and a production token, through replica 0.</summary>
    public async Task<(string TenantId, string Token)> NewTenantAsync()
    {
        var admin = _replicas[0].Admin;
        var tenant = await admin.CreateTenantAsync(new CreateTenantRequest { Name = "cluster " + Guid.NewGuid().ToString("N")[..8] }, ServiceFixture.As(AdminTokenValue));
        await admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = LivenessMode.Advisory } }, ServiceFixture.As(AdminTokenValue));
        var token = await admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, ServiceFixture.As(AdminTokenValue));
        return (tenant.TenantId, token.Token);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas) await replica.DisposeAsync();
        await Store.DisposeAsync();
    }
}
