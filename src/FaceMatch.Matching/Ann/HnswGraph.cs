using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Search;

namespace FaceMatch.Matching.Ann;

/// <summary>
/// A hierarchical navigable small-world graph (Malkov and Yashunin, 2016) over int8 copies of the vectors, for
/// approximate 1:N search in galleries too large to scan per query. Similarity is the dot product of the
/// L2-normalised vectors (cosine), as everywhere in the matching core.
/// </summary>
/// <remarks>
/// <para>
/// Each node sits on levels 0..L with L drawn as floor(-ln U / ln M); level 0 links up to 2M neighbours, the others
/// up to M, chosen with the paper's heuristic (a candidate is kept only if it is closer to the new node than to
/// every neighbour kept so far, which keeps links pointing in different directions). A search descends greedily
/// from the entry point to level 1 and then runs a best-first search on level 0 keeping the best ef.
/// </para>
/// <para>
/// Concurrency: one writer at a time (<see cref="Add"/>, <see cref="MarkDeleted"/>: the caller serialises them),
/// any number of searches without locks. A node's vector and levels are written before the node count is
/// published and before any link to it; a neighbour list is rewritten entries first and count last, so a search
/// reading it mid-change sees a mix of old and new neighbours, every one a valid node, which only changes which
/// paths it tries. Storage is segmented and only ever appended to, so nothing a search holds moves. Deleted nodes
/// stay in the graph as waypoints and are never returned; the owner rebuilds the graph once too many are dead.
/// </para>
/// </remarks>
internal sealed unsafe class HnswGraph : IDisposable
{
    private const int SegmentShift = NodeVectors.SegmentShift;
    private const int SegmentMask = NodeVectors.SegmentSize - 1;

    private readonly NodeVectors _vectors;
    private readonly BlockScorer _scorer;
    private readonly int _dimension, _m, _m0, _efConstruction;
    private readonly double _levelFactor;
    private readonly Random _levels;
    private readonly ConcurrentBag<SearchScratch> _scratch = new();
    private readonly int _steps, _queryBytes;

    // Segmented per-node state: level-0 links (count + 2M), the node's top level, deleted flags, the owner's key,
    // and the links of levels 1..L (rare: one node in M has any).
    private int[][] _links0 = [];
    private byte[][] _level = [];
    private byte[][] _deleted = [];
    private string[][] _keys = [];
    private int[]?[][] _upper = [];
    private int _count, _deletedCount;
    private Entry? _entry;

    public HnswGraph(int dimension, int m, int efConstruction, int seed)
    {
        if (m < 2) throw new ArgumentOutOfRangeException(nameof(m), m, "M must be at least 2");
        _dimension = dimension;
        _m = m;
        _m0 = 2 * m;
        _efConstruction = Math.Max(efConstruction, m);
        _levelFactor = 1 / Math.Log(m);
        _levels = new Random(seed);
        _vectors = new NodeVectors(dimension);
        _scorer = BlockScorer.For(VectorPrecision.Int8, KernelPath.Auto);
        _steps = _scorer.Steps(RowLayout.PaddedElements(dimension, VectorPrecision.Int8));
        _queryBytes = RowLayout.QueryBytes(dimension, VectorPrecision.Int8, _scorer.Path);
    }

    public int Dimension => _dimension;
    public int Count => Volatile.Read(ref _count);
    public int DeletedCount => Volatile.Read(ref _deletedCount);
    public int LiveCount => Count - DeletedCount;

    /// <summary>Native bytes of the vectors, plus the managed link arrays (estimated from their sizes).</summary>
    public long MemoryBytes
    {
        get
        {
            long links = (long)_links0.Length * NodeVectors.SegmentSize * (_m0 + 1) * sizeof(int);
            long perNode = (long)_level.Length * NodeVectors.SegmentSize * (2 + IntPtr.Size);
            long upper = (long)Count / _m * (_m + 1) * sizeof(int) * 2; // expected levels >= 1 per node: about 1/(M-1)
            return _vectors.NativeBytes + links + perNode + upper;
        }
    }

    public string KeyOf(int node) => _keys[node >> SegmentShift][node & SegmentMask];

