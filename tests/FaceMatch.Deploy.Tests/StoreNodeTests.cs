using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FaceMatch.Deploy.Tests.Support;
using k8s.Models;

namespace FaceMatch.Deploy.Tests;

/// <summary>
/// The store's scripts and redis.conf (the ConfigMap) run by a real redis-server 7.0, the way the StatefulSet and the
/// bootstrap Job run them (<see cref="PodSandbox"/>): only the mount paths move into a temporary folder and each node
/// listens on a free loopback port instead of every interface's 6379. Left to Kubernetes: the mounts themselves and
/// DNS names.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StoreNodeTests
{
    private const string Password = "0123456789abcdef0123456789abcdef";
    private static readonly Manifests Base = new("base");

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
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
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

    private static PodSandbox Bootstrap() => new(Base, Base.Named<V1Job>("facematch-store-bootstrap").Spec.Template.Spec, BootstrapContainer(), (_, _) => Password);

    /// <summary>One store pod: its container in a sandbox, redis.conf on loopback and a free port.</summary>
    private sealed class StoreNode : IDisposable
    {
        public StoreNode(string password)
        {
            Port = FreePortPair();
            var pod = Base.Store.Spec.Template.Spec;
            Pod = new PodSandbox(Base, pod, pod.Containers.Single(c => c.Name == "redis"), (_, _) => password, (file, text) => file == "redis.conf" ? OnLoopback(text) : text);
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

        public async Task<string> CliAsync(bool authenticated, params string[] command)
        {
            var start = new ProcessStartInfo("redis-cli", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. command])
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

        /// <summary>The node on loopback and its own port instead of every interface's 6379.</summary>
        private string OnLoopback(string conf) =>
            string.Join('\n', conf.Split('\n').Select(line =>
                line.StartsWith("port ", StringComparison.Ordinal) ? $"port {Port}"
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
