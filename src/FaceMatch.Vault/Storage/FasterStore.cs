using FASTER.core;

namespace FaceMatch.Vault.Storage;

/// <summary>
/// The vault's one FASTER key-value store: byte-string keys and values, a file-backed hybrid log and its
/// checkpoints under one directory. Knows nothing of what the bytes mean. Writes become durable through
/// <see cref="CommitAsync"/> (group commit on fold-over checkpoints); <see cref="CompactAsync"/> drops every
/// byte of deleted records from the log files.
/// </summary>
internal sealed class FasterStore : IRecordStore
{
    private const string LogFileName = "hlog.log";
    private static readonly byte[] FillerKey = [(byte)RecordType.Filler];

    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly IDevice _logDevice;
    private readonly SessionPool _sessions;
    private readonly GroupCommitter _committer;
    private readonly SemaphoreSlim _checkpointLock = new(1, 1);
    private readonly ScanGate _scanGate = new();
    private readonly StoreSettings _settings;
    private readonly string _logDirectory;
    private readonly FileStream _lock;
    private readonly object _swapLock = new();
    private int _commitsSinceFull;
    private int _disposed;

    private FasterStore(string directory, StoreSettings settings)
    {
        _settings = settings;
        Directory = directory;
        _logDirectory = Path.Combine(directory, "log");
        // Owner-only: the files are ciphertext, but their sizes and timing are still nobody else's business.
        if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(_logDirectory);
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            System.IO.Directory.CreateDirectory(_logDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        _lock = AcquireLock(directory);
        var checkpointDirectory = Path.Combine(directory, "checkpoints");
        System.IO.Directory.CreateDirectory(checkpointDirectory);
        // The device opens its files write-through (O_SYNC on Linux), so a completed flush is on disk.
        _logDevice = Devices.CreateLogDevice(Path.Combine(_logDirectory, LogFileName), preallocateFile: false);
        var kvSettings = new FasterKVSettings<SpanByte, SpanByte>
        {
            LogDevice = _logDevice,
            CheckpointDir = checkpointDirectory,
            PageSize = settings.PageSize,
            SegmentSize = settings.PageSize,
            MemorySize = 1L << settings.MemorySizeBits,
            IndexSize = settings.IndexSizeBytes,
            ReadCopyOptions = new ReadCopyOptions(ReadCopyFrom.None, ReadCopyTo.None),
            TryRecoverLatest = true,
            RemoveOutdatedCheckpoints = true,
        };
        try
        {
            _kv = new FasterKV<SpanByte, SpanByte>(kvSettings);
        }
        catch (Exception ex)
        {
            _logDevice.Dispose();
            _lock.Dispose();
            throw new VaultStorageException($"could not open or recover the store in {directory}: {ex.Message}", ex);
        }
        _sessions = new SessionPool(_kv);
        _committer = new GroupCommitter(_ => CheckpointAsync(full: false));
    }

    public string Directory { get; }

    /// <summary>
    /// One process per store: two FASTER instances over the same files would corrupt them. The lock is an
    /// exclusive advisory lock on a file, released by the kernel when the process dies, even by SIGKILL.
    /// </summary>
    private static FileStream AcquireLock(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, "LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new VaultStorageException($"the vault in {directory} is in use by another process", ex);
        }
    }

    /// <summary>Opens (recovering the latest checkpoint) or creates the store in <paramref name="directory"/>.</summary>
    public static async Task<FasterStore> OpenAsync(string directory, StoreSettings settings)
    {
        settings.Validate();
        var store = new FasterStore(directory, settings);
        // A full checkpoint at start gives recovery an index to begin from and seals what was recovered.
        await store.CheckpointAsync(full: true).ConfigureAwait(false);
        return store;
    }

    /// <summary>Log addresses, for tests and diagnostics.</summary>
    internal (long Begin, long Head, long ReadOnly, long Tail) Addresses =>
        (_kv.Log.BeginAddress, _kv.Log.HeadAddress, _kv.Log.ReadOnlyAddress, _kv.Log.TailAddress);

    public long CommitCount => _committer.Commits;

    /// <summary>One process per store (the lock file): nothing else writes to it.</summary>
    public bool IsShared => false;

