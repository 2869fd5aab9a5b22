using FaceMatch.Matching.Ann;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Search;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Galleries;

// The approximate index of a large gallery: built in the background once the gallery passes
// GalleryOptions.IndexThreshold, kept in step with every upsert and removal under the writer lock, rebuilt once too
// many of its nodes are dead, and used by Default and Approximate searches, whose candidates are re-ranked exactly
// on the gallery's own rows.
public sealed partial class Gallery
{
    private GalleryIndex? _index;
    private HashSet<string>? _indexDirty;
    private Task? _indexBuild;

    /// <summary>True once the approximate index is built: Default and Approximate searches then use it.</summary>
    public bool HasIndex => Volatile.Read(ref _index) != null;

    /// <summary>Nodes of the published index and how many of them are deleted (0, 0 without one); for tests.</summary>
    internal (int Nodes, int Deleted) IndexNodes
    {
        get
        {
            var index = Volatile.Read(ref _index);
            return index is null ? (0, 0) : (index.Graph.Count, index.Graph.DeletedCount);
        }
    }

    /// <summary>The index build running now (if any); for tests, benchmarks and shutdown.</summary>
    public Task IndexBuild
    {
        get { lock (_writeLock) return _indexBuild ?? Task.CompletedTask; }
    }

    /// <summary>Builds (or rebuilds) the approximate index now, whatever the threshold; completes once searches use it.</summary>
    public Task BuildIndexAsync()
    {
        lock (_writeLock)
        {
            ThrowIfDisposed();
            return StartIndexBuild();
        }
    }

    /// <summary>Under the writer lock, after a row for <paramref name="id"/> was appended.</summary>
    private void IndexUpserted(string id, ReadOnlySpan<float> normalized)
    {
        _index?.Upsert(id, normalized);
        _indexDirty?.Add(id);
        MaybeStartIndexBuild();
    }

    /// <summary>Under the writer lock, after <paramref name="id"/> was removed.</summary>
    private void IndexRemoved(string id)
    {
        _index?.Remove(id);
        _indexDirty?.Add(id);
        MaybeStartIndexBuild();
    }

    private void MaybeStartIndexBuild()
    {
        if (_disposed || _indexBuild is { IsCompleted: false }) return;
        if (_index is null)
        {
            if (Options.IndexThreshold > 0 && _rowsById.Count >= Options.IndexThreshold) StartIndexBuild();
            return;
        }
        int dead = _index.Graph.DeletedCount;
        if (dead >= 1024 && dead >= Options.IndexRebuildDeadFraction * _index.Graph.Count) StartIndexBuild();
    }

    /// <summary>Under the writer lock: snapshot the rows, start tracking changes, build in the background.</summary>
    private Task StartIndexBuild()
    {
        if (_indexBuild is { IsCompleted: false } running) return running;
        var snapshot = _store;
        if (!snapshot.TryAcquire()) throw new InvalidOperationException("gallery store retired while locked");
        int rows = snapshot.Count;
        _indexDirty = new HashSet<string>(StringComparer.Ordinal);
        return _indexBuild = Task.Run(() => BuildIndex(snapshot, rows));
    }

    /// <summary>
    /// Indexes the snapshot's live rows without the lock, then catches up with the ids changed meanwhile (their vectors
    /// copied under the lock, indexed outside it) until few are left, and applies those and publishes under the lock.
    /// </summary>
    private void BuildIndex(RowStore snapshot, int rows)
    {
        var index = new GalleryIndex(Dimension, Options.IndexM, Options.IndexEfConstruction, seed: 0x5eed);
        bool published = false;
        try
        {
            var vector = new float[Dimension];
            try
            {
                for (int r = 0; r < rows; r++)
                {
                    if ((r & 1023) == 0 && Volatile.Read(ref _disposed)) return;
                    if (snapshot.IsDead(r)) continue;
                    snapshot.CopyRowsAsFloat(r, 1, vector);
                    index.Upsert(snapshot.IdAt(r), vector);
                }
            }
            finally
            {
                snapshot.Release();
            }
            while (true)
            {
                List<(string Id, float[]? Vector)> changes;
                lock (_writeLock)
                {
                    if (_disposed) return;
                    bool last = _indexDirty!.Count <= 256;
                    changes = CurrentVectors(_indexDirty);
                    _indexDirty = last ? null : new HashSet<string>(StringComparer.Ordinal);
                    if (last)
                    {
                        Apply(index, changes);
                        var old = _index;
                        Volatile.Write(ref _index, index);
                        published = true;
                        old?.Release();
                        return;
                    }
                }
                Apply(index, changes);
            }
        }
        finally
        {
            if (!published) index.Release();
        }
    }

