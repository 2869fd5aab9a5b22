using System.Runtime.CompilerServices;

namespace FaceMatch.Matching.Ann;

/// <summary>
/// The graph search's two queues, as plain binary heaps over (similarity, node) arrays: candidates to expand, best
/// first (max-heap), and the best results so far, bounded, worst at the root (min-heap). Reused across searches.
/// </summary>
internal sealed class NodeHeap(bool maxAtRoot)
{
    private float[] _scores = new float[64];
    private int[] _nodes = new int[64];

    public int Count { get; private set; }

    public float TopScore => _scores[0];
    public int TopNode => _nodes[0];

    public void Clear() => Count = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Above(float a, float b) => maxAtRoot ? a > b : a < b;

    public void Push(float score, int node)
    {
        if (Count == _scores.Length)
        {
            Array.Resize(ref _scores, Count * 2);
            Array.Resize(ref _nodes, Count * 2);
        }
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Above(score, _scores[parent])) break;
            _scores[i] = _scores[parent];
            _nodes[i] = _nodes[parent];
            i = parent;
        }
        _scores[i] = score;
        _nodes[i] = node;
    }

    public (float Score, int Node) Pop()
    {
        var top = (_scores[0], _nodes[0]);
        int n = --Count;
        if (n > 0)
        {
            float score = _scores[n];
            int node = _nodes[n];
            int i = 0;
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= n) break;
                if (child + 1 < n && Above(_scores[child + 1], _scores[child])) child++;
                if (!Above(_scores[child], score)) break;
                _scores[i] = _scores[child];
                _nodes[i] = _nodes[child];
                i = child;
            }
            _scores[i] = score;
            _nodes[i] = node;
        }
        return top;
    }

    /// <summary>The entries in heap order (unsorted); valid until the next change.</summary>
    public ReadOnlySpan<float> Scores => _scores.AsSpan(0, Count);
    public ReadOnlySpan<int> Nodes => _nodes.AsSpan(0, Count);
}

/// <summary>
/// Which nodes one search has visited: a tag per node, the search's tag a fresh number each time, so nothing is
/// cleared between searches (only when the tag wraps). One per search thread, from a pool.
/// </summary>
internal sealed class VisitedSet
{
    private ushort[] _tags = [];
    private ushort _current;

    public void Begin(int nodes)
    {
        if (_tags.Length < nodes) _tags = new ushort[Math.Max(nodes, _tags.Length * 2)];
        if (++_current == 0)
        {
            Array.Clear(_tags);
            _current = 1;
        }
    }

    /// <summary>Marks the node; true if it had not been visited in this search.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Visit(int node)
    {
        if (_tags[node] == _current) return false;
        _tags[node] = _current;
        return true;
    }
}
