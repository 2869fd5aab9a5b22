using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace FaceMatch.Tests.Shared;

/// <summary>One redis-server process of a <see cref="StoreCluster"/>.</summary>
public sealed class StoreNode
{
    internal StoreNode(int index, int port, int busPort, string directory)
    {
        Index = index;
        Port = port;
        BusPort = busPort;
        Directory = directory;
    }

    public int Index { get; }
    public int Port { get; }
    public int BusPort { get; }
    /// <summary>The node's own directory: its config, append-only files and cluster state, nothing else.</summary>
    public string Directory { get; }
    public string Endpoint => $"127.0.0.1:{Port}";
    internal Process? Process { get; set; }
    public bool Running => Process is { HasExited: false };
}

/// <summary>
/// A real Redis Cluster on loopback for tests (Debian's redis-server, installed by
/// scripts/install-system-packages.sh): <c>primaries</c> primaries with <c>replicasPerPrimary</c> replicas each, on
/// free ports, in a temp directory, with a password file, every node with an fsync-always append-only file and no
/// RDB snapshots. Disposing stops every node and deletes the directory. Nodes can be SIGKILLed and restarted
/// (a restarted node rejoins with its files, as a replica when its slots failed over meanwhile).
/// </summary>
public sealed class StoreCluster : IAsyncDisposable
{
    private readonly List<StoreNode> _nodes = new();

