using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FaceMatch.Deploy.Tests.Support;
using FaceMatch.Server.Composition;
using FaceMatch.Vault;
using k8s.Models;

namespace FaceMatch.Deploy.Tests;

/// <summary>
/// The store's scripts and redis.conf (the ConfigMap) run by a real redis-server 7.0, the way the StatefulSet and the
/// bootstrap Job run them (<see cref="PodSandbox"/>): only the mount paths move into a temporary folder and each node
/// listens on a free loopback port instead of every interface's 6379. TLS everywhere, with one certificate for every
/// node that names only the store's fixed name (<see cref="TestPki"/>, as the facematch-store-tls Secret would hold);
/// FaceMatch's own store settings from the manifest then open a vault on the cluster the bootstrap Job formed. Left to
/// Kubernetes: the mounts themselves and DNS names.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StoreNodeTests
{
    private const string Password = "0123456789abcdef0123456789abcdef";
    private static readonly Manifests Base = new("base");
    private static readonly TestPki Pki = new(Base.ServerEnvironment()[StoreConfiguration.TlsNameVariable]);

    /// <summary>A Secret's item: the store's TLS Secret from <see cref="Pki"/>, the password for the rest.</summary>
    private static string SecretValue(string password, string secret, string key) => secret == "facematch-store-tls" ? Pki.Item(key) : password;

    [Fact]
    public async Task ANodeStartsFromTheConfigMapWithItsPasswordAndFsyncEveryWrite()
    {
        using var node = new StoreNode(Password);
        await node.StartAsync();

        Assert.Contains("NOAUTH", await node.CliAsync(authenticated: false, "ping"));
        Assert.Equal("PONG", await node.CliAsync(authenticated: true, "ping"));
        Assert.Equal("appendfsync\nalways", await node.CliAsync(authenticated: true, "config", "get", "appendfsync"));
        Assert.Equal("appendonly\nyes", await node.CliAsync(authenticated: true, "config", "get", "appendonly"));
        Assert.Equal("maxmemory-policy\nnoeviction", await node.CliAsync(authenticated: true, "config", "get", "maxmemory-policy"));
        Assert.Contains("cluster_enabled:1", await node.CliAsync(authenticated: true, "info", "cluster"));
        // TLS only: the cluster bus and replication too; nothing listens in cleartext.
        Assert.Equal("port\n0", await node.CliAsync(authenticated: true, "config", "get", "port"));
        Assert.Equal("tls-cluster\nyes", await node.CliAsync(authenticated: true, "config", "get", "tls-cluster"));
        Assert.Equal("tls-replication\nyes", await node.CliAsync(authenticated: true, "config", "get", "tls-replication"));
        Assert.NotEqual("PONG", await node.CliAsync(authenticated: true, tls: false, "ping"));
        // The password's file is the node's alone.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(node.AuthFile));
        // The append-only file and the cluster's node table are on the node's volume.
        Assert.True(Directory.Exists(Path.Combine(node.DataDirectory, "appendonlydir")), "no append-only file on the data volume");
        Assert.True(File.Exists(Path.Combine(node.DataDirectory, "nodes.conf")), "no nodes.conf on the data volume");
        // The readiness probe's own command answers for a running node.
        Assert.Equal(0, await node.RunProbeAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("has\"quote")]
    [InlineData("two words")]
    public async Task ANodeRefusesAPasswordRedisConfWouldMisread(string password)
    {
        using var node = new StoreNode(password);
        node.Pod.Start(node.Environment);
        Assert.Equal(1, await node.Pod.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("store password", node.Pod.Log);
        Assert.False(File.Exists(node.AuthFile));
    }

    [Fact]
    public async Task TheBootstrapJobFormsThreePrimariesWithAReplicaEachAndCanRunAgain()
    {
        var nodes = new List<StoreNode>();
        try
        {
            for (var i = 0; i < Base.Store.Spec.Replicas; i++) nodes.Add(new StoreNode(Password));
            await Task.WhenAll(nodes.Select(n => n.StartAsync()));
            var seeds = string.Join(' ', nodes.Select(n => $"127.0.0.1:{n.Port}"));

            for (var run = 1; run <= 2; run++)
            {
                using var job = Bootstrap();
                job.Start(new Dictionary<string, string> { ["STORE_NODES"] = seeds });
                Assert.True(await job.WaitForExitAsync(TimeSpan.FromMinutes(2)) == 0, $"bootstrap run {run} failed: {job.Log}");
                Assert.Contains("store cluster ok", job.Log);

                // The job ends once every primary has its replica; node 0 may learn of the last node by gossip a
                // moment later, so its view is read until it has them all (or a generous deadline passes).
                string info = "";
                List<string> roles = [];
                for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(250))
                {
                    info = await nodes[0].CliAsync(authenticated: true, "cluster", "info");
                    roles = (await nodes[0].CliAsync(authenticated: true, "cluster", "nodes")).Split('\n').Select(l => l.Split(' ')[2]).ToList();
                    if ((info.Contains($"cluster_known_nodes:{nodes.Count}") && roles.Count(r => r.Contains("slave", StringComparison.Ordinal)) == 3)
                        || DateTime.UtcNow > deadline) break;
                }
                Assert.Contains("cluster_state:ok", info);
                Assert.Contains("cluster_size:3", info);
                Assert.Contains($"cluster_known_nodes:{nodes.Count}", info);
                Assert.Equal(3, roles.Count(r => r.Contains("master", StringComparison.Ordinal)));
                Assert.Equal(3, roles.Count(r => r.Contains("slave", StringComparison.Ordinal)));
            }

            await FaceMatchUsesTheStoreAsync(seeds.Replace(' ', ','));
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }

    /// <summary>
    /// FaceMatch's store settings as the Deployment sets them (TLS, the store's CA, the fixed TLS name; only the seeds
    /// and file paths are this machine's) open a vault on the cluster: the client follows the nodes' announced
    /// addresses (127.0.0.1 here, pod IPs there), which their certificate does not name, and writes and reads a record.
    /// </summary>
    private static async Task FaceMatchUsesTheStoreAsync(string seeds)
    {
        var files = Directory.CreateTempSubdirectory("facematch-store-client-");
        try
        {
            var password = Path.Combine(files.FullName, "store.password");
            File.WriteAllText(password, Password);
            File.SetUnixFileMode(password, UnixFileMode.UserRead);
            var ca = Path.Combine(files.FullName, "store-ca.crt");
            File.WriteAllText(ca, Pki.CaCertificate);
            var environment = Base.ServerEnvironment();
            environment[StoreConfiguration.EndpointsVariable] = seeds;
            environment[StoreConfiguration.PasswordFileVariable] = password;
            environment[StoreConfiguration.CaCertVariable] = ca;
            var settings = StoreConfiguration.FromVariables(Manifests.AsVariables(environment))!;
            Assert.True(settings is { UseTls: true, AllowPlaintext: false } && settings.TlsName == Pki.Name, "the Deployment does not reach the store over TLS by its fixed name");

            await using var vault = await FaceMatchVault.OpenAsync(new VaultOptions
            {
                DataDirectory = Path.Combine(files.FullName, "data"),
                MasterKeyBase64 = Convert.ToBase64String(new byte[32]),
                UseEnvironmentMasterKey = false,
                Cluster = settings,
            });
            var tenant = (await vault.Tenants.CreateAsync("over the store's tls")).TenantId;
            var embedding = Enumerable.Range(0, 128).Select(i => MathF.Sin(i)).ToArray();
            var id = await vault.Templates.AddAsync(tenant, embedding, "m");
            Assert.NotNull(await vault.Templates.GetAsync(tenant, id, markUsed: false));
        }
        finally { files.Delete(recursive: true); }
    }

    [Fact]
    public void TheBootstrapJobNamesEveryStorePod()
    {
        var nodes = BootstrapContainer().Env.Single(e => e.Name == "STORE_NODES").Value.Split(' ');
        var port = Base.Store.Spec.Template.Spec.Containers.SelectMany(c => c.Ports).Single(p => p.Name == "redis").ContainerPort;
        Assert.Equal(Enumerable.Range(0, Base.Store.Spec.Replicas ?? 1).Select(i => $"{Base.Store.Metadata.Name}-{i}.{Base.Store.Spec.ServiceName}:{port}"), nodes);
    }

    [Fact]
    public async Task EveryShellScriptParses()
    {
        var scripts = Base.Named<V1ConfigMap>("facematch-store-config").Data.Where(d => d.Key.EndsWith(".sh", StringComparison.Ordinal)).Select(d => (d.Key, d.Value)).ToList();
        Assert.Equal(2, scripts.Count);
        foreach (var (owner, _, container) in Base.Containers)
        {
            var command = container.Command ?? [];
            if (command.Count >= 3 && command[0] is "/bin/sh" or "sh" && command[1] == "-c") scripts.Add((owner, command[2]));
            var probe = container.ReadinessProbe?.Exec?.Command;
            if (probe is { Count: 3 }) scripts.Add(($"{owner} readiness probe", probe[2]));
        }
        foreach (var (name, text) in scripts)
        {
            using var sh = Process.Start(new ProcessStartInfo("sh", ["-n"]) { RedirectStandardInput = true, RedirectStandardError = true })!;
            await sh.StandardInput.WriteAsync(text);
            sh.StandardInput.Close();
            var error = await sh.StandardError.ReadToEndAsync();
            await sh.WaitForExitAsync();
            Assert.True(sh.ExitCode == 0, $"{name} does not parse: {error}");
        }
    }

    private static V1Container BootstrapContainer() => Base.Named<V1Job>("facematch-store-bootstrap").Spec.Template.Spec.Containers.Single();

    private static PodSandbox Bootstrap() => new(Base, Base.Named<V1Job>("facematch-store-bootstrap").Spec.Template.Spec, BootstrapContainer(), (secret, key) => SecretValue(Password, secret, key));

    /// <summary>One store pod: its container in a sandbox, redis.conf on loopback and a free port.</summary>
    private sealed class StoreNode : IDisposable
    {
        public StoreNode(string password)
        {
            Port = FreePortPair();
            var pod = Base.Store.Spec.Template.Spec;
            Pod = new PodSandbox(Base, pod, pod.Containers.Single(c => c.Name == "redis"), (secret, key) => SecretValue(password, secret, key),
                (file, text) => file == "redis.conf" ? OnLoopback(text) : text);
            _password = password;
        }

        private readonly string _password;
        public PodSandbox Pod { get; }
        public int Port { get; }
        public string AuthFile => Path.Combine(Pod.PathOf("/run/redis"), "auth.conf");
        public string DataDirectory => Pod.PathOf("/data");

        /// <summary>What the downward API gives the container (its pod IP: loopback here).</summary>
        public Dictionary<string, string> Environment => new() { ["POD_IP"] = "127.0.0.1" };

        /// <summary>Starts the node and returns once it listens.</summary>
        public async Task StartAsync()
        {
            Pod.Start(Environment);
            for (var i = 0; i < 150; i++)
            {
                if (Pod.HasExited) Assert.Fail($"the node exited {Pod.ExitCode}: {Pod.Log}");
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, Port);
                    return;
                }
                catch (SocketException) { await Task.Delay(100); }
            }
            Assert.Fail($"the node never listened: {Pod.Log}");
        }

        public Task<string> CliAsync(bool authenticated, params string[] command) => CliAsync(authenticated, tls: true, command);

        /// <summary>redis-cli against the node, over TLS (the node's chain checked against the store's CA) unless told not to.</summary>
        public async Task<string> CliAsync(bool authenticated, bool tls, params string[] command)
        {
            string[] transport = tls ? ["--tls", "--cacert", Path.Combine(Pod.PathOf("/secrets/store-tls"), "ca.crt")] : [];
            var start = new ProcessStartInfo("redis-cli", [.. transport, "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. command])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (authenticated) start.Environment["REDISCLI_AUTH"] = _password;
            using var cli = Process.Start(start)!;
            var output = await cli.StandardOutput.ReadToEndAsync() + await cli.StandardError.ReadToEndAsync();
            await cli.WaitForExitAsync();
            return output.Trim();
        }

        /// <summary>The readiness probe's exec command, pointed at this node's port.</summary>
        public async Task<int> RunProbeAsync()
        {
            var command = Pod.Container.ReadinessProbe.Exec.Command;
            var port = Port.ToString(CultureInfo.InvariantCulture);
            using var probe = Process.Start(new ProcessStartInfo(command[0],
                command.Skip(1).Select(a => Pod.Relocate(a).Replace("redis-cli ", $"redis-cli -p {port} ", StringComparison.Ordinal))))!;
            await probe.WaitForExitAsync();
            return probe.ExitCode;
        }

        /// <summary>The node on loopback and its own TLS port instead of every interface's 6379.</summary>
        private string OnLoopback(string conf) =>
            string.Join('\n', conf.Split('\n').Select(line =>
                line.StartsWith("tls-port ", StringComparison.Ordinal) ? $"tls-port {Port}"
                : line.StartsWith("bind ", StringComparison.Ordinal) ? "bind 127.0.0.1 -::1"
                : line));

        /// <summary>A free port whose cluster bus port (+10000) is free too.</summary>
        private static int FreePortPair()
        {
            for (var attempt = 0; ; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (port + 10000 > 65535) continue;
                try
                {
                    using var bus = new TcpListener(IPAddress.Loopback, port + 10000);
                    bus.Start();
                    return port;
                }
                catch (SocketException) when (attempt < 50) { }
            }
        }

        public void Dispose() => Pod.Dispose();
    }
}
