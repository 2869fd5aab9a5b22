namespace FaceMatch.Matching.Ann;

/// <summary>
/// A gallery's approximate index: the graph and which node holds each id. Updated by one writer at a time (the
/// gallery's lock, or the builder before it is published); searched without locks while pinned with a reference
/// count, so a rebuilt index can replace it while searches still run on it (the last one frees it).
/// </summary>
internal sealed class GalleryIndex
{
    private readonly Dictionary<string, int> _nodeOf = new(StringComparer.Ordinal);
    private int _refs = 1;

    public GalleryIndex(int dimension, int m, int efConstruction, int seed) =>
        Graph = new HnswGraph(dimension, m, efConstruction, seed);

    public HnswGraph Graph { get; }

    /// <summary>Ids the index returns (its live nodes).</summary>
    public int LiveCount => _nodeOf.Count;

    /// <summary>Single writer: indexes <paramref name="normalized"/> under <paramref name="id"/>, replacing its node if it had one.</summary>
    public void Upsert(string id, ReadOnlySpan<float> normalized)
    {
        if (_nodeOf.TryGetValue(id, out int old)) Graph.MarkDeleted(old);
        _nodeOf[id] = Graph.Add(normalized, id);
    }

    /// <summary>Single writer: the id is never returned again.</summary>
    public void Remove(string id)
    {
        if (_nodeOf.Remove(id, out int node)) Graph.MarkDeleted(node);
    }

    public bool TryAcquire()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _refs);
            if (refs == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs) return true;
        }
    }

    public void Release()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs == 0) Graph.Dispose();
        else if (refs < 0) throw new InvalidOperationException("index released more often than acquired");
    }
}
