using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Search;

/// <summary>
/// The 1:N scan: rows [0, rowCount) of one matrix against a batch of prepared queries, each query feeding its own
/// bounded top-k heap. Rows are cut into contiguous partitions, one per thread, each with private heaps merged
/// at the end. Within a partition the rows go by in blocks small enough to stay in L2; every group of four
/// queries scores the block with one kernel call, so a batch of B queries reads each row from memory once,
/// not B times.
/// </summary>
internal static unsafe class ScanEngine
{
    /// <summary>Block size target: small enough that a block read for the first query group is still in L2 for the next.</summary>
    private const int BlockBytes = 256 * 1024;
    private const int MaxBlockRows = 1024;

    /// <summary>
    /// Scans and returns, per query, up to <paramref name="k"/> (score, row) pairs best first. Scores are the
    /// matrix's own (exact for float32, approximate for float16/int8). Tombstoned rows never enter a heap.
    /// </summary>
    public static (float Score, int Row)[][] Run(in ScanMatrix matrix, int rowCount, PreparedQueries queries,
        byte[] deadFlags, int k, float minScore, int threads)
    {
        // The caller decides how many threads are worth it; never more partitions than blocks of 64 rows.
        int partitions = Math.Max(1, Math.Min(threads, (rowCount + 63) / 64));
        var heaps = new TopK[partitions][];
        for (int p = 0; p < partitions; p++)
        {
            heaps[p] = new TopK[queries.Count];
            for (int q = 0; q < queries.Count; q++) heaps[p][q] = new TopK(k, minScore);
        }

        int blockRows = BlockRows(matrix.Stride);
        // Partition boundaries on block multiples keep each thread's blocks aligned the same way as a single scan's.
        int perPartition = (rowCount + partitions - 1) / partitions;
        perPartition = (perPartition + blockRows - 1) / blockRows * blockRows;

        if (partitions == 1)
        {
            ScanRange(matrix, 0, rowCount, queries, heaps[0], deadFlags, blockRows);
        }
        else
        {
            var m = matrix;
            Parallel.For(0, partitions, new ParallelOptions { MaxDegreeOfParallelism = partitions }, p =>
            {
                int start = Math.Min(rowCount, p * perPartition);
                int end = Math.Min(rowCount, start + perPartition);
                if (start < end) ScanRange(m, start, end, queries, heaps[p], deadFlags, blockRows);
            });
        }

        var results = new (float, int)[queries.Count][];
        var merged = new List<(float Score, int Row)>(k * partitions);
        for (int q = 0; q < queries.Count; q++)
        {
            merged.Clear();
            for (int p = 0; p < partitions; p++) heaps[p][q].CopyTo(merged);
            results[q] = TopK.SortBestFirst(merged, k);
        }
        return results;
    }

    public static int BlockRows(int stride) => Math.Clamp(BlockBytes / stride, 16, MaxBlockRows) & ~3;

    private static void ScanRange(in ScanMatrix matrix, int start, int end, PreparedQueries queries, TopK[] heaps,
        byte[] deadFlags, int blockRows)
    {
        var scorer = queries.Scorer;
        int steps = queries.Steps;
        nint stride = matrix.Stride;
        int nq = queries.Count;
        float* scores = stackalloc float[blockRows * 4];
        for (int b = start; b < end; b += blockRows)
        {
            int n = Math.Min(blockRows, end - b);
            byte* block = matrix.Data + b * stride;
            int q = 0;
            for (; q + 4 <= nq; q += 4)
            {
                scorer.Score4(block, stride, n, queries.Query(q), queries.Pitch, steps, scores, blockRows);
                for (int j = 0; j < 4; j++)
                    Collect(heaps[q + j], scores + j * blockRows, b, n, matrix.Scales, queries, q + j, deadFlags);
            }
            for (; q < nq; q++)
            {
                scorer.Score1(block, stride, n, queries.Query(q), steps, scores);
                Collect(heaps[q], scores, b, n, matrix.Scales, queries, q, deadFlags);
            }
        }
    }

    /// <summary>Turns raw sums into scores (int8: bias off, both scales on) and offers those past the heap's gate.</summary>
    private static void Collect(TopK heap, float* raw, int firstRow, int n, float* rowScales, PreparedQueries queries,
        int q, byte[] deadFlags)
    {
        float gate = heap.Gate;
        if (rowScales != null)
        {
            float bias = queries.Bias[q], scale = queries.Scale[q];
            float* rs = rowScales + firstRow;
            for (int r = 0; r < n; r++)
            {
                float s = (raw[r] - bias) * scale * rs[r];
                if (s >= gate && deadFlags[firstRow + r] == 0)
                {
                    heap.Offer(s, firstRow + r);
                    gate = heap.Gate;
                }
            }
        }
        else
        {
            for (int r = 0; r < n; r++)
            {
                float s = raw[r];
                if (s >= gate && deadFlags[firstRow + r] == 0)
                {
                    heap.Offer(s, firstRow + r);
                    gate = heap.Gate;
                }
            }
        }
    }
}
