using FaceMatch.Matching.Kernels;

namespace FaceMatch.Matching.Galleries;

/// <summary>How a gallery stores its vectors and the limits it enforces.</summary>
public sealed record GalleryOptions
{
    public const int MaxSupportedDimension = 16384;

    /// <summary>Largest ef an index search may keep (its memory is proportional).</summary>
    public const int MaxEf = 100_000;

    /// <summary>Vector length (e.g. 128, 192, 512). Every vector added or searched must have it.</summary>
    public required int Dimension { get; init; }

    /// <summary>Element type of the scanned matrix. Float16 halves and Int8 quarters the bytes a scan reads.</summary>
    public VectorPrecision Precision { get; init; } = VectorPrecision.Float32;

    /// <summary>
    /// With Float16/Int8: also keep an exact float32 copy, used to re-rank the compressed scan's candidates
    /// (two-stage search) and for exact searches. Costs 4 bytes per element more.
    /// </summary>
    public bool KeepFloat32 { get; init; } = true;

    /// <summary>Rows allocated up front; the matrix doubles when full.</summary>
    public int InitialCapacity { get; init; } = 1024;

    /// <summary>Most live vectors this gallery accepts; adds beyond are refused with <see cref="GalleryLimitException"/>.</summary>
    public int MaxRows { get; init; } = 20_000_000;

    /// <summary>Longest id accepted, in UTF-16 characters.</summary>
    public int MaxIdLength { get; init; } = 256;

    /// <summary>Largest k a search may ask for.</summary>
    public int MaxK { get; init; } = 10_000;

    /// <summary>Most queries in one batched search.</summary>
    public int MaxBatch { get; init; } = 4096;

    /// <summary>Most threads one search may use.</summary>
    public int MaxThreads { get; init; } = 256;

    /// <summary>Compact in the background once tombstones are at least this fraction of the rows...</summary>
    public double CompactionDeadFraction { get; init; } = 0.2;

    /// <summary>...and at least this many.</summary>
    public int CompactionMinDead { get; init; } = 1024;

    /// <summary>Whether removals start compaction on their own (it can always be run with <see cref="Gallery.CompactAsync"/>).</summary>
    public bool BackgroundCompaction { get; init; } = true;

    /// <summary>
    /// Live vectors at which the approximate index (HNSW) is built in the background; 0 = never on its own
    /// (<see cref="Gallery.BuildIndexAsync"/> still builds one). Below it every search is an exact scan.
    /// </summary>
    public int IndexThreshold { get; init; } = 200_000;

    /// <summary>HNSW links per node (2M on the bottom level).</summary>
    public int IndexM { get; init; } = 16;

    /// <summary>HNSW candidates kept while inserting: larger builds slower and finds better links.</summary>
    public int IndexEfConstruction { get; init; } = 100;

    /// <summary>HNSW candidates kept while searching (and re-ranked exactly), unless a search sets its own Ef.</summary>
    public int IndexEfSearch { get; init; } = 64;

    /// <summary>The index is rebuilt once this fraction of its nodes (and at least 1024) are removed or replaced ones.</summary>
    public double IndexRebuildDeadFraction { get; init; } = 0.25;

    internal void Validate()
    {
        if (Dimension <= 0 || Dimension > MaxSupportedDimension)
            throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, $"dimension must be in 1..{MaxSupportedDimension}");
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "unknown precision");
        if (InitialCapacity <= 0) throw new ArgumentOutOfRangeException(nameof(InitialCapacity), InitialCapacity, "must be positive");
        if (MaxRows <= 0) throw new ArgumentOutOfRangeException(nameof(MaxRows), MaxRows, "must be positive");
        if (MaxIdLength <= 0) throw new ArgumentOutOfRangeException(nameof(MaxIdLength), MaxIdLength, "must be positive");
        if (MaxK <= 0) throw new ArgumentOutOfRangeException(nameof(MaxK), MaxK, "must be positive");
        if (MaxBatch <= 0) throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "must be positive");
        if (MaxThreads <= 0) throw new ArgumentOutOfRangeException(nameof(MaxThreads), MaxThreads, "must be positive");
        if (!(CompactionDeadFraction >= 0 && CompactionDeadFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(CompactionDeadFraction), CompactionDeadFraction, "must be in [0, 1]");
        if (CompactionMinDead < 1) throw new ArgumentOutOfRangeException(nameof(CompactionMinDead), CompactionMinDead, "must be at least 1");
        if (IndexThreshold < 0) throw new ArgumentOutOfRangeException(nameof(IndexThreshold), IndexThreshold, "must be >= 0 (0 = never)");
        if (IndexM < 2 || IndexM > 128) throw new ArgumentOutOfRangeException(nameof(IndexM), IndexM, "must be in 2..128");
        if (IndexEfConstruction < 1 || IndexEfConstruction > 10_000)
            throw new ArgumentOutOfRangeException(nameof(IndexEfConstruction), IndexEfConstruction, "must be in 1..10000");
        if (IndexEfSearch < 1 || IndexEfSearch > MaxEf) throw new ArgumentOutOfRangeException(nameof(IndexEfSearch), IndexEfSearch, $"must be in 1..{MaxEf}");
        if (!(IndexRebuildDeadFraction > 0 && IndexRebuildDeadFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(IndexRebuildDeadFraction), IndexRebuildDeadFraction, "must be in (0, 1]");
    }
}

/// <summary>A gallery limit (rows, k, batch, threads) was exceeded; the message says which and by how much.</summary>
public sealed class GalleryLimitException(string message) : InvalidOperationException(message);
