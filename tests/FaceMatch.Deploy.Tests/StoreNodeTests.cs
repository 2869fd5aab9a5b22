using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceMatch.Deploy.Tests.Support;
using k8s.Models;

namespace FaceMatch.Deploy.Tests;

/// <summary>
/// The store pod's own scripts and redis.conf (the ConfigMap) run by a real redis-server 7.0, as the StatefulSet runs
/// them: only the mount paths are moved into a temporary folder and the node listens on a free loopback port. What
/// is left to Kubernetes is the mounting itself and the six-node bootstrap.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StoreNodeTests
{
    private static readonly Manifests Base = new("base");

    [Fact]
    public async Task ANodeStartsFromTheConfigMapWithItsPasswordAndFsyncEveryWrite()
    {
        using var node = StoreNode.Create("0123456789abcdef0123456789abcdef");
        await node.StartAndWaitAsync();

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
        using var node = StoreNode.Create(password);
        var (exitCode, output) = await node.RunToExitAsync();
        Assert.Equal(1, exitCode);
        Assert.Contains("store password", output);
        Assert.False(File.Exists(node.AuthFile));
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

    /// <summary>One store pod's file system laid out in a temporary folder, and its container's command.</summary>
    private sealed class StoreNode : IDisposable
    {
        private readonly DirectoryInfo _root;
        private readonly V1Container _container;
        private readonly Dictionary<string, string> _paths;   // mount path → where it is here
        private readonly string _password;
        private readonly int _port;
        private readonly System.Text.StringBuilder _log = new();
        private Process? _process;

        private StoreNode(DirectoryInfo root, V1Container container, Dictionary<string, string> paths, string password, int port) =>
            (_root, _container, _paths, _password, _port) = (root, container, paths, password, port);

        public string AuthFile => Path.Combine(_paths["/run/redis"], "auth.conf");
        public string DataDirectory => _paths["/data"];

        public static StoreNode Create(string password)
        {
            var sts = Base.Store;
            var container = sts.Spec.Template.Spec.Containers.Single(c => c.Name == "redis");
            var root = Directory.CreateTempSubdirectory("facematch-store-node-");
            var paths = container.VolumeMounts.ToDictionary(m => m.MountPath, m => Directory.CreateDirectory(Path.Combine(root.FullName, m.Name)).FullName);
            var port = FreePortPair();
            var node = new StoreNode(root, container, paths, password, port);

            var volumes = sts.Spec.Template.Spec.Volumes.ToDictionary(v => v.Name);
            // The claim template's volume (the node's data) starts empty, as a new claim does.
            foreach (var mount in container.VolumeMounts.Where(m => volumes.ContainsKey(m.Name)))
            {
                var volume = volumes[mount.Name];
                if (volume.ConfigMap is not null)
                    foreach (var (file, text) in Base.Named<V1ConfigMap>(volume.ConfigMap.Name).Data)
                        File.WriteAllText(Path.Combine(paths[mount.MountPath], file), node.Relocate(file == "redis.conf" ? node.OnLoopback(text) : text));
                if (volume.Secret is not null)
                    foreach (var item in volume.Secret.Items)
                        File.WriteAllText(Path.Combine(paths[mount.MountPath], item.Path), password);
            }
            return node;
        }

        /// <summary>The container's command, as the kubelet starts it (POD_IP from the downward API: loopback here).</summary>
        private Process Launch()
        {
            var start = new ProcessStartInfo(_container.Command[0], _container.Command.Skip(1).Select(Relocate))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["POD_IP"] = "127.0.0.1" },
            };
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        /// <summary>Starts the node and returns once it listens (it is stopped by <see cref="Dispose"/>).</summary>
        public async Task StartAndWaitAsync()
        {
            _process = Launch();
            for (var i = 0; i < 100; i++)
            {
                if (_process.HasExited) Assert.Fail($"the node exited {_process.ExitCode}: {Log}");
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, _port);
                    return;
                }
                catch (SocketException) { await Task.Delay(100); }
            }
            Assert.Fail($"the node never listened: {Log}");
        }

        /// <summary>Runs the container's command, expecting it to stop by itself.</summary>
        public async Task<(int ExitCode, string Output)> RunToExitAsync()
        {
            _process = Launch();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            return (_process.ExitCode, Log);
        }

        private string Log { get { lock (_log) return _log.ToString(); } }

        public async Task<string> CliAsync(bool authenticated, params string[] command)
        {
            var start = new ProcessStartInfo("redis-cli", ["-h", "127.0.0.1", "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. command])
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
            var command = _container.ReadinessProbe.Exec.Command;
            var port = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var probe = Process.Start(new ProcessStartInfo(command[0], command.Skip(1).Select(a => Relocate(a).Replace("redis-cli ", $"redis-cli -p {port} ", StringComparison.Ordinal))))!;
            await probe.WaitForExitAsync();
            return probe.ExitCode;
        }

        /// <summary>The pod's absolute mount paths, moved into this node's folder (longest first: /run/redis before /run).</summary>
        private string Relocate(string text) =>
            _paths.OrderByDescending(p => p.Key.Length).Aggregate(text, (t, p) => t.Replace(p.Key, p.Value, StringComparison.Ordinal));

        /// <summary>The node on this machine's loopback and a free port instead of every interface's 6379.</summary>
        private string OnLoopback(string conf) =>
            string.Join('\n', conf.Split('\n').Select(line =>
                line.StartsWith("port ", StringComparison.Ordinal) ? $"port {_port}"
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

        public void Dispose()
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            _process?.Dispose();
            _root.Delete(recursive: true);
        }
    }
}