    public bool IsDeleted(int node) => Volatile.Read(ref _deleted[node >> SegmentShift][node & SegmentMask]) != 0;

    /// <summary>Single writer: marks the node deleted (never returned again; still a waypoint).</summary>
    public void MarkDeleted(int node)
    {
        ref byte flag = ref _deleted[node >> SegmentShift][node & SegmentMask];
        if (flag != 0) return;
        Volatile.Write(ref flag, 1);
        Interlocked.Increment(ref _deletedCount);
    }

    /// <summary>Single writer: inserts an L2-normalised vector under <paramref name="key"/>; returns its node.</summary>
    public int Add(ReadOnlySpan<float> normalized, string key)
    {
        if (normalized.Length != _dimension) throw new ArgumentException("vector length differs from the index's dimension");
        int node = _count;
        int segment = node >> SegmentShift;
        if (segment >= _links0.Length) Grow(segment + 1);
        int level = Math.Min(RandomLevel(), 30);
        _vectors.Set(node, normalized);
        _level[segment][node & SegmentMask] = (byte)level;
        _keys[segment][node & SegmentMask] = key;
        if (level > 0) _upper[segment][node & SegmentMask] = new int[level * (_m + 1)];
        Volatile.Write(ref _count, node + 1);

        var entry = _entry;
        if (entry is null)
        {
            Volatile.Write(ref _entry, new Entry(node, level));
            return node;
        }
        var scratch = Rent();
        try
        {
            var query = scratch.Query;
            PrepareFromNode(node, query);
            scratch.QueryScale = _vectors.Scale(node);
            int limit = node; // link only to nodes that existed before this one
            int current = entry.Node;
            float currentScore = Score(query, scratch.QueryScale, current);
            for (int l = entry.Level; l > level; l--)
                (current, currentScore) = Greedy(query, scratch.QueryScale, current, currentScore, l, limit);
            for (int l = Math.Min(level, entry.Level); l >= 0; l--)
            {
                SearchLayer(query, scratch.QueryScale, current, currentScore, _efConstruction, l, scratch, limit, includeDeleted: true);
                var found = scratch.Sorted();
                int maxLinks = l == 0 ? _m0 : _m;
                var chosen = SelectNeighbours(found, _m, scratch.Other);
                WriteLinks(node, l, chosen);
                foreach (var (_, neighbour) in chosen) Connect(neighbour, node, l, maxLinks, scratch);
                (currentScore, current) = found[0];
            }
            if (level > entry.Level) Volatile.Write(ref _entry, new Entry(node, level));
        }
        finally
        {
            Return(scratch);
        }
        return node;
    }

