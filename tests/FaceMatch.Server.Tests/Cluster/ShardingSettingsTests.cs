using System.Collections;
using FaceMatch.Server.Cluster;
using FaceMatch.Server.Composition;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>The sharding settings: off with the embedded store, and a named error for each thing a cluster replica lacks.</summary>
public sealed class ShardingSettingsTests : IDisposable
{
    private const string Endpoints = "127.0.0.1:7000,127.0.0.1:7001";
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-cluster-settings").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string TokenFile(string token = "0123456789abcdef0123456789abcdef", UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, token + "\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private HostSettings Load(Hashtable environment) => ServeConfiguration.Load(environment, "/data", "/models", _dir);

    [Fact]
    public void The_embedded_store_shards_nothing()
    {
        Assert.False(Load(new Hashtable()).Sharding.Enabled);
        Assert.False(Load(new Hashtable { [ShardingSettings.StoreVariable] = "embedded" }).Sharding.Enabled);
    }

    [Fact]
    public void A_cluster_replica_gets_its_defaults_and_its_settings()
    {
        var s = Load(new Hashtable { [ShardingSettings.StoreVariable] = "cluster", ["FACEMATCH_CLUSTER_ENDPOINTS"] = Endpoints, [ShardingSettings.PeerTokenFileVariable] = TokenFile(), ["FACEMATCH_PORT"] = "50123" }).Sharding;
        Assert.True(s.Enabled);
        Assert.Equal("127.0.0.1:50123", s.ReplicaAddress);
        Assert.Equal(ShardingSettings.DefaultGalleryShards, s.GalleryShards);
        Assert.Equal(MembershipSource.Store, s.Membership);
        Assert.Equal("0123456789abcdef0123456789abcdef", s.PeerToken);

        s = Load(new Hashtable
        {
            [ShardingSettings.StoreVariable] = "cluster", ["FACEMATCH_CLUSTER_ENDPOINTS"] = Endpoints, [ShardingSettings.PeerTokenFileVariable] = TokenFile(),
            [ShardingSettings.GalleryShardsVariable] = "64", [ShardingSettings.MembershipVariable] = "kubernetes",
            [ShardingSettings.PeerServiceVariable] = "facematch-peers.prod.svc.cluster.local", [ShardingSettings.ReplicaAddressVariable] = "10.1.2.3:50051",
            [ShardingSettings.MemberTtlVariable] = "10",
        }).Sharding;
        Assert.Equal((64, MembershipSource.Kubernetes, "10.1.2.3:50051", TimeSpan.FromSeconds(10)), (s.GalleryShards, s.Membership, s.ReplicaAddress, s.MemberTtl));
    }

    [Fact]
    public void What_a_cluster_replica_lacks_is_named()
    {
        string Error(Hashtable extra)
        {
            var env = new Hashtable { [ShardingSettings.StoreVariable] = "cluster", ["FACEMATCH_CLUSTER_ENDPOINTS"] = Endpoints };
            foreach (DictionaryEntry e in extra) env[e.Key] = e.Value;
            return Assert.Throws<ArgumentException>(() => Load(env)).Message;
        }
        Assert.Contains(ShardingSettings.PeerTokenFileVariable + " is required", Error(new Hashtable()));
        Assert.Contains("readable by others", Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = TokenFile(mode: UnixFileMode.UserRead | UnixFileMode.OtherRead) }));
        Assert.Contains("at least", Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = TokenFile("short") }));
        var token = TokenFile();
        Assert.Contains(ShardingSettings.PeerServiceVariable, Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = token, [ShardingSettings.MembershipVariable] = "kubernetes" }));
        Assert.Contains("is not store or kubernetes", Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = token, [ShardingSettings.MembershipVariable] = "consul" }));
        Assert.Contains("is not host:port", Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = token, [ShardingSettings.ReplicaAddressVariable] = "10.0.0.1" }));
        Assert.Contains(ShardingSettings.PeerTlsNameVariable + " needs " + ShardingSettings.PeerCaVariable,
            Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = token, [ShardingSettings.PeerTlsNameVariable] = "facematch-peers.default.svc" }));
        Assert.Contains("is not a DNS name", Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = token, [ShardingSettings.PeerTlsNameVariable] = "a b" }));
        Assert.Contains(ShardingSettings.ReplicaAddressVariable + " is required", Error(new Hashtable
        {
            [ShardingSettings.PeerTokenFileVariable] = token, ["FACEMATCH_BIND"] = "0.0.0.0", ["FACEMATCH_ALLOW_PLAINTEXT"] = "true",
        }));
        Assert.StartsWith(ShardingSettings.GalleryShardsVariable, Error(new Hashtable { [ShardingSettings.PeerTokenFileVariable] = token, [ShardingSettings.GalleryShardsVariable] = "0" }));
    }
}
