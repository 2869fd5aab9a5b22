using System.Numerics;
using System.Runtime.Intrinsics;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Search;

/// <summary>
/// One step of a duplicate sweep: a batch of probes (rows of the gallery itself) against one block of rows, keeping
/// every pair at or above a threshold rather than a top-k. Only pairs (probe, row) with row &gt; probe are kept, so
/// each unordered pair is found once, when its earlier row is the probe.
/// </summary>
internal static unsafe class PairScan
{
    public static void ScoreBlock(in ScanMatrix matrix, int blockStart, int rows, PreparedQueries probes, int firstProbe,
        byte[] deadFlags, float gate, float[] scratch, List<(int Probe, int Row, float Score)> into)
    {
        var scorer = probes.Scorer;
        nint stride = matrix.Stride;
        byte* block = matrix.Data + blockStart * stride;
        int* sums = matrix.RowSums == null ? null : matrix.RowSums + blockStart;
        int nq = probes.Count;
        fixed (float* scores = scratch)
        {
            int q = 0;
            for (; q + 4 <= nq; q += 4)
            {
                scorer.Score4(block, stride, rows, probes.Query(q), probes.Pitch, probes.Steps, scores, rows, sums);
                for (int j = 0; j < 4; j++)
                    Keep(matrix, blockStart, rows, scores + j * rows, probes.Scale[q + j], firstProbe + q + j, deadFlags, gate, into);
            }
            for (; q < nq; q++)
            {
                scorer.Score1(block, stride, rows, probes.Query(q), probes.Steps, scores, sums);
                Keep(matrix, blockStart, rows, scores, probes.Scale[q], firstProbe + q, deadFlags, gate, into);
            }
        }
    }

    private static void Keep(in ScanMatrix matrix, int blockStart, int rows, float* raw, float probeScale, int probe,
        byte[] deadFlags, float gate, List<(int, int, float)> into)
    {
        if (Volatile.Read(ref deadFlags[probe]) != 0) return;
        // Rows up to the probe itself were paired with it when they were the probe.
        int first = Math.Max(0, probe + 1 - blockStart);
        if (first >= rows) return;
        float* rs = matrix.Scales == null ? null : matrix.Scales + blockStart;
        if (rs != null)
            for (int r = first; r < rows; r++) raw[r] = raw[r] * probeScale * rs[r];
        int i = first;
        if (Vector256.IsHardwareAccelerated)
        {
            var g = Vector256.Create(gate);
            for (; i + 8 <= rows; i += 8)
            {
                uint mask = Vector256.GreaterThanOrEqual(Vector256.Load(raw + i), g).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int j = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    Add(blockStart + j, raw[j], probe, deadFlags, into);
                }
            }
        }
        for (; i < rows; i++)
            if (raw[i] >= gate) Add(blockStart + i, raw[i], probe, deadFlags, into);
    }

    private static void Add(int row, float score, int probe, byte[] deadFlags, List<(int, int, float)> into)
    {
        if (Volatile.Read(ref deadFlags[row]) == 0) into.Add((probe, row, score));
    }
}