    /// <summary>
    /// The <paramref name="ef"/> nodes the graph search finds closest to the query (int8 scores, best first), of which
    /// the caller keeps what it needs; deleted nodes are skipped.
    /// </summary>
    public List<(float Score, int Node)> Search(ReadOnlySpan<float> normalized, int ef)
    {
        var entry = Volatile.Read(ref _entry);
        if (entry is null) return [];
        var scratch = Rent();
        try
        {
            var query = scratch.Query;
            float queryScale = PrepareQuery(normalized, query);
            scratch.QueryScale = queryScale;
            int limit = Count;
            int current = entry.Node;
            float currentScore = Score(query, queryScale, current);
            for (int l = entry.Level; l > 0; l--)
                (current, currentScore) = Greedy(query, queryScale, current, currentScore, l, limit);
            SearchLayer(query, queryScale, current, currentScore, ef, 0, scratch, limit, includeDeleted: false);
            return scratch.Sorted();
        }
        finally
        {
            Return(scratch);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Score(byte* query, float queryScale, int node) =>
        _scorer.DotRow(_vectors.Row(node), query, _steps, _vectors.Sum(node)) * queryScale * _vectors.Scale(node);

    private (int Node, float Score) Greedy(byte* query, float queryScale, int current, float currentScore, int level, int limit)
    {
        bool moved = true;
        while (moved)
        {
            moved = false;
            var links = Links(current, level, out int offset);
            int n = Volatile.Read(ref links[offset]);
            for (int i = 1; i <= n; i++)
            {
                int next = links[offset + i];
                if ((uint)next >= (uint)limit) continue;
                float s = Score(query, queryScale, next);
                if (s > currentScore)
                {
                    currentScore = s;
                    current = next;
                    moved = true;
                }
            }
        }
        return (current, currentScore);
    }

    /// <summary>Best-first search of one level from one entry node; leaves the best <paramref name="ef"/> in scratch.Results.</summary>
    private void SearchLayer(byte* query, float queryScale, int start, float startScore, int ef, int level, SearchScratch scratch,
        int limit, bool includeDeleted)
    {
        var visited = scratch.Visited;
        var candidates = scratch.Candidates;
        var results = scratch.Results;
        visited.Begin(limit);
        candidates.Clear();
        results.Clear();
        visited.Visit(start);
        candidates.Push(startScore, start);
        if (includeDeleted || !IsDeleted(start)) results.Push(startScore, start);
        while (candidates.Count > 0)
        {
            var (score, node) = candidates.Pop();
            if (results.Count >= ef && score < results.TopScore) break;
            var links = Links(node, level, out int offset);
            int n = Volatile.Read(ref links[offset]);
            for (int i = 1; i <= n; i++)
            {
                int next = links[offset + i];
                if ((uint)next >= (uint)limit || !visited.Visit(next)) continue;
                if (i < n && Sse.IsSupported && (uint)links[offset + i + 1] < (uint)limit) Sse.Prefetch0(_vectors.Row(links[offset + i + 1]));
                float s = Score(query, queryScale, next);
                if (results.Count < ef || s > results.TopScore)
                {
                    candidates.Push(s, next);
                    if (includeDeleted || !IsDeleted(next))
                    {
                        results.Push(s, next);
                        if (results.Count > ef) results.Pop();
                    }
                }
            }
        }
    }

    /// <summary>
    /// The paper's heuristic: walk the candidates best first and keep one only if it is more similar to the new node
    /// than to every neighbour already kept; at most <paramref name="max"/>.
    /// </summary>
    private List<(float Score, int Node)> SelectNeighbours(List<(float Score, int Node)> candidates, int max, byte* other)
    {
        var chosen = new List<(float, int)>(max);
        foreach (var (score, node) in candidates)
        {
            if (chosen.Count >= max) break;
            PrepareFromNode(node, other);
            float nodeScale = _vectors.Scale(node);
            bool keep = true;
            foreach (var (_, kept) in chosen)
            {
                if (Score(other, nodeScale, kept) > score) { keep = false; break; }
            }
            if (keep) chosen.Add((score, node));
        }
        return chosen;
    }

    /// <summary>Adds a link neighbour → node on a level; a list over its limit is cut back with the heuristic.</summary>
    private void Connect(int neighbour, int node, int level, int maxLinks, SearchScratch scratch)
    {
        var links = Links(neighbour, level, out int offset);
        int n = links[offset];
        if (n < maxLinks)
        {
            links[offset + n + 1] = node;
            Volatile.Write(ref links[offset], n + 1);
            return;
        }
        // Full: the neighbour's links plus the new node, ranked by similarity to the neighbour, cut back to the limit.
        var own = scratch.Other;
        PrepareFromNode(neighbour, own);
        float ownScale = _vectors.Scale(neighbour);
        var pool = new List<(float Score, int Node)>(n + 1) { (Score(own, ownScale, node), node) };
        for (int i = 1; i <= n; i++) pool.Add((Score(own, ownScale, links[offset + i]), links[offset + i]));
        pool.Sort(static (a, b) => b.Score.CompareTo(a.Score));
        // The scores are all computed: the buffer that held the neighbour's query is free for the heuristic.
        WriteLinks(neighbour, level, SelectNeighbours(pool, maxLinks, own));
    }

    private void WriteLinks(int node, int level, List<(float Score, int Node)> chosen)
    {
        var links = Links(node, level, out int offset);
        int n = Math.Min(chosen.Count, level == 0 ? _m0 : _m);
        for (int i = 0; i < n; i++) links[offset + i + 1] = chosen[i].Node;
        Volatile.Write(ref links[offset], n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int[] Links(int node, int level, out int offset)
    {
        int segment = node >> SegmentShift, i = node & SegmentMask;
        if (level == 0)
        {
            offset = i * (_m0 + 1);
            return _links0[segment];
        }
        offset = (level - 1) * (_m + 1);
        return _upper[segment][i]!;
    }

    private int RandomLevel() => (int)(-Math.Log(1 - _levels.NextDouble()) * _levelFactor);

    /// <summary>The query layout of the int8 kernel (see PreparedQueries) from a float vector; returns its scale.</summary>
    private float PrepareQuery(ReadOnlySpan<float> normalized, byte* query)
    {
        Span<sbyte> q = stackalloc sbyte[_dimension];
        float scale = Quantization.Int8Quantizer.Quantize(normalized, q);
        WriteQuery(q, query);
        return scale;
    }

    /// <summary>The query layout of a stored node (its int8 values as they are).</summary>
    private void PrepareFromNode(int node, byte* query)
    {
        var q = new ReadOnlySpan<sbyte>(_vectors.Row(node), _dimension);
        WriteQuery(q, query);
    }

    private void WriteQuery(ReadOnlySpan<sbyte> q, byte* query)
    {
        new Span<byte>(query, _queryBytes).Clear();
        if (RowLayout.QueryElementBytes(VectorPrecision.Int8, _scorer.Path) == 2)
        {
            var s = new Span<short>(query, _dimension);
            for (int i = 0; i < q.Length; i++) s[i] = q[i];
        }
        else
        {
            var u = new Span<byte>(query, _dimension);
            for (int i = 0; i < q.Length; i++) u[i] = (byte)(q[i] + 128);
        }
    }

    private void Grow(int segments)
    {
        int old = _links0.Length;
        var links0 = new int[segments][];
        var level = new byte[segments][];
        var deleted = new byte[segments][];
        var keys = new string[segments][];
        var upper = new int[]?[segments][];
        Array.Copy(_links0, links0, old);
        Array.Copy(_level, level, old);
        Array.Copy(_deleted, deleted, old);
        Array.Copy(_keys, keys, old);
        Array.Copy(_upper, upper, old);
        for (int s = old; s < segments; s++)
        {
            links0[s] = new int[NodeVectors.SegmentSize * (_m0 + 1)];
            level[s] = new byte[NodeVectors.SegmentSize];
            deleted[s] = new byte[NodeVectors.SegmentSize];
            keys[s] = new string[NodeVectors.SegmentSize];
            upper[s] = new int[]?[NodeVectors.SegmentSize];
        }
        Volatile.Write(ref _links0, links0);
        Volatile.Write(ref _level, level);
        Volatile.Write(ref _deleted, deleted);
        Volatile.Write(ref _keys, keys);
        Volatile.Write(ref _upper, upper);
    }

    private SearchScratch Rent()
    {
        if (!_scratch.TryTake(out var s)) s = new SearchScratch(_queryBytes);
        return s;
    }

    private void Return(SearchScratch s) => _scratch.Add(s);

    public void Dispose()
    {
        _vectors.Dispose();
        while (_scratch.TryTake(out var s)) s.Dispose();
    }

    private sealed record Entry(int Node, int Level);

    /// <summary>Per-search state: heaps, visited tags and two prepared query buffers.</summary>
    private sealed class SearchScratch : IDisposable
    {
        private readonly Storage.AlignedBuffer _query, _other;

        public SearchScratch(int queryBytes)
        {
            _query = new Storage.AlignedBuffer(queryBytes);
            _other = new Storage.AlignedBuffer(queryBytes);
        }

        public readonly NodeHeap Candidates = new(maxAtRoot: true);
        public readonly NodeHeap Results = new(maxAtRoot: false);
        public readonly VisitedSet Visited = new();
        public float QueryScale = 1f;
        public byte* Query => _query.Data;
        public byte* Other => _other.Data;

        /// <summary>The results, best first.</summary>
        public List<(float Score, int Node)> Sorted()
        {
            var list = new List<(float Score, int Node)>(Results.Count);
            for (int i = 0; i < Results.Count; i++) list.Add((Results.Scores[i], Results.Nodes[i]));
            list.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Node.CompareTo(b.Node));
            return list;
        }

        public void Dispose()
        {
            _query.Dispose();
            _other.Dispose();
        }
    }
}