    private StoreCluster(string directory, string password)
    {
        Directory = directory;
        Password = password;
        PasswordFile = Path.Combine(directory, "store.password");
        File.WriteAllText(PasswordFile, password + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public string Directory { get; }
    public string Password { get; }
    /// <summary>The password, in a 0600 file (what FACEMATCH_CLUSTER_PASSWORD_FILE names).</summary>
    public string PasswordFile { get; }
    public IReadOnlyList<StoreNode> Nodes => _nodes;
    /// <summary>Every node, <c>host:port,...</c> (what FACEMATCH_CLUSTER_ENDPOINTS takes).</summary>
    public string Endpoints => string.Join(",", _nodes.Select(n => n.Endpoint));

    /// <summary>Milliseconds without contact before a primary counts as failed and its replica takes over.</summary>
    public const int NodeTimeoutMs = 1000;

    public static bool IsAvailable => FindOnPath("redis-server") is not null && FindOnPath("redis-cli") is not null;

    public static async Task<StoreCluster> StartAsync(int primaries = 3, int replicasPerPrimary = 1, string? directory = null)
    {
        if (!IsAvailable) throw new InvalidOperationException("redis-server and redis-cli are not installed (scripts/install-system-packages.sh installs them)");
        directory ??= Path.Combine(Path.GetTempPath(), "facematch-store-cluster", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var cluster = new StoreCluster(directory, Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));
        try
        {
            var count = primaries * (1 + replicasPerPrimary);
            var ports = LoopbackPorts.Take(count * 2);
            for (var i = 0; i < count; i++)
            {
                var node = new StoreNode(i, ports[2 * i], ports[2 * i + 1], Path.Combine(directory, $"node{i}"));
                System.IO.Directory.CreateDirectory(node.Directory);
                cluster.WriteConfig(node);
                cluster._nodes.Add(node);
            }
            foreach (var node in cluster._nodes) cluster.Launch(node);
            foreach (var node in cluster._nodes) await cluster.WaitForPingAsync(node, TimeSpan.FromSeconds(20));
            var create = new List<string> { "--cluster", "create" };
            create.AddRange(cluster._nodes.Select(n => n.Endpoint));
            create.AddRange(["--cluster-replicas", replicasPerPrimary.ToString(), "--cluster-yes"]);
            await cluster.CliAsync(null, create, TimeSpan.FromSeconds(60));
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private void WriteConfig(StoreNode node)
    {
        // scripts/store-node.conf, the template `make cluster` fills in too: one node config for both.
        var template = File.ReadAllText(Path.Combine(global::FaceMatch.Tests.TestPaths.RepoRoot, "scripts", "store-node.conf"));
        var config = template
            .Replace("@PORT@", node.Port.ToString(), StringComparison.Ordinal)
            .Replace("@BUS_PORT@", node.BusPort.ToString(), StringComparison.Ordinal)
            .Replace("@DIR@", node.Directory, StringComparison.Ordinal)
            .Replace("@NODE_TIMEOUT_MS@", NodeTimeoutMs.ToString(), StringComparison.Ordinal)
            .Replace("@PASSWORD@", Password, StringComparison.Ordinal);
        var path = Path.Combine(node.Directory, "redis.conf");
        File.WriteAllText(path, config);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private void Launch(StoreNode node)
    {
        var start = new ProcessStartInfo("redis-server", Path.Combine(node.Directory, "redis.conf"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        node.Process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        node.Process.OutputDataReceived += (_, _) => { };
        node.Process.ErrorDataReceived += (_, _) => { };
        node.Process.BeginOutputReadLine();
        node.Process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no shutdown, nothing flushed that was not already.</summary>
    public void Kill(StoreNode node)
    {
        if (node.Process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>Starts a stopped node again on its port with its files.</summary>
    public async Task RestartAsync(StoreNode node)
    {
        if (node.Running) throw new InvalidOperationException($"node {node.Index} is running");
        Launch(node);
        await WaitForPingAsync(node, TimeSpan.FromSeconds(20));
    }

    /// <summary>The nodes that are primaries now, by their own account.</summary>
    public async Task<IReadOnlyList<StoreNode>> PrimariesAsync()
    {
        var primaries = new List<StoreNode>();
        foreach (var node in _nodes.Where(n => n.Running))
            if ((await CliAsync(node, ["role"], TimeSpan.FromSeconds(10))).StartsWith("master", StringComparison.Ordinal)) primaries.Add(node);
        return primaries;
    }

    /// <summary>Waits until every running node reports the cluster state ok and agrees every slot is served.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var healthy = true;
            foreach (var node in _nodes.Where(n => n.Running))
            {
                string info;
                try { info = await CliAsync(node, ["cluster", "info"], TimeSpan.FromSeconds(10)); }
                catch (InvalidOperationException) { healthy = false; break; }
                if (!info.Contains("cluster_state:ok") || !info.Contains("cluster_slots_ok:16384")) { healthy = false; break; }
            }
            if (healthy) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the store cluster did not become healthy");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until every primary has at least <paramref name="replicas"/> connected replicas.</summary>
    public async Task WaitReplicatedAsync(int replicas, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var ok = true;
            foreach (var primary in await PrimariesAsync())
            {
                var info = await CliAsync(primary, ["info", "replication"], TimeSpan.FromSeconds(10));
                var line = info.Split('\n').FirstOrDefault(l => l.StartsWith("connected_slaves:", StringComparison.Ordinal));
                if (line is null || int.Parse(line["connected_slaves:".Length..].Trim()) < replicas) { ok = false; break; }
            }
            if (ok) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not every primary has {replicas} replica(s)");
            await Task.Delay(100);
        }
    }

    /// <summary>Runs redis-cli against a node (or, for --cluster commands, none) with the password; returns stdout.</summary>
    public async Task<string> CliAsync(StoreNode? node, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The password travels in the environment, not the argument list other processes can read.
        start.Environment["REDISCLI_AUTH"] = Password;
        if (node is not null)
        {
            start.ArgumentList.Add("-p");
            start.ArgumentList.Add(node.Port.ToString());
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} timed out");
        }
        var output = await stdout;
        if (process.ExitCode != 0) throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} failed: {await stderr}");
        if (output.StartsWith("Could not connect", StringComparison.Ordinal) || output.StartsWith("ERR", StringComparison.Ordinal))
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)}: {output.Trim()}");
        return output;
    }

    private async Task WaitForPingAsync(StoreNode node, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if ((await CliAsync(node, ["ping"], TimeSpan.FromSeconds(5))).Trim() == "PONG") return;
            }
            catch (InvalidOperationException) { }
            if (node.Process is { HasExited: true })
                throw new InvalidOperationException($"redis-server on port {node.Port} exited: {Tail(Path.Combine(node.Directory, "redis.log"))}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server on port {node.Port} did not answer");
            await Task.Delay(50);
        }
    }

    /// <summary>Files under every node's directory that contain <paramref name="needle"/>.</summary>
    public List<string> FilesContaining(ReadOnlySpan<byte> needle)
    {
        var hits = new List<string>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories))
        {
            var content = ReadUnlocked(file);
            if (content is not null && content.AsSpan().IndexOf(needle) >= 0) hits.Add(file);
        }
        return hits;
    }

    /// <summary>
    /// The file's bytes, or null when it is gone. Read through libc: .NET takes an advisory lock on every file it
    /// opens and fails on one a running node holds locked (nodes.conf), which a plain read does not need.
    /// </summary>
    private static byte[]? ReadUnlocked(string path)
    {
        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0) return null;
        try
        {
            using var content = new MemoryStream();
            var buffer = new byte[1 << 16];
            while (true)
            {
                var n = (int)Read(fd, buffer, buffer.Length);
                if (n <= 0) break;
                content.Write(buffer, 0, n);
            }
            return content.ToArray();
        }
        finally { Close(fd); }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte[] buffer, nint count);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    private static string Tail(string path)
    {
        try { return string.Join(" | ", File.ReadAllLines(path).TakeLast(5)); }
        catch (IOException) { return "(no log)"; }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node.Process is not { } process) continue;
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
    }
}
