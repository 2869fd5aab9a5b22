using StackExchange.Redis;

namespace FaceMatch.Vault.Storage.Cluster;

/// <summary>Which Redis-protocol engine the cluster runs; compaction is the one thing that differs.</summary>
public enum ClusterEngine
{
    Redis,
    Garnet,
}

/// <summary>
/// The engine's own compaction on every node, primaries and replicas alike (each keeps its own files): Redis
/// rewrites its append-only file (BGREWRITEAOF: a new base from the live data set, the old base and increments
/// deleted), so a deleted record's ciphertext is in no file once every node's rewrite has finished.
/// </summary>
internal sealed class ClusterCompaction
{
    private readonly ConnectionMultiplexer _mux;
    private readonly ClusterEngine _engine;
    private readonly TimeSpan _timeout;

    public ClusterCompaction(ConnectionMultiplexer mux, ClusterEngine engine, TimeSpan timeout)
    {
        _mux = mux;
        _engine = engine;
        _timeout = timeout;
    }

    public static ClusterEngine Detect(IServer server)
    {
        var info = server.InfoRaw("server") ?? "";
        return info.Contains("garnet_version", StringComparison.Ordinal) ? ClusterEngine.Garnet : ClusterEngine.Redis;
    }

    public async Task RunAsync()
    {
        var nodes = _mux.GetServers();
        if (nodes.Any(n => !n.IsConnected)) throw new VaultUnavailableException("a store node is unreachable; compaction needs every node");
        try
        {
            await Task.WhenAll(nodes.Select(n => _engine == ClusterEngine.Redis ? RewriteRedisAsync(n) : CompactGarnetAsync(n))).ConfigureAwait(false);
        }
        catch (RedisException ex) { throw new VaultUnavailableException("a store node failed during compaction", ex); }
    }

    private async Task RewriteRedisAsync(IServer node)
    {
        var deadline = DateTime.UtcNow + _timeout;
        // A rewrite already running started before the deletions; the one asked for now is scheduled after it.
        await node.ExecuteAsync("BGREWRITEAOF").ConfigureAwait(false);
        while (true)
        {
            var info = Fields(await node.InfoRawAsync("persistence").ConfigureAwait(false) ?? "");
            if (info.GetValueOrDefault("aof_rewrite_in_progress") == "0" && info.GetValueOrDefault("aof_rewrite_scheduled") == "0")
            {
                if (info.GetValueOrDefault("aof_last_bgrewrite_status") != "ok")
                    throw new VaultStorageException("a store node's append-only file rewrite failed");
                return;
            }
            if (DateTime.UtcNow > deadline) throw new VaultStorageException($"a store node's rewrite did not finish within {_timeout}");
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private Task CompactGarnetAsync(IServer node) =>
        throw new VaultStorageException("compaction on Garnet is not supported");

    private static Dictionary<string, string> Fields(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon > 0) fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return fields;
    }
}
