using System.Buffers;
using System.Runtime.CompilerServices;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Quantization;
using FaceMatch.Matching.Search;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Galleries;

/// <summary>
/// One tenant's enrolled vectors: add, remove, 1:1 verify and 1:N search, all thread-safe.
/// </summary>
/// <remarks>
/// Rows live in a <see cref="RowStore"/> (contiguous aligned native matrices). Writers (add, remove, compaction's
/// publish step) serialise on one lock; searches take no lock: they pin the current store with a reference
/// count and scan the rows it had when they started. Removal tombstones a row (searches skip it at once);
/// compaction, in the background once enough rows are dead, copies the live rows into a fresh store outside the
/// lock, takes the lock only to apply what changed meanwhile, and swaps the store in. Growth (doubling) also
/// drops tombstones. Ids are opaque strings; vectors are L2-normalised on the way in, so scores are cosines.
/// </remarks>
public sealed partial class Gallery : IDisposable
{
    private readonly object _writeLock = new();
    private readonly SemaphoreSlim _compactionGate = new(1, 1);
    private RowStore _store;
    private Dictionary<string, int> _rowsById = new(StringComparer.Ordinal);
    private Task? _backgroundCompaction;
    private Gpu.CudaMirror? _cudaMirror;
    private bool _disposed;

    public Gallery(GalleryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _store = NewStore(Math.Min(options.InitialCapacity, options.MaxRows));
    }

    public GalleryOptions Options { get; }
    public int Dimension => Options.Dimension;

    /// <summary>Live (searchable) vectors.</summary>
    public int Count
    {
        get { lock (_writeLock) return _rowsById.Count; }
    }

    /// <summary>This gallery's GPU copy, created on the first CUDA search.</summary>
    internal Gpu.CudaMirror CudaMirror
    {
        get { lock (_writeLock) { ThrowIfDisposed(); return _cudaMirror ??= new Gpu.CudaMirror(); } }
    }

    /// <summary>Completes when the background compaction running now (if any) is done; for tests and shutdown.</summary>
    public Task BackgroundCompaction
    {
        get { lock (_writeLock) return _backgroundCompaction ?? Task.CompletedTask; }
    }