    public unsafe void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var session = _sessions.Rent();
        try
        {
            fixed (byte* k = key, v = value)
            {
                var keySpan = SpanByte.FromPointer(k, key.Length);
                var valueSpan = SpanByte.FromPointer(v, value.Length);
                var status = session.Upsert(ref keySpan, ref valueSpan);
                if (status.IsPending) session.CompletePending(wait: true);
                else if (status.IsFaulted) throw new VaultStorageException("upsert failed");
            }
        }
        finally { _sessions.Return(session); }
    }

    public unsafe void Delete(ReadOnlySpan<byte> key)
    {
        var session = _sessions.Rent();
        try
        {
            fixed (byte* k = key)
            {
                var keySpan = SpanByte.FromPointer(k, key.Length);
                var status = session.Delete(ref keySpan);
                if (status.IsPending) session.CompletePending(wait: true);
                else if (status.IsFaulted) throw new VaultStorageException("delete failed");
            }
        }
        finally { _sessions.Return(session); }
    }

    /// <summary>Reads a value into a pooled buffer; the caller must <see cref="ReadOutput.Release"/> it.</summary>
    public bool TryRead(ReadOnlySpan<byte> key, out ReadOutput value)
    {
        var found = ReadCore(key, ReadKind.Value, out value, out _);
        if (!found) value.Release();
        return found;
    }

    /// <summary>One process owns the store (the lock file), so a lock makes the read and the write one step.</summary>
    public bool SwapIf(ReadOnlySpan<byte> key, byte[]? expected, ReadOnlySpan<byte> value)
    {
        lock (_swapLock)
        {
            var found = ReadCore(key, ReadKind.Value, out var current, out _);
            try
            {
                if (found != (expected is not null) || (found && !current.Span.SequenceEqual(expected))) return false;
            }
            finally { current.Release(); }
            Upsert(key, value);
            return true;
        }
    }

    public bool Exists(ReadOnlySpan<byte> key)
    {
        var found = ReadCore(key, ReadKind.AddressOnly, out var output, out _);
        output.Release();
        return found;
    }

    private unsafe bool ReadCore(ReadOnlySpan<byte> key, ReadKind kind, out ReadOutput output, out long address)
    {
        output = default;
        var session = _sessions.Rent();
        try
        {
            fixed (byte* k = key)
            {
                var keySpan = SpanByte.FromPointer(k, key.Length);
                var input = kind;
                var options = default(ReadOptions);
                var status = session.Read(ref keySpan, ref input, ref output, ref options, out var metadata, Empty.Default, 0);
                if (status.IsPending)
                {
                    session.CompletePendingWithOutputs(out var completed, wait: true);
                    using (completed)
                    {
                        while (completed.Next())
                        {
                            status = completed.Current.Status;
                            output = completed.Current.Output;
                            metadata = completed.Current.RecordMetadata;
                        }
                    }
                }
                if (status.IsFaulted) throw new VaultStorageException("read failed");
                address = status.Found ? metadata.Address : -1;
                return status.Found;
            }
        }
        finally { _sessions.Return(session); }
    }

    /// <summary>Waits until everything this caller wrote before the call is on disk (group commit).</summary>
    public Task CommitAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _committer.WaitForCommitAsync();
    }

    /// <summary>
    /// Every live record whose key starts with <paramref name="prefix"/>, as of the log tail when the scan starts.
    /// Runs in chunks: each chunk is read synchronously (FASTER's epoch protection is per thread), then handed
    /// out, so the caller may await between records.
    /// </summary>
    public IEnumerable<StoredRecord> Scan(byte[] prefix, int chunkSize = 1024)
    {
        _scanGate.EnterScan();
        try
        {
            var end = _kv.Log.TailAddress;
            var from = _kv.Log.BeginAddress;
            var chunk = new List<(StoredRecord Record, long Address)>(chunkSize);
            while (from < end)
            {
                chunk.Clear();
                from = ReadChunk(prefix, from, end, chunk, chunkSize);
                foreach (var (record, address) in chunk)
                {
                    // The log holds every version of a key; only the one the index points at is live.
                    if (ReadCore(record.Key, ReadKind.AddressOnly, out var output, out var liveAddress) && liveAddress == address)
                        yield return record;
                    output.Release();
                }
            }
        }
        finally { _scanGate.ExitScan(); }
    }

    private long ReadChunk(byte[] prefix, long from, long end, List<(StoredRecord, long)> chunk, int chunkSize)
    {
        using var iterator = _kv.Log.Scan(from, end);
        while (iterator.GetNext(out var recordInfo))
        {
            if (!recordInfo.Tombstone)
            {
                var key = iterator.GetKey().AsReadOnlySpan();
                if (key.StartsWith(prefix))
                    chunk.Add((new StoredRecord(key.ToArray(), iterator.GetValue().AsReadOnlySpan().ToArray()), iterator.CurrentAddress));
            }
            if (chunk.Count >= chunkSize) return iterator.NextAddress;
        }
        return end;
    }

    private async Task CheckpointAsync(bool full)
    {
        await _checkpointLock.WaitAsync().ConfigureAwait(false);
        try { await CheckpointLockedAsync(full).ConfigureAwait(false); }
        finally { _checkpointLock.Release(); }
    }

    private async Task CheckpointLockedAsync(bool full)
    {
        full |= ++_commitsSinceFull >= _settings.FullCheckpointEveryCommits;
        for (var attempt = 0; ; attempt++)
        {
            var (started, _) = full
                ? await _kv.TakeFullCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false)
                : await _kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false);
            if (started) break;
            if (attempt == 100) throw new VaultStorageException("a checkpoint could not be started");
            // Another state machine (e.g. index growth) is running: wait for it, then try again.
            await _kv.CompleteCheckpointAsync().ConfigureAwait(false);
        }
        if (full) _commitsSinceFull = 0;
    }

    /// <summary>
    /// Compaction that leaves no byte of a deleted or superseded record in any log file. FASTER compacts up to an
    /// address and can delete only whole segment files below it, so the address must be a segment start: a filler
    /// record too large for the rest of the current page forces the tail onto a fresh page (page = segment), live
    /// records below it are copied to the tail, the begin address moves to the filler, a full checkpoint makes
    /// the copies durable, and only then are the old segment files removed.
    /// </summary>
    Task IRecordStore.CompactAsync() => CompactAsync();

    public async Task<CompactionResult> CompactAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!_scanGate.TryEnterExclusive(_settings.CompactionWaitTimeout))
            throw new VaultStorageException($"compaction gave up after waiting {_settings.CompactionWaitTimeout} for running scans");
        try
        {
            await _checkpointLock.WaitAsync().ConfigureAwait(false);
            try
            {
                var beginBefore = _kv.Log.BeginAddress;
                long until;
                var session = _sessions.Rent();
                try
                {
                    until = AppendSegmentBoundaryFiller(session);
                    _kv.Log.ShiftReadOnlyAddress(_kv.Log.TailAddress, wait: true);
                    session.Compact(until, CompactionType.Lookup);
                    // Compaction stops at the last record before the filler; the rest of that page is padding.
                    if (_kv.Log.BeginAddress < until) _kv.Log.ShiftBeginAddress(until, snapToPageStart: false, truncateLog: false);
                    DeleteFiller(session);
                }
                finally { _sessions.Return(session); }

                await CheckpointLockedAsync(full: true).ConfigureAwait(false);
                _kv.Log.Truncate();
                WaitForSegmentsRemoved(until);
                return new CompactionResult(beginBefore, until, _kv.Log.TailAddress);
            }
            finally { _checkpointLock.Release(); }
        }
        finally { _scanGate.ExitExclusive(); }
    }

    private unsafe long AppendSegmentBoundaryFiller(ClientSession<SpanByte, SpanByte, ReadKind, ReadOutput, Empty, StoreFunctions> session)
    {
        var pageSize = _settings.PageSize;
        var mask = pageSize - 1;
        // Largest value that still fits in a page with record header, key and length prefixes.
        var maxFiller = (int)pageSize - 64;
        var buffer = new byte[maxFiller];
        for (var attempt = 0; attempt < 16; attempt++)
        {
            var offset = _kv.Log.TailAddress & mask;
            var length = offset == 0 ? 8 : (int)Math.Min(pageSize - offset, maxFiller);
            fixed (byte* k = FillerKey, v = buffer)
            {
                var keySpan = SpanByte.FromPointer(k, FillerKey.Length);
                var valueSpan = SpanByte.FromPointer(v, length);
                var input = ReadKind.Value;
                var output = default(ReadOutput);
                var status = session.Upsert(ref keySpan, ref input, ref valueSpan, ref output, out var metadata);
                if (status.IsPending) session.CompletePending(wait: true);
                if ((metadata.Address & mask) == 0) return metadata.Address;
            }
            // Another writer moved the tail, or the filler fit in this page: try again with the new offset.
        }
        throw new VaultStorageException("compaction could not align the log to a segment boundary");
    }

    private static unsafe void DeleteFiller(ClientSession<SpanByte, SpanByte, ReadKind, ReadOutput, Empty, StoreFunctions> session)
    {
        fixed (byte* k = FillerKey)
        {
            var keySpan = SpanByte.FromPointer(k, FillerKey.Length);
            session.Delete(ref keySpan);
        }
    }

    private void WaitForSegmentsRemoved(long until)
    {
        var firstKept = (int)(until >> _settings.PageSizeBits);
        var deadline = Environment.TickCount64 + 30_000;
        var session = _sessions.Rent();
        try
        {
            while (true)
            {
                var left = System.IO.Directory.EnumerateFiles(_logDirectory, LogFileName + ".*")
                    .Any(f => int.TryParse(Path.GetExtension(f).AsSpan(1), out var segment) && segment < firstKept);
                if (!left) return;
                if (Environment.TickCount64 > deadline)
                    throw new VaultStorageException("compacted log segments were not removed within 30 s");
                // Segment deletion runs as an epoch action: taking part in the epoch lets it run.
                session.Refresh();
                Thread.Sleep(1);
            }
        }
        finally { _sessions.Return(session); }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _committer.DisposeAsync().ConfigureAwait(false);
        try { await CheckpointAsync(full: true).ConfigureAwait(false); }
        catch (Exception) { /* the last acknowledged state is already durable; recovery covers the rest */ }
        _sessions.Dispose();
        _kv.Dispose();
        _logDevice.Dispose();
        _checkpointLock.Dispose();
        _lock.Dispose();
    }
}

/// <summary>What a compaction did: log begin address before and after, and the tail after.</summary>
internal readonly record struct CompactionResult(long BeginBefore, long BeginAfter, long Tail);
