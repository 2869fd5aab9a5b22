using System.Runtime.CompilerServices;

namespace FaceMatch.Matching.Search;

/// <summary>
/// The best <c>k</c> (score, row) pairs seen so far: a bounded min-heap whose root is the worst kept entry.
/// Order is by score descending, then row ascending, so results are deterministic whatever the partitioning
/// (rows keep their insertion order through compaction, so ties go to the earlier enrolment).
/// </summary>
internal sealed class TopK
{
    private readonly float[] _scores;
    private readonly int[] _rows;
    private readonly float _minScore;
    private int _count;

    public TopK(int k, float minScore = float.NegativeInfinity)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive");
        _scores = new float[k];
        _rows = new int[k];
        _minScore = minScore;
        Gate = minScore;
    }

    public int Capacity => _scores.Length;
    public int Count => _count;

    /// <summary>A score below this cannot enter; one at or above it may (<see cref="Offer"/> decides ties).</summary>
    public float Gate { get; private set; }

    /// <summary>True if (score, row) ranks before (otherScore, otherRow).</summary>
    public static bool Better(float score, int row, float otherScore, int otherRow) =>
        score > otherScore || (score == otherScore && row < otherRow);

    // Called only for the rare rows that pass the gate: kept out of line (small scan loop) and fully optimised
    // from the first call (a benchmark's first passes would otherwise time tier-0 code).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public void Offer(float score, int row)
    {
        if (!(score >= _minScore)) return;
        if (_count < _scores.Length)
        {
            int i = _count++;
            _scores[i] = score;
            _rows[i] = row;
            SiftUp(i);
            if (_count == _scores.Length) Gate = Math.Max(_scores[0], _minScore);
            return;
        }
        if (!Better(score, row, _scores[0], _rows[0])) return;
        _scores[0] = score;
        _rows[0] = row;
        SiftDown(0);
        Gate = Math.Max(_scores[0], _minScore);
    }

    /// <summary>Appends the kept entries (unordered) to the lists.</summary>
    public void CopyTo(List<(float Score, int Row)> into)
    {
        for (int i = 0; i < _count; i++) into.Add((_scores[i], _rows[i]));
    }

    /// <summary>Kept entries, best first.</summary>
    public (float Score, int Row)[] ToSortedArray()
    {
        var list = new List<(float, int)>(_count);
        CopyTo(list);
        return SortBestFirst(list, _count);
    }

    /// <summary>Sorts best first and keeps the first <paramref name="k"/>.</summary>
    public static (float Score, int Row)[] SortBestFirst(List<(float Score, int Row)> entries, int k)
    {
        entries.Sort(static (a, b) => Better(a.Score, a.Row, b.Score, b.Row) ? -1 : Better(b.Score, b.Row, a.Score, a.Row) ? 1 : 0);
        int n = Math.Min(k, entries.Count);
        var result = new (float, int)[n];
        for (int i = 0; i < n; i++) result[i] = entries[i];
        return result;
    }

    // Heap order: parent is worse than (or equal to) its children.
    private bool Worse(int a, int b) => Better(_scores[b], _rows[b], _scores[a], _rows[a]);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Worse(i, parent)) break;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < _count && Worse(l, worst)) worst = l;
            if (r < _count && Worse(r, worst)) worst = r;
            if (worst == i) return;
            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_rows[a], _rows[b]) = (_rows[b], _rows[a]);
    }
}
