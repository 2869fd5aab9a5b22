using FaceMatch.Matching.Gpu;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Search;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Galleries;

/// <summary>Runs one (batched) search over a pinned store: picks the matrices, scans, re-ranks.</summary>
internal static unsafe class GallerySearch
{
    public static (float Score, int Row)[][] Run(RowStore store, Gallery gallery, float[] normalized, int queryCount, int k,
        SearchOptions options)
    {
        int rows = store.Count;
        if (rows == 0) return Enumerable.Range(0, queryCount).Select(_ => Array.Empty<(float, int)>()).ToArray();
        var strategy = Plan(store, options.Strategy);

        if (options.Device == SearchDevice.Cuda)
        {
            if (strategy != SearchStrategy.Exact)
                throw new NotSupportedException("the CUDA path scans float32 only: use SearchStrategy.Exact on a gallery that keeps float32");
            return gallery.CudaMirror.Search(store, store.Id, rows, normalized, queryCount, k, options.MinScore);
        }

        if (strategy == SearchStrategy.Exact)
            return Scan(store, VectorPrecision.Float32, rows, normalized, queryCount, k, options.MinScore, options);

        if (strategy == SearchStrategy.CompressedOnly)
            return Scan(store, store.ScanPrecision, rows, normalized, queryCount, k, options.MinScore, options);

        // Two-stage: compressed scan keeps `depth` candidates per query, float32 decides among them.
        int depth = options.RerankDepth > 0 ? Math.Max(options.RerankDepth, k) : Math.Max(4 * k, 32);
        var candidates = Scan(store, store.ScanPrecision, rows, normalized, queryCount, depth, float.NegativeInfinity, options);
        return Rerank(store, normalized, queryCount, candidates, k, options.MinScore, options.Kernel);
    }

    /// <summary>Resolves Default and checks the store holds what the strategy needs.</summary>
    internal static SearchStrategy Plan(RowStore store, SearchStrategy requested)
    {
        bool compressed = store.ScanPrecision != VectorPrecision.Float32;
        switch (requested)
        {
            case SearchStrategy.Default:
            case SearchStrategy.Approximate: // here only without an index: the Default scan
                return !compressed ? SearchStrategy.Exact : store.HasFloat32 ? SearchStrategy.TwoStage : SearchStrategy.CompressedOnly;
            case SearchStrategy.Exact:
                if (!store.HasFloat32)
                    throw new NotSupportedException("an exact search needs float32 vectors; this gallery was created with KeepFloat32 = false");
                return SearchStrategy.Exact;
            case SearchStrategy.CompressedOnly:
                return compressed ? SearchStrategy.CompressedOnly : SearchStrategy.Exact;
            case SearchStrategy.TwoStage:
                if (!compressed) return SearchStrategy.Exact;
                if (!store.HasFloat32)
                    throw new NotSupportedException("a two-stage search re-ranks with float32 vectors; this gallery was created with KeepFloat32 = false");
                return SearchStrategy.TwoStage;
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "unknown strategy");
        }
    }

    private static (float, int)[][] Scan(RowStore store, VectorPrecision precision, int rows, float[] normalized, int queryCount,
        int k, float minScore, SearchOptions options)
    {
        var matrix = store.Matrix(precision) ?? throw new InvalidOperationException($"store holds no {precision} matrix");
        var scorer = BlockScorer.For(precision, KernelFor(options.Kernel, precision, strict: true));
        using var queries = new PreparedQueries(normalized, queryCount, store.Dimension, precision, scorer);
        int threads = Math.Max(1, Math.Min(options.Threads, rows / options.MinRowsPerThread));
        bool panels = KernelSupport.ResolveBatch(options.BatchKernel, precision, scorer.Path, queryCount) == BatchKernel.Panels;
        return ScanEngine.Run(matrix, rows, queries, store.DeadFlags, k, minScore, threads, panels);
    }

    private static (float, int)[][] Rerank(RowStore store, float[] normalized, int queryCount, (float Score, int Row)[][] candidates,
        int k, float minScore, KernelPath kernel)
    {
        var scorer = BlockScorer.For(VectorPrecision.Float32, KernelFor(kernel, VectorPrecision.Float32, strict: false));
        using var queries = new PreparedQueries(normalized, queryCount, store.Dimension, VectorPrecision.Float32, scorer);
        var results = new (float, int)[queryCount][];
        for (int q = 0; q < queryCount; q++)
        {
            var heap = new TopK(k, minScore);
            foreach (var (_, row) in candidates[q])
                heap.Offer(scorer.DotRow((byte*)store.Float32Row(row), queries.Query(q), queries.Steps, 0), row);
            results[q] = heap.ToSortedArray();
        }
        return results;
    }

    /// <summary>
    /// The path for one stage. A forced path that does not exist for this precision (e.g. the int8-only VNNI path
    /// for the float32 re-rank) falls back to the best one when <paramref name="strict"/> is false.
    /// </summary>
    private static KernelPath KernelFor(KernelPath requested, VectorPrecision precision, bool strict)
    {
        if (requested == KernelPath.Auto) return KernelSupport.Best(precision);
        if (strict || KernelSupport.IsSupported(requested, precision)) return KernelSupport.Resolve(requested, precision);
        return KernelSupport.Best(precision);
    }
}
