using System.IO.Hashing;
using System.Net;
using StackExchange.Redis;

namespace FaceMatch.Vault.Storage.Cluster;

/// <summary>
/// The vault's records on a Redis-protocol cluster (Redis Cluster or Garnet) through StackExchange.Redis: one
/// string key per record, the store key's bytes as they are (type, tenant id, HMAC), the sealed envelope as the
/// value; the cluster never sees anything else of a record.
/// <para>
/// Durability: the nodes run with an fsync-always append-only file, so a primary's reply to a write means the
/// write is on its disk; <see cref="CommitAsync"/> then sends WAIT to each primary written to since the last
/// round (group commit: one round for every caller waiting) and acknowledges only when
/// <see cref="ClusterStoreSettings.ReplicaAcks"/> replicas hold the writes (<see cref="WriteLedger"/> keeps a
/// reconnect from confirming writes sent on the lost connection).
/// </para>
/// <para>
/// Two connections per node: writes and their WAITs on one, since WAIT confirms what its own connection sent and
/// holds that connection until the replicas answer; reads, scans and everything else on the other, so they never
/// queue behind a WAIT. A read sent after a write's reply still sees the write: both go to the slot's primary.
/// </para>
/// </summary>
internal sealed class ClusterStore : IRecordStore
{
    private const int SlotCount = 16384;
    // The first write since this flow's last commit: the commit checks that none of its writes was left
    // unconfirmed by a connection failure (a flow's writes and its commit share one execution context).
    private static readonly AsyncLocal<long> FirstUnconfirmedWrite = new();

    private readonly ConnectionMultiplexer _writer;
    private readonly ConnectionMultiplexer _mux;
    private readonly IDatabase _writes;
    private readonly IDatabase _db;
    private readonly ClusterStoreSettings _settings;
    private readonly WriteLedger _ledger = new();
    private readonly GroupCommitter _committer;
    private readonly ClusterCompaction _compaction;
    private int _disposed;

