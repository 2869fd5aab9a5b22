using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Search;

/// <summary>
/// The 1:N scan: rows [0, rowCount) of one matrix against a batch of prepared queries, each query feeding its own
/// bounded top-k heap. Rows are cut into contiguous partitions, one per thread, each with private heaps merged
/// at the end. Within a partition the rows go by in blocks small enough to stay in L2; every group of four
/// queries scores the block with one kernel call, so a batch of B queries reads each row from memory once,
/// not B times. Large float batches on AVX-512 go through packed panels instead (<see cref="PanelKernels"/>): each
/// block is packed once, k-major, and every group of eight queries runs the matrix-multiply microkernel over it.
/// </summary>
internal static unsafe class ScanEngine
{
    /// <summary>Block size target: small enough that a block read for the first query group is still in L2 for the next.</summary>
    private const int BlockBytes = 256 * 1024;
    private const int MaxBlockRows = 1024;

    /// <summary>
    /// Packed block target (96 rows at d = 512): its panels, the next block being prefetched and a share of the query
    /// groups fit in L2 (1 MB on this Zen 5) together; 192 KB measured a little faster than 256 and 384 KB.
    /// </summary>
    private const int PanelBlockBytes = 192 * 1024;

    /// <summary>
    /// Scans and returns, per query, up to <paramref name="k"/> (score, row) pairs best first. Scores are the
    /// matrix's own (exact for float32, approximate for float16/int8). Tombstoned rows never enter a heap.
    /// </summary>
    public static (float Score, int Row)[][] Run(in ScanMatrix matrix, int rowCount, PreparedQueries queries,
        byte[] deadFlags, int k, float minScore, int threads, bool panels = false)
    {
        // The caller decides how many threads are worth it; never more partitions than blocks of 64 rows.
        int partitions = Math.Max(1, Math.Min(threads, (rowCount + 63) / 64));
        var heaps = new TopK[partitions][];
        for (int p = 0; p < partitions; p++)
        {
            heaps[p] = new TopK[queries.Count];
            for (int q = 0; q < queries.Count; q++) heaps[p][q] = new TopK(k, minScore);
        }

        int depth = queries.Steps * queries.Scorer.ElementsPerStep;
        int blockRows = panels ? PanelBlockRows(depth) : BlockRows(matrix.Stride);
        using var groups = panels ? PackQueryGroups(queries, depth) : null;
        // Partition boundaries on block multiples keep each thread's blocks aligned the same way as a single scan's.
        int perPartition = (rowCount + partitions - 1) / partitions;
        perPartition = (perPartition + blockRows - 1) / blockRows * blockRows;

        if (partitions == 1)
        {
            if (groups != null) ScanRangePanels(matrix, 0, rowCount, queries, groups, depth, heaps[0], deadFlags, blockRows);
            else ScanRange(matrix, 0, rowCount, queries, heaps[0], deadFlags, blockRows);
        }
        else
        {
            var m = matrix;
            Parallel.For(0, partitions, new ParallelOptions { MaxDegreeOfParallelism = partitions }, p =>
            {
                int start = Math.Min(rowCount, p * perPartition);
                int end = Math.Min(rowCount, start + perPartition);
                if (start >= end) return;
                if (groups != null) ScanRangePanels(m, start, end, queries, groups, depth, heaps[p], deadFlags, blockRows);
                else ScanRange(m, start, end, queries, heaps[p], deadFlags, blockRows);
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

    private static int PanelBlockRows(int depth) =>
        Math.Clamp(PanelBlockBytes / (depth * sizeof(float)) / PanelKernels.PanelRows, 1, MaxBlockRows / PanelKernels.PanelRows)
        * PanelKernels.PanelRows;

    /// <summary>The batch as k-major groups of eight queries, the layout the microkernel broadcasts from.</summary>
    private static AlignedBuffer PackQueryGroups(PreparedQueries queries, int depth)
    {
        int groups = (queries.Count + PanelKernels.TileQueries - 1) / PanelKernels.TileQueries;
        nint groupFloats = (nint)depth * PanelKernels.TileQueries;
        var buffer = new AlignedBuffer(groups * groupFloats * sizeof(float));
        for (int g = 0; g < groups; g++)
        {
            int first = g * PanelKernels.TileQueries;
            PanelKernels.PackQueries(queries.Query(first), queries.Pitch, Math.Min(PanelKernels.TileQueries, queries.Count - first),
                depth, (float*)buffer.Data + g * groupFloats);
        }
        return buffer;
    }

    /// <summary>
    /// One partition through packed panels: each block is packed once (its rows read from memory once per batch, the
    /// next block prefetched into L2 while this one is scored), then every query group runs the microkernel over
    /// all its panels and offers its eight queries' scores.
    /// </summary>
    private static void ScanRangePanels(in ScanMatrix matrix, int start, int end, PreparedQueries queries, AlignedBuffer groups,
        int depth, TopK[] heaps, byte[] deadFlags, int blockRows)
    {
        const int width = PanelKernels.PanelRows, tile = PanelKernels.TileQueries;
        nint stride = matrix.Stride;
        int nq = queries.Count;
        int groupCount = (nq + tile - 1) / tile;
        nint panelFloats = (nint)depth * width;
        int rowsHere = Math.Min(blockRows, (end - start + width - 1) / width * width);
        // Per partition, for this scan only: bounded by the block size whatever the gallery or batch.
        using var panelBuffer = new AlignedBuffer(rowsHere * (nint)depth * sizeof(float));
        float* panels = (float*)panelBuffer.Data;
        float* queryGroups = (float*)groups.Data;
        float* scores = stackalloc float[tile * blockRows];
        for (int b = start; b < end; b += blockRows)
        {
            int n = Math.Min(blockRows, end - b);
            PanelKernels.Pack(queries.Precision, matrix.Data + b * stride, stride, n, depth, panels);
            int panelCount = (n + width - 1) / width;

            // The next block's lines into L2, depth / 8 lines per tile call, so the packing then reads them from there;
            // once past its end the calls re-touch this block's rows (cached: harmless).
            byte* next = matrix.Data + (b + n) * stride;
            nint nextBytes = b + n < end ? Math.Min(blockRows, end - b - n) * stride : 0;
            nint perCall = depth / PanelKernels.ElementsPerPrefetch * 64, at = 0;
            byte* here = matrix.Data + b * stride;

            for (int g = 0; g < groupCount; g++)
            {
                float* group = queryGroups + g * (nint)depth * tile;
                for (int p = 0; p < panelCount; p++, at += perCall)
                    PanelKernels.Tile(panels + p * panelFloats, group, depth, scores + p * width, blockRows,
                        at + perCall <= nextBytes ? next + at : here);
                int first = g * tile;
                for (int j = 0, live = Math.Min(tile, nq - first); j < live; j++)
                    Collect(heaps[first + j], scores + j * blockRows, b, n, matrix.Scales, queries, first + j, deadFlags);
            }
        }
    }

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
            int* sums = matrix.RowSums == null ? null : matrix.RowSums + b;
            int q = 0;
            for (; q + 4 <= nq; q += 4)
            {
                scorer.Score4(block, stride, n, queries.Query(q), queries.Pitch, steps, scores, blockRows, sums);
                for (int j = 0; j < 4; j++)
                    Collect(heaps[q + j], scores + j * blockRows, b, n, matrix.Scales, queries, q + j, deadFlags);
            }
            for (; q < nq; q++)
            {
                scorer.Score1(block, stride, n, queries.Query(q), steps, scores, sums);
                Collect(heaps[q], scores, b, n, matrix.Scales, queries, q, deadFlags);
            }
        }
    }

    /// <summary>
    /// Turns raw sums into scores (int8: both scales on) and offers those at or past the heap's gate.
    /// Once the heap is full almost no row passes, so the gate test runs eight rows per compare and only the
    /// rare passing row touches the tombstone flags and the heap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Collect(TopK heap, float* raw, int firstRow, int n, float* rowScales, PreparedQueries queries,
        int q, byte[] deadFlags)
    {
        if (rowScales != null)
        {
            // Same operations, same order, in the vector body and the scalar tail: a row's score never depends on
            // where in a block it falls.
            float scale = queries.Scale[q];
            float* rs = rowScales + firstRow;
            int r = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vs = Vector256.Create(scale);
                for (; r + 8 <= n; r += 8)
                    ((Vector256.Load(raw + r) * vs) * Vector256.Load(rs + r)).Store(raw + r);
            }
            for (; r < n; r++) raw[r] = raw[r] * scale * rs[r];
        }

        float gate = heap.Gate;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                uint mask = Vector256.GreaterThanOrEqual(Vector256.Load(raw + i), Vector256.Create(gate)).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int j = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    Offer(heap, raw[j], firstRow + j, deadFlags, ref gate);
                }
            }
        }
        for (; i < n; i++)
            if (raw[i] >= gate) Offer(heap, raw[i], firstRow + i, deadFlags, ref gate);
    }

    private static void Offer(TopK heap, float score, int row, byte[] deadFlags, ref float gate)
    {
        if (score < gate || deadFlags[row] != 0) return;
        heap.Offer(score, row);
        gate = heap.Gate;
    }
}
