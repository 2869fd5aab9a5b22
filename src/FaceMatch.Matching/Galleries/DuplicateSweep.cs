using FaceMatch.Matching.Kernels;

namespace FaceMatch.Matching.Galleries;

/// <summary>What <see cref="Gallery.FindDuplicates"/> looks for and how it paces itself.</summary>
public sealed record DuplicateSweepOptions
{
    /// <summary>Pairs scoring at least this cosine are reported.</summary>
    public required float Threshold { get; init; }

    /// <summary>
    /// Gallery rows used as probes per pass over the gallery: the batch the register-tiled kernels share one read of
    /// the matrix among. More is faster (fewer passes) and holds more pairs at once.
    /// </summary>
    public int ProbesPerPass { get; init; } = 256;

    /// <summary>Most pairs in one <see cref="DuplicateBatch"/>; a pass with more hands them over in several.</summary>
    public int MaxPairsPerBatch { get; init; } = 4096;

    /// <summary>
    /// For a gallery without float32 vectors only: pairs down to <see cref="Threshold"/> minus this margin are reported
    /// (scores from the compressed matrix) so that the caller can confirm them with exact vectors. Negative = the
    /// default for the precision (float16 0.005, int8 0.03, about three times the largest quantisation error seen
    /// on unit vectors of 128 to 512 dimensions).
    /// </summary>
    public float CandidateMargin { get; init; } = -1;

    /// <summary>Kernel path for the scan (Auto = fastest supported).</summary>
    public KernelPath Kernel { get; init; } = KernelPath.Auto;

    internal float EffectiveMargin(VectorPrecision scanned) => scanned switch
    {
        VectorPrecision.Float32 => 0,
        _ when CandidateMargin >= 0 => CandidateMargin,
        VectorPrecision.Float16 => 0.005f,
        _ => 0.03f,
    };

    internal void Validate(int maxBatch)
    {
        if (!float.IsFinite(Threshold) || Threshold < -1 || Threshold > 1)
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "threshold must be a cosine within -1..1");
        if (ProbesPerPass < 1 || ProbesPerPass > maxBatch)
            throw new ArgumentOutOfRangeException(nameof(ProbesPerPass), ProbesPerPass, $"must be in 1..{maxBatch} (MaxBatch)");
        if (MaxPairsPerBatch < 1) throw new ArgumentOutOfRangeException(nameof(MaxPairsPerBatch), MaxPairsPerBatch, "must be positive");
        if (!float.IsFinite(CandidateMargin) || CandidateMargin > 2)
            throw new ArgumentOutOfRangeException(nameof(CandidateMargin), CandidateMargin, "must be at most 2 (negative: the default)");
    }
}

/// <summary>Two enrolled ids whose vectors score at least the sweep's threshold; <see cref="FirstId"/> was enrolled first.</summary>
public readonly record struct DuplicatePair(string FirstId, string SecondId, float Score);

/// <summary>
/// Pairs found since the previous batch, and how far the sweep has got.
/// </summary>
/// <param name="Pairs">The pairs (never the same pair twice in one sweep).</param>
/// <param name="ProbesDone">Vectors (of those live when the sweep started) whose pairs with every later one have been checked.</param>
/// <param name="Probes">Vectors the sweep covers: those live when it started.</param>
/// <param name="Progress">Share of the sweep's comparisons done, 0..1 (later probes have fewer rows to compare).</param>
/// <param name="Exact">True if scores are float32 (exact); false if they come from the compressed matrix and are
/// candidates down to the threshold minus the margin, to be confirmed.</param>
public sealed record DuplicateBatch(IReadOnlyList<DuplicatePair> Pairs, int ProbesDone, int Probes, double Progress, bool Exact);