    /// <summary>Under the writer lock: each id's vector now (a copy), or null if it is no longer enrolled.</summary>
    private List<(string, float[]?)> CurrentVectors(HashSet<string> ids)
    {
        var list = new List<(string, float[]?)>(ids.Count);
        foreach (var id in ids)
        {
            if (!_rowsById.TryGetValue(id, out int row)) { list.Add((id, null)); continue; }
            var v = new float[Dimension];
            _store.CopyRowsAsFloat(row, 1, v);
            list.Add((id, v));
        }
        return list;
    }

    private static void Apply(GalleryIndex index, List<(string Id, float[]? Vector)> changes)
    {
        foreach (var (id, v) in changes)
        {
            if (v is null) index.Remove(id);
            else index.Upsert(id, v);
        }
    }

    private GalleryIndex? AcquireIndex()
    {
        while (true)
        {
            var index = Volatile.Read(ref _index);
            if (index is null || index.TryAcquire()) return index;
        }
    }

    /// <summary>
    /// The index's <c>ef</c> candidates per query, re-ranked on the gallery's rows (float32 if it keeps them, else its
    /// compressed ones): exact scores, and only ids enrolled when the re-rank starts.
    /// </summary>
    private unsafe IReadOnlyList<Match>[] SearchIndex(GalleryIndex index, float[] normalized, int queryCount, int k, SearchOptions options)
    {
        int ef = Math.Max(options.Ef > 0 ? options.Ef : Options.IndexEfSearch, k);
        var nodes = new List<(float Score, int Node)>[queryCount];
        for (int q = 0; q < queryCount; q++)
            nodes[q] = index.Graph.Search(normalized.AsSpan(q * Dimension, Dimension), ef);

        RowStore store;
        var rows = new int[queryCount][];
        lock (_writeLock)
        {
            ThrowIfDisposed();
            store = _store;
            if (!store.TryAcquire()) throw new InvalidOperationException("gallery store retired while locked");
            for (int q = 0; q < queryCount; q++)
            {
                rows[q] = new int[nodes[q].Count];
                for (int i = 0; i < rows[q].Length; i++)
                    rows[q][i] = _rowsById.TryGetValue(index.Graph.KeyOf(nodes[q][i].Node), out int row) ? row : -1;
            }
        }
        try
        {
            var precision = store.HasFloat32 ? VectorPrecision.Float32 : store.ScanPrecision;
            var matrix = store.Matrix(precision)!.Value;
            var path = options.Kernel != KernelPath.Auto && KernelSupport.IsSupported(options.Kernel, precision) ? options.Kernel : KernelSupport.Best(precision);
            var scorer = BlockScorer.For(precision, path);
            using var prepared = new PreparedQueries(normalized, queryCount, Dimension, precision, scorer);
            var results = new IReadOnlyList<Match>[queryCount];
            for (int q = 0; q < queryCount; q++)
            {
                var heap = new TopK(k, options.MinScore);
                foreach (int row in rows[q])
                {
                    if (row < 0) continue;
                    float raw = scorer.DotRow(matrix.Data + (long)row * matrix.Stride, prepared.Query(q), prepared.Steps,
                        matrix.RowSums == null ? 0 : matrix.RowSums[row]);
                    heap.Offer(matrix.Scales == null ? raw : raw * prepared.Scale[q] * matrix.Scales[row], row);
                }
                var best = heap.ToSortedArray();
                var list = new Match[best.Length];
                for (int i = 0; i < best.Length; i++) list[i] = new Match(store.IdAt(best[i].Row), best[i].Score);
                results[q] = list;
            }
            return results;
        }
        finally
        {
            store.Release();
        }
    }
}