    /// <summary>Adds <paramref name="vector"/> under <paramref name="id"/>, replacing any vector that id had. True if the id is new.</summary>
    public bool Upsert(string id, ReadOnlySpan<float> vector)
    {
        ValidateId(id);
        float[] normalized = ArrayPool<float>.Shared.Rent(Dimension);
        try
        {
            VectorValidation.NormalizeInto(vector, normalized, Dimension, "vector");
            lock (_writeLock)
            {
                ThrowIfDisposed();
                bool existed = _rowsById.TryGetValue(id, out int oldRow);
                if (!existed && _rowsById.Count >= Options.MaxRows)
                    throw new GalleryLimitException($"gallery is full: it holds {_rowsById.Count} vectors, the limit (MaxRows) is {Options.MaxRows}");
                if (existed) _store.MarkDead(oldRow);
                if (_store.Count == _store.Capacity)
                    Rebuild(GrownCapacity(_rowsById.Count + 1));
                _rowsById[id] = _store.Append(id, normalized.AsSpan(0, Dimension));
                IndexUpserted(id, normalized.AsSpan(0, Dimension));
                if (existed) MaybeStartCompaction();
                return !existed;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(normalized);
        }
    }

    /// <summary>Removes <paramref name="id"/>; searches that start after this returns never see it. False if absent.</summary>
    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_writeLock)
        {
            ThrowIfDisposed();
            if (!_rowsById.Remove(id, out int row)) return false;
            _store.MarkDead(row);
            IndexRemoved(id);
            MaybeStartCompaction();
            return true;
        }
    }

    public bool Contains(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_writeLock) return _rowsById.ContainsKey(id);
    }

    /// <summary>Allocates room for <paramref name="rows"/> live vectors now (e.g. before a bulk load of known size).</summary>
    public void Reserve(int rows)
    {
        if (rows > Options.MaxRows)
            throw new GalleryLimitException($"cannot reserve {rows} rows: the limit (MaxRows) is {Options.MaxRows}");
        lock (_writeLock)
        {
            ThrowIfDisposed();
            if (rows > _store.Capacity - _store.DeadCount) Rebuild(Math.Max(rows, _rowsById.Count));
        }
    }

    /// <summary>Adds every record (upsert semantics); returns how many were read.</summary>
    public int Load(IEnumerable<GalleryRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.TryGetNonEnumeratedCount(out int known)) Reserve(Math.Min(Options.MaxRows, Count + known));
        int n = 0;
        foreach (var record in records)
        {
            Upsert(record.Id, record.Vector.Span);
            n++;
        }
        return n;
    }

    /// <summary>Adds every record of an asynchronous stream (e.g. the vault's enumeration at start-up).</summary>
    public async Task<int> LoadAsync(IAsyncEnumerable<GalleryRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        int n = 0;
        await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Upsert(record.Id, record.Vector.Span);
            n++;
        }
        return n;
    }

    /// <summary>1:1: cosine between <paramref name="probe"/> and the vector enrolled as <paramref name="id"/>; null if the id is unknown.</summary>
    public unsafe float? Verify(string id, ReadOnlySpan<float> probe, KernelPath kernel = KernelPath.Auto)
    {
        ArgumentNullException.ThrowIfNull(id);
        float[] normalized = ArrayPool<float>.Shared.Rent(Dimension);
        try
        {
            VectorValidation.NormalizeInto(probe, normalized, Dimension, "probe");
            RowStore store;
            int row;
            lock (_writeLock)
            {
                ThrowIfDisposed();
                if (!_rowsById.TryGetValue(id, out row)) return null;
                store = _store;
                if (!store.TryAcquire()) throw new InvalidOperationException("gallery store retired while locked");
            }
            try
            {
                var probeSpan = normalized.AsSpan(0, Dimension);
                if (store.HasFloat32)
                    return Similarity.Dot(probeSpan, new ReadOnlySpan<float>(store.Float32Row(row), Dimension), ResolveOr(kernel, VectorPrecision.Float32));
                using var prepared = new PreparedQueries(probeSpan, 1, Dimension, store.ScanPrecision, BlockScorer.For(store.ScanPrecision, kernel));
                var m = store.Matrix(store.ScanPrecision)!.Value;
                float raw = prepared.Scorer.DotRow(m.Data + (long)row * m.Stride, prepared.Query(0), prepared.Steps,
                    m.RowSums == null ? 0 : m.RowSums[row]);
                return m.Scales == null ? raw : raw * prepared.Scale[0] * m.Scales[row];
            }
            finally
            {
                store.Release();
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(normalized);
        }
    }

    /// <summary>1:N: the <paramref name="k"/> enrolled vectors most similar to <paramref name="query"/>, best first.</summary>
    public IReadOnlyList<Match> Search(ReadOnlySpan<float> query, int k, SearchOptions? options = null) =>
        SearchBatch(query, 1, k, options)[0];

    /// <summary>
    /// 1:N for <paramref name="queryCount"/> queries laid end to end in <paramref name="queries"/>; all of them share
    /// each pass over the gallery's memory.
    /// </summary>
    public IReadOnlyList<Match>[] SearchBatch(ReadOnlySpan<float> queries, int queryCount, int k, SearchOptions? options = null)
    {
        options ??= SearchOptions.Default;
        ValidateSearch(queries.Length, queryCount, k, options);
        var normalized = new float[queryCount * Dimension];
        for (int q = 0; q < queryCount; q++)
            VectorValidation.NormalizeInto(queries.Slice(q * Dimension, Dimension), normalized.AsSpan(q * Dimension, Dimension),
                Dimension, queryCount == 1 ? "query" : $"query {q}");

        if (options.Strategy is SearchStrategy.Default or SearchStrategy.Approximate && options.Device == SearchDevice.Cpu &&
            AcquireIndex() is { } index)
        {
            try
            {
                return SearchIndex(index, normalized, queryCount, k, options);
            }
            finally
            {
                index.Release();
            }
        }

        var store = AcquireStore();
        try
        {
            var hits = GallerySearch.Run(store, this, normalized, queryCount, k, options);
            var results = new IReadOnlyList<Match>[queryCount];
            for (int q = 0; q < queryCount; q++)
            {
                var list = new Match[hits[q].Length];
                for (int i = 0; i < list.Length; i++) list[i] = new Match(store.IdAt(hits[q][i].Row), hits[q][i].Score);
                results[q] = list;
            }
            return results;
        }
        finally
        {
            store.Release();
        }
    }

    /// <summary>
    /// Every pair of enrolled vectors scoring at least <see cref="DuplicateSweepOptions.Threshold"/>, in batches as
    /// the sweep goes (lazily: each batch is computed when asked for, so the caller sets the pace and can stop at any
    /// point; disposing the enumerator releases the gallery). Covers the vectors present when enumeration starts.
    /// </summary>
    public IEnumerable<DuplicateBatch> FindDuplicates(DuplicateSweepOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(Options.MaxBatch);
        lock (_writeLock) ThrowIfDisposed();
        return GallerySweep.Run(this, options, cancellationToken);
    }

    /// <summary>Rewrites the store without tombstoned rows now (waits for one already running).</summary>
    public Task CompactAsync() => Task.Run(CompactCore);

    public GalleryMemoryUsage MemoryUsage
    {
        get
        {
            lock (_writeLock)
            {
                ThrowIfDisposed();
                var s = _store;
                long perRow = s.BytesPerRow;
                long idChars = 0;
                foreach (var id in _rowsById.Keys) idChars += id.Length;
                // string: ~22 bytes + 2 per char; dictionary entry ~24 bytes; id slot 8; dead flag 1.
                long managed = idChars * 2 + _rowsById.Count * (22L + 24) + (long)s.Capacity * 9;
                return new GalleryMemoryUsage(s.NativeBytes, s.Capacity, s.Count, s.LiveCount, s.DeadCount, perRow, managed)
                {
                    IndexBytes = _index?.Graph.MemoryBytes ?? 0,
                };
            }
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            _store.Release();
            _index?.Release();
            _index = null;
            _cudaMirror?.Dispose();
        }
    }

    /// <summary>Pins the current store for a reader; retry covers a swap between reading the field and pinning.</summary>
    internal RowStore AcquireStore()
    {
        while (true)
        {
            var store = Volatile.Read(ref _store);
            if (store.TryAcquire()) return store;
            lock (_writeLock) ThrowIfDisposed();
        }
    }

    private RowStore NewStore(int capacity) =>
        new(Dimension, Math.Max(1, capacity), Options.Precision, Options.KeepFloat32 || Options.Precision == VectorPrecision.Float32);

    private int GrownCapacity(int needed)
    {
        long grown = Math.Max((long)needed * 2, Options.InitialCapacity);
        return (int)Math.Min(grown, Math.Max(needed, Options.MaxRows));
    }

    /// <summary>Under the lock: copies live rows into a new store of <paramref name="capacity"/> rows and publishes it.</summary>
    private void Rebuild(int capacity)
    {
        var old = _store;
        var fresh = NewStore(Math.Max(capacity, _rowsById.Count));
        var map = new Dictionary<string, int>(_rowsById.Count, StringComparer.Ordinal);
        int rows = old.Count;
        for (int r = 0; r < rows; r++)
        {
            if (old.IsDead(r)) continue;
            map[old.IdAt(r)] = fresh.AppendCopy(old, r);
        }
        Publish(fresh, map);
    }

    private void Publish(RowStore fresh, Dictionary<string, int> map)
    {
        var old = _store;
        _rowsById = map;
        Volatile.Write(ref _store, fresh);
        old.Release();
    }

    private void MaybeStartCompaction()
    {
        if (!Options.BackgroundCompaction || _backgroundCompaction is { IsCompleted: false }) return;
        int dead = _store.DeadCount;
        if (dead < Options.CompactionMinDead || dead < Options.CompactionDeadFraction * _store.Count) return;
        _backgroundCompaction = Task.Run(CompactCore);
    }

    private async Task CompactCore()
    {
        await _compactionGate.WaitAsync().ConfigureAwait(false);
        try
        {
            CompactOnce();
        }
        finally
        {
            _compactionGate.Release();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CompactOnce()
    {
        RowStore snapshot;
        int copiedUpTo;
        lock (_writeLock)
        {
            if (_disposed || _store.DeadCount == 0) return;
            snapshot = _store;
            if (!snapshot.TryAcquire()) return;
            copiedUpTo = snapshot.Count;
        }
        try
        {
            // Phase 1, no lock: copy the rows live now. Writers carry on; what they change is applied in phase 2.
            int live = copiedUpTo - snapshot.DeadCount;
            var fresh = NewStore(Math.Max(Options.InitialCapacity, Math.Min(Options.MaxRows, live + Math.Max(live / 2, 1024))));
            var newRowOf = new int[copiedUpTo];
            var map = new Dictionary<string, int>(Math.Max(live, 0), StringComparer.Ordinal);
            for (int r = 0; r < copiedUpTo; r++)
            {
                if (snapshot.IsDead(r) || fresh.Count == fresh.Capacity) { newRowOf[r] = -1; continue; }
                newRowOf[r] = fresh.AppendCopy(snapshot, r);
                map[snapshot.IdAt(r)] = newRowOf[r];
            }

            // Phase 2, under the lock: removals since phase 1, rows added since, then the swap.
            lock (_writeLock)
            {
                if (_disposed || !ReferenceEquals(_store, snapshot))
                {
                    fresh.Release(); // growth replaced the store meanwhile (and dropped tombstones itself)
                    return;
                }
                int rows = snapshot.Count;
                bool fits = fresh.Capacity - fresh.Count >= rows - copiedUpTo;
                for (int r = 0; r < copiedUpTo && fits; r++)
                {
                    if (newRowOf[r] < 0)
                    {
                        // Skipped in phase 1 only because it was dead (or the store was full, handled below).
                        if (!snapshot.IsDead(r)) fits = false;
                        continue;
                    }
                    if (!snapshot.IsDead(r)) continue;
                    fresh.MarkDead(newRowOf[r]);
                    var id = snapshot.IdAt(r);
                    if (map.TryGetValue(id, out int mapped) && mapped == newRowOf[r]) map.Remove(id);
                }
                if (!fits)
                {
                    fresh.Release();
                    Rebuild(GrownCapacity(_rowsById.Count + 1));
                    return;
                }
                for (int r = copiedUpTo; r < rows; r++)
                {
                    if (snapshot.IsDead(r)) continue;
                    map[snapshot.IdAt(r)] = fresh.AppendCopy(snapshot, r);
                }
                Publish(fresh, map);
            }
        }
        finally
        {
            snapshot.Release();
        }
    }

    private void ValidateId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 0) throw new ArgumentException("id is empty", nameof(id));
        if (id.Length > Options.MaxIdLength)
            throw new ArgumentException($"id is {id.Length} characters; the limit (MaxIdLength) is {Options.MaxIdLength}", nameof(id));
    }

    private void ValidateSearch(int length, int queryCount, int k, SearchOptions options)
    {
        if (queryCount <= 0) throw new ArgumentOutOfRangeException(nameof(queryCount), queryCount, "at least one query is needed");
        if (queryCount > Options.MaxBatch)
            throw new GalleryLimitException($"{queryCount} queries in one batch; the limit (MaxBatch) is {Options.MaxBatch}");
        if ((long)queryCount * Dimension != length)
            throw new ArgumentException($"queries hold {length} floats; {queryCount} queries of dimension {Dimension} need {(long)queryCount * Dimension}");
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        if (k > Options.MaxK) throw new GalleryLimitException($"k = {k}; the limit (MaxK) is {Options.MaxK}");
        if (options.Threads <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "Threads must be at least 1");
        if (options.Threads > Options.MaxThreads)
            throw new GalleryLimitException($"{options.Threads} threads; the limit (MaxThreads) is {Options.MaxThreads}");
        if (options.RerankDepth < 0) throw new ArgumentOutOfRangeException(nameof(options), options.RerankDepth, "RerankDepth must be >= 0");
        if (options.RerankDepth > Options.MaxK)
            throw new GalleryLimitException($"RerankDepth = {options.RerankDepth}; the limit (MaxK) is {Options.MaxK}");
        if (options.MinRowsPerThread <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.MinRowsPerThread, "MinRowsPerThread must be positive");
        if (float.IsNaN(options.MinScore)) throw new ArgumentException("MinScore is NaN", nameof(options));
        if (!Enum.IsDefined(options.Strategy)) throw new ArgumentOutOfRangeException(nameof(options), options.Strategy, "unknown strategy");
        if (!Enum.IsDefined(options.Device)) throw new ArgumentOutOfRangeException(nameof(options), options.Device, "unknown device");
        if (options.Ef < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Ef, "Ef must be >= 0");
        if (options.Ef > GalleryOptions.MaxEf) throw new GalleryLimitException($"Ef = {options.Ef}; the limit is {GalleryOptions.MaxEf}");
    }

    private static KernelPath ResolveOr(KernelPath requested, VectorPrecision precision) =>
        requested != KernelPath.Auto && KernelSupport.IsSupported(requested, precision) ? requested : KernelSupport.Best(precision);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
