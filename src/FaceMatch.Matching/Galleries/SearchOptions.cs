using FaceMatch.Matching.Kernels;

namespace FaceMatch.Matching.Galleries;

/// <summary>Which matrices (or index) a search reads.</summary>
public enum SearchStrategy
{
    /// <summary>
    /// The approximate index once the gallery has one (see <see cref="GalleryOptions.IndexThreshold"/>); below it,
    /// two-stage when the gallery is compressed and keeps float32, otherwise a scan of whatever it holds.
    /// </summary>
    Default = 0,
    /// <summary>float32 scan only (exact scores). Needs a float32 matrix.</summary>
    Exact = 1,
    /// <summary>Compressed scan only: approximate scores, least memory traffic.</summary>
    CompressedOnly = 2,
    /// <summary>Compressed scan for <see cref="SearchOptions.RerankDepth"/> candidates, then exact float32 re-rank of those.</summary>
    TwoStage = 3,
    /// <summary>
    /// The approximate index (HNSW) when the gallery has one, its candidates re-ranked exactly; what Default does
    /// too. Without an index it is the Default scan.
    /// </summary>
    Approximate = 4,
}

/// <summary>Where the scan runs.</summary>
public enum SearchDevice
{
    Cpu = 0,
    /// <summary>The CUDA kernel in native/cuda (libfacematch_cuda.so); float32 exact scans only.</summary>
    Cuda = 1,
}

/// <summary>Per-search knobs; the defaults suit a single query on one thread.</summary>
public sealed record SearchOptions
{
    public static SearchOptions Default { get; } = new();

    /// <summary>Threads to split the rows across (each scans a contiguous partition).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Rows below which a search does not add another thread.</summary>
    public int MinRowsPerThread { get; init; } = 4096;

    /// <summary>Kernel path for the scan (Auto = fastest supported). Forcing one is for tests and benchmarks.</summary>
    public KernelPath Kernel { get; init; } = KernelPath.Auto;

    /// <summary>How a batch is scored (Auto: packed panels for large float batches on AVX-512). Forcing one is for tests and benchmarks.</summary>
    public BatchKernel BatchKernel { get; init; } = BatchKernel.Auto;

    public SearchStrategy Strategy { get; init; } = SearchStrategy.Default;

    /// <summary>Two-stage candidates per query; 0 = max(4k, 32).</summary>
    public int RerankDepth { get; init; }

    /// <summary>Only matches scoring at least this (cosine) are returned.</summary>
    public float MinScore { get; init; } = float.NegativeInfinity;

    public SearchDevice Device { get; init; } = SearchDevice.Cpu;

    /// <summary>Approximate searches: candidates the graph search keeps (and the re-rank scores); 0 = the gallery's IndexEfSearch.</summary>
    public int Ef { get; init; }
}

/// <summary>One search hit: the enrolled id and its cosine similarity to the query.</summary>
public readonly record struct Match(string Id, float Score);

/// <summary>One enrolled vector as a loader supplies it (e.g. the vault at start-up).</summary>
public sealed record GalleryRecord(string Id, ReadOnlyMemory<float> Vector);

/// <summary>What a gallery holds in memory.</summary>
/// <param name="NativeBytes">Native bytes of its matrices (capacity, not only used rows).</param>
/// <param name="Capacity">Rows allocated.</param>
/// <param name="Rows">Rows written, live and tombstoned.</param>
/// <param name="LiveRows">Rows searchable.</param>
/// <param name="TombstonedRows">Removed rows still occupying space until compaction.</param>
/// <param name="BytesPerRow">Native bytes per row across all matrices.</param>
/// <param name="ManagedBytesEstimate">Rough size of the id strings, id map and flags on the managed heap.</param>
public readonly record struct GalleryMemoryUsage(long NativeBytes, int Capacity, int Rows, int LiveRows, int TombstonedRows,
    long BytesPerRow, long ManagedBytesEstimate)
{
    /// <summary>The approximate index, if built: its int8 vectors (native) and links (managed), in bytes.</summary>
    public long IndexBytes { get; init; }
}