    private ClusterStore(ConnectionMultiplexer writer, ConnectionMultiplexer mux, ClusterStoreSettings settings, ClusterEngine engine)
    {
        _writer = writer;
        _mux = mux;
        _settings = settings;
        _writes = writer.GetDatabase();
        _db = mux.GetDatabase();
        Engine = engine;
        _compaction = new ClusterCompaction(mux, engine, settings.CompactionTimeout);
        _writer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive) _ledger.ConnectionLost();
        };
        _committer = new GroupCommitter(_ => ConfirmRoundAsync());
    }

    /// <summary>The connection, for what else a replica keeps in the cluster (membership, change messages).</summary>
    public IConnectionMultiplexer Connection => _mux;

    public ClusterEngine Engine { get; }

    public long CommitCount => _committer.Commits;

    public bool IsShared => true;

    /// <summary>Connects and waits (up to the operation timeout) until every slot has a reachable primary.</summary>
    public static async Task<ClusterStore> OpenAsync(ClusterStoreSettings settings)
    {
        settings.Validate();
        ReserveBlockingThreads();
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            Password = settings.Password,
            Ssl = settings.UseTls,
            ConnectTimeout = (int)settings.OperationTimeout.TotalMilliseconds,
            SyncTimeout = (int)settings.OperationTimeout.TotalMilliseconds,
            AsyncTimeout = (int)settings.OperationTimeout.TotalMilliseconds,
            ClientName = "facematch",
            // Compaction (BGREWRITEAOF) and the topology checks (CLUSTER NODES, INFO) are admin commands.
            AllowAdmin = true,
            // Exception messages must never carry a key.
            IncludeDetailInExceptions = false,
            IncludePerformanceCountersInExceptions = false,
        };
        if (settings.TlsName is not null)
        {
            // Every node answers to this one name, whatever address the cluster announced for it.
            options.SslHost = settings.TlsName;
            options.CertificateValidation += PrivateCaCheck.For(settings.CaCertificateFile!);
        }
        else if (settings.CaCertificateFile is not null) options.TrustIssuer(settings.CaCertificateFile);
        var refusals = new HandshakeRefusals();
        options.ConnectionAttemptCompleted += refusals.Record;
        foreach (var (host, port) in settings.ParsedEndpoints()) options.EndPoints.Add(host, port);
        ConnectionMultiplexer? writer = null, mux = null;
        try
        {
            try
            {
                writer = await ConnectionMultiplexer.ConnectAsync(options.Clone()).ConfigureAwait(false);
                mux = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStoreFailure(ex)) { throw new VaultUnavailableException("could not connect to the store cluster", ex); }
            var deadline = DateTime.UtcNow + settings.OperationTimeout;
            while (true)
            {
                try
                {
                    PrimariesCoveringEverySlot(mux);
                    break;
                }
                catch (VaultUnavailableException) when (DateTime.UtcNow < deadline) { await Task.Delay(100).ConfigureAwait(false); }
                catch (VaultUnavailableException e) when (refusals.Last is { } reason)
                {
                    throw new VaultUnavailableException($"could not connect to the store cluster: {reason}", e);
                }
            }
            var engine = ClusterCompaction.Detect(mux.GetServers().First(s => s.IsConnected));
            return new ClusterStore(writer, mux, settings, engine);
        }
        catch
        {
            if (writer is not null) await writer.DisposeAsync().ConfigureAwait(false);
            if (mux is not null) await mux.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The vault's store calls are synchronous, and here each holds its thread for a network round trip (and a
    /// write for the primary's fsync). With the pool's minimum at the core count, a few concurrent sessions
    /// exhaust it, and the pool then adds a thread only every half second or so: measured, enrolment p99 went
    /// from 76 ms to over 500 ms (max 2 s) on 2 cores at 4 concurrent callers. So the minimum is raised, once.
    /// </summary>
    private static void ReserveBlockingThreads()
    {
        const int Reserved = 64;
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < Reserved) ThreadPool.SetMinThreads(Reserved, Math.Max(io, Reserved));
    }

    public void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        RedisKey redisKey = key.ToArray();
        RedisValue redisValue = value.ToArray();
        Write(redisKey, () => _writes.StringSet(redisKey, redisValue));
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        RedisKey redisKey = key.ToArray();
        Write(redisKey, () => _writes.KeyDelete(redisKey));
    }

    /// <summary>
    /// A script on the key's primary (one key, so one slot): compare and write happen as one step there. It goes on
    /// the write connection, so the commit's WAIT covers it like any write; a swap that wrote nothing is harmless to
    /// confirm too.
    /// </summary>
    public bool SwapIf(ReadOnlySpan<byte> key, byte[]? expected, ReadOnlySpan<byte> value)
    {
        RedisKey redisKey = key.ToArray();
        RedisValue[] arguments = [expected is null ? "0" : "1", expected ?? [], value.ToArray()];
        return Write(redisKey, () => (long)_writes.ScriptEvaluate(SwapScript, [redisKey], arguments) == 1);
    }

    private const string SwapScript = """
        local current = redis.call('GET', KEYS[1])
        if ARGV[1] == '1' then
          if current ~= ARGV[2] then return 0 end
        elseif current then
          return 0
        end
        redis.call('SET', KEYS[1], ARGV[3])
        return 1
        """;

    private T Write<T>(RedisKey key, Func<T> write)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        try
        {
            var result = write();
            var primary = _writer.GetServer(key, null, CommandFlags.DemandMaster).EndPoint;
            var sequence = _ledger.Written(primary);
            if (FirstUnconfirmedWrite.Value == 0) FirstUnconfirmedWrite.Value = sequence;
            return result;
        }
        catch (Exception ex) when (ClusterStore.IsStoreFailure(ex)) { throw Unavailable("the store cluster did not take the write", ex); }
    }

    public bool TryRead(ReadOnlySpan<byte> key, out ReadOutput value)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        value = default;
        byte[]? bytes;
        try { bytes = _db.StringGet(key.ToArray()); }
        catch (Exception ex) when (ClusterStore.IsStoreFailure(ex)) { throw Unavailable("the store cluster did not answer a read", ex); }
        if (bytes is null) return false;
        value.CopyFrom(bytes);
        Array.Clear(bytes);
        return true;
    }

    public bool Exists(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        try { return _db.KeyExists(key.ToArray()); }
        catch (Exception ex) when (ClusterStore.IsStoreFailure(ex)) { throw Unavailable("the store cluster did not answer a read", ex); }
    }

    public Task CommitAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var first = FirstUnconfirmedWrite.Value;
        FirstUnconfirmedWrite.Value = 0;
        var (accounted, written) = _ledger.Snapshot();
        // A flow that wrote nothing itself still waits for what others wrote before it asked.
        if (first == 0) first = accounted + 1;
        return ConfirmAsync(first, written);
    }

    private async Task ConfirmAsync(long first, long last)
    {
        if (last >= first && !_ledger.IsAccounted(last)) await _committer.WaitForCommitAsync().ConfigureAwait(false);
        if (!_ledger.IsIntact(first, last))
            throw new VaultUnavailableException("a store node's connection failed before its replicas confirmed the write");
    }

    private async Task ConfirmRoundAsync()
    {
        var round = _ledger.BeginRound();
        var confirmed = true;
        Exception? failure = null;
        if (_settings.ReplicaAcks > 0 && round.Primaries.Count > 0)
        {
            try
            {
                var timeoutMs = (long)_settings.ReplicaAckTimeout.TotalMilliseconds;
                var replies = await Task.WhenAll(round.Primaries.Select(p =>
                    _writer.GetServer(p).ExecuteAsync("WAIT", _settings.ReplicaAcks, timeoutMs))).ConfigureAwait(false);
                confirmed = replies.All(r => (long)r >= _settings.ReplicaAcks);
            }
            catch (Exception ex) when (ClusterStore.IsStoreFailure(ex))
            {
                confirmed = false;
                failure = ex;
            }
        }
        _ledger.EndRound(round, confirmed);
        if (!confirmed)
            throw new VaultUnavailableException($"fewer than {_settings.ReplicaAcks} replica(s) confirmed the write within {_settings.ReplicaAckTimeout.TotalMilliseconds:0} ms", failure);
    }

    /// <summary>
    /// SCAN on every primary with the prefix as a glob, values fetched in pipelined batches per page. SCAN may
    /// return a key twice (a rehash during the scan): each key is handed out once.
    /// </summary>
    public IEnumerable<StoredRecord> Scan(byte[] prefix, int chunkSize = 1024)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var pattern = GlobPrefix(prefix);
        var seen = new HashSet<UInt128>();
        foreach (var primary in PrimariesCoveringEverySlot(_mux))
        {
            using var keys = Keys(primary, pattern, chunkSize).GetEnumerator();
            while (true)
            {
                var page = new List<RedisKey>(chunkSize);
                try
                {
                    while (page.Count < chunkSize && keys.MoveNext())
                        if (seen.Add(XxHash128.HashToUInt128((byte[])keys.Current!))) page.Add(keys.Current);
                }
                catch (Exception ex) when (ClusterStore.IsStoreFailure(ex)) { throw Unavailable("a store node failed during a scan", ex); }
                if (page.Count == 0) break;
                foreach (var record in Fetch(page)) yield return record;
            }
        }
    }

    private static IEnumerable<RedisKey> Keys(IServer primary, RedisValue pattern, int pageSize) =>
        primary.Keys(database: 0, pattern: pattern, pageSize: pageSize, flags: CommandFlags.DemandMaster);

    private List<StoredRecord> Fetch(List<RedisKey> keys)
    {
        RedisValue[] values;
        try { values = Task.WhenAll(keys.Select(k => _db.StringGetAsync(k))).GetAwaiter().GetResult(); }
        catch (Exception ex) when (ClusterStore.IsStoreFailure(ex)) { throw Unavailable("the store cluster did not answer a scan's reads", ex); }
        var records = new List<StoredRecord>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
            if (!values[i].IsNull) records.Add(new StoredRecord((byte[])keys[i]!, (byte[])values[i]!));
        return records;
    }

    /// <summary>The prefix as a SCAN MATCH glob: its bytes literal (glob metacharacters escaped), then anything.</summary>
    internal static byte[] GlobPrefix(ReadOnlySpan<byte> prefix)
    {
        var pattern = new List<byte>(prefix.Length * 2 + 1);
        foreach (var b in prefix)
        {
            if (b is (byte)'*' or (byte)'?' or (byte)'[' or (byte)']' or (byte)'\\') pattern.Add((byte)'\\');
            pattern.Add(b);
        }
        pattern.Add((byte)'*');
        return pattern.ToArray();
    }

    /// <summary>
    /// The primaries that own every slot between them, each reachable; a store that cannot say so (a node down
    /// and not yet failed over) is unavailable rather than scanned in part, since a partial gallery load or
    /// tenant deletion would silently miss records.
    /// </summary>
    private static List<IServer> PrimariesCoveringEverySlot(ConnectionMultiplexer mux)
    {
        var connected = mux.GetServers().Where(s => s.IsConnected).ToList();
        if (connected.Count == 0) throw new VaultUnavailableException("no store node is reachable");
        if (connected.All(s => s.ServerType != ServerType.Cluster))
        {
            var primary = connected.FirstOrDefault(s => !s.IsReplica) ?? throw new VaultUnavailableException("no store primary is reachable");
            return [primary];
        }
        ClusterConfiguration? configuration;
        try { configuration = connected.First(s => s.ServerType == ServerType.Cluster).ClusterNodes(); }
        catch (Exception ex) when (ClusterStore.IsStoreFailure(ex)) { throw Unavailable("the store cluster did not describe its nodes", ex); }
        var primaries = new List<IServer>();
        var covered = 0;
        foreach (var node in configuration?.Nodes ?? [])
        {
            if (node.IsReplica || node.IsFail || node.IsNoAddr || node.Slots.Count == 0 || node.EndPoint is null) continue;
            var server = mux.GetServer(node.EndPoint);
            if (!server.IsConnected) continue;
            primaries.Add(server);
            covered += node.Slots.Sum(r => r.To - r.From + 1);
        }
        if (covered < SlotCount) throw new VaultUnavailableException("the store cluster has slots without a reachable primary");
        return primaries;
    }

    public Task CompactAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _compaction.RunAsync();
    }

    private static VaultUnavailableException Unavailable(string message, Exception inner) => new(message, inner);

    /// <summary>What the client throws when a node is unreachable, slow or refusing (RedisTimeoutException is no RedisException).</summary>
    internal static bool IsStoreFailure(Exception e) => e is RedisException or RedisTimeoutException;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { await _committer.DisposeAsync().ConfigureAwait(false); }
        catch (Exception) { /* a last round that failed acknowledged nothing */ }
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _mux.DisposeAsync().ConfigureAwait(false);
    }
}
