using System.Collections;
using FaceMatch.Server.Composition;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>FACEMATCH_STORE and the Cluster: settings: embedded by default, a named error for every bad value.</summary>
public sealed class StoreConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-store-config").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A cluster replica also needs the peers' secret (sharded galleries); these tests are about the store's settings.
    private HostSettings Load(Hashtable environment)
    {
        if (!environment.ContainsKey(FaceMatch.Server.Cluster.ShardingSettings.PeerTokenFileVariable))
            environment[FaceMatch.Server.Cluster.ShardingSettings.PeerTokenFileVariable] = PeerTokenFile();
        return ServeConfiguration.Load(environment, "/data", "/models", _dir);
    }

    private string PeerTokenFile()
    {
        var path = Path.Combine(_dir, "peer.token");
        File.WriteAllText(path, "0123456789abcdef0123456789abcdef\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private string PasswordFile(UnixFileMode mode, string content = "s3cret\n")
    {
        var path = Path.Combine(_dir, "store.password");
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void The_embedded_store_is_the_default()
    {
        Assert.Null(Load(new Hashtable()).Cluster);
        Assert.Null(Load(new Hashtable { ["FACEMATCH_STORE"] = "embedded" }).Cluster);
    }

    [Fact]
    public void The_cluster_settings_come_from_the_environment_or_the_file()
    {
        var password = PasswordFile(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var s = Load(new Hashtable
        {
            ["FACEMATCH_STORE"] = "cluster",
            ["FACEMATCH_CLUSTER_ENDPOINTS"] = "127.0.0.1:7000, localhost:7001",
            ["FACEMATCH_CLUSTER_PASSWORD_FILE"] = password,
        }).Cluster!;
        Assert.Equal(["127.0.0.1:7000", "localhost:7001"], s.Endpoints);
        Assert.Equal("s3cret", s.Password);
        Assert.Equal(1, s.ReplicaAcks);
        Assert.False(s.UseTls);

        File.WriteAllText(Path.Combine(_dir, ServeConfiguration.DefaultFileName), """
            { "Cluster": { "Store": "cluster", "Endpoints": "10.0.0.5:6379", "Tls": true, "ReplicaAcks": 2, "ReplicaAckTimeoutMs": 500 } }
            """);
        var f = Load(new Hashtable()).Cluster!;
        Assert.Equal(["10.0.0.5:6379"], f.Endpoints);
        Assert.True(f.UseTls);
        Assert.Equal(2, f.ReplicaAcks);
        Assert.Equal(TimeSpan.FromMilliseconds(500), f.ReplicaAckTimeout);
    }

    [Theory]
    [InlineData("FACEMATCH_STORE", "redis", "FACEMATCH_STORE='redis' is not embedded or cluster")]
    [InlineData("FACEMATCH_CLUSTER_ENDPOINTS", "", "FACEMATCH_CLUSTER_ENDPOINTS is required")]
    [InlineData("FACEMATCH_CLUSTER_ENDPOINTS", "127.0.0.1", "FACEMATCH_CLUSTER_ENDPOINTS: store endpoint '127.0.0.1' is not host:port")]
    [InlineData("FACEMATCH_CLUSTER_ENDPOINTS", "10.1.2.3:6379", "not on loopback")]
    [InlineData("FACEMATCH_CLUSTER_REPLICA_ACKS", "-1", "FACEMATCH_CLUSTER_REPLICA_ACKS=-1 is out of range")]
    [InlineData("FACEMATCH_CLUSTER_PASSWORD_FILE", "/nonexistent/pw", "FACEMATCH_CLUSTER_PASSWORD_FILE: store password file /nonexistent/pw does not exist")]
    [InlineData("FACEMATCH_CLUSTER_ALLOW_PLAINTEXT", "maybe", "FACEMATCH_CLUSTER_ALLOW_PLAINTEXT='maybe' is not true or false")]
    public void A_bad_cluster_value_is_refused_with_its_variable(string variable, string value, string message)
    {
        var environment = new Hashtable { ["FACEMATCH_STORE"] = "cluster", ["FACEMATCH_CLUSTER_ENDPOINTS"] = "127.0.0.1:7000", [variable] = value };
        var e = Assert.Throws<ArgumentException>(() => Load(environment));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Cleartext_off_loopback_needs_an_explicit_opt_in_and_the_password_file_must_be_private()
    {
        var remote = new Hashtable { ["FACEMATCH_STORE"] = "cluster", ["FACEMATCH_CLUSTER_ENDPOINTS"] = "10.1.2.3:6379" };
        Assert.Contains("FACEMATCH_CLUSTER_TLS=true, or FACEMATCH_CLUSTER_ALLOW_PLAINTEXT=true", Assert.Throws<ArgumentException>(() => Load(remote)).Message);
        remote["FACEMATCH_CLUSTER_ALLOW_PLAINTEXT"] = "true";
        Assert.True(Load(remote).Cluster!.AllowPlaintext);

        var readable = PasswordFile(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var e = Assert.Throws<ArgumentException>(() => Load(new Hashtable
        {
            ["FACEMATCH_STORE"] = "cluster", ["FACEMATCH_CLUSTER_ENDPOINTS"] = "127.0.0.1:7000", ["FACEMATCH_CLUSTER_PASSWORD_FILE"] = readable,
        }));
        Assert.Contains("readable or writable by group or others", e.Message);
    }

    [Fact]
    public void A_fixed_tls_name_needs_tls_and_the_private_ca_and_must_be_a_dns_name()
    {
        var ca = Path.Combine(_dir, "store-ca.pem");
        File.WriteAllText(ca, "issuer");
        Hashtable Environment(params (string, string)[] more)
        {
            var environment = new Hashtable { ["FACEMATCH_STORE"] = "cluster", ["FACEMATCH_CLUSTER_ENDPOINTS"] = "10.1.2.3:6379" };
            foreach (var (k, v) in more) environment[k] = v;
            return environment;
        }

        var s = Load(Environment(("FACEMATCH_CLUSTER_TLS", "true"), ("FACEMATCH_CLUSTER_CA_CERT", ca), ("FACEMATCH_CLUSTER_TLS_NAME", "facematch-store.prod.svc"))).Cluster!;
        Assert.Equal("facematch-store.prod.svc", s.TlsName);
        Assert.Null(Load(Environment(("FACEMATCH_CLUSTER_TLS", "true"))).Cluster!.TlsName);

        foreach (var (environment, expected) in new[]
        {
            (Environment(("FACEMATCH_CLUSTER_TLS", "true"), ("FACEMATCH_CLUSTER_TLS_NAME", "facematch-store.prod.svc")), "needs the store's private CA certificate"),
            (Environment(("FACEMATCH_CLUSTER_ALLOW_PLAINTEXT", "true"), ("FACEMATCH_CLUSTER_CA_CERT", ca), ("FACEMATCH_CLUSTER_TLS_NAME", "facematch-store.prod.svc")), "TLS to the store is off"),
            (Environment(("FACEMATCH_CLUSTER_TLS", "true"), ("FACEMATCH_CLUSTER_CA_CERT", ca), ("FACEMATCH_CLUSTER_TLS_NAME", "10.1.2.3")), "is not a DNS name"),
        })
        {
            var e = Assert.Throws<ArgumentException>(() => Load(environment));
            Assert.StartsWith("FACEMATCH_CLUSTER_TLS_NAME: ", e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void Cluster_endpoints_without_the_cluster_store_are_a_mistake_not_ignored()
    {
        var e = Assert.Throws<ArgumentException>(() => Load(new Hashtable { ["FACEMATCH_CLUSTER_ENDPOINTS"] = "127.0.0.1:7000" }));
        Assert.Contains("FACEMATCH_STORE", e.Message);
    }
}
