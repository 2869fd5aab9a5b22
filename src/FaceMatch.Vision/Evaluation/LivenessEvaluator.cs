namespace FaceMatch.Vision.Evaluation;

/// <summary>One scored image of a liveness set: 0..1, higher meaning live.</summary>
public sealed record ScoredImage(string Path, bool Live, double Score);

/// <summary>
/// Presentation-attack detection error rates in ISO/IEC 30107-3 terms, at a threshold (an image is classified live
/// when its score is at or above it): APCER, the share of attack presentations classified live, and BPCER, the share
/// of bona fide (live) presentations classified as attacks.
/// </summary>
public sealed record LivenessReport(IReadOnlyList<ScoredImage> Scored, IReadOnlyList<string> FailedImages)
{
    public IReadOnlyList<double> LiveScores { get; } = Scored.Where(s => s.Live).Select(s => s.Score).ToList();
    public IReadOnlyList<double> SpoofScores { get; } = Scored.Where(s => !s.Live).Select(s => s.Score).ToList();

    /// <summary>Attacks classified live at <paramref name="threshold"/>; null without attack images.</summary>
    public double? Apcer(double threshold) => SpoofScores.Count == 0 ? null : SpoofScores.Count(s => s >= threshold) / (double)SpoofScores.Count;

    /// <summary>Live images classified as attacks at <paramref name="threshold"/>; null without live images.</summary>
    public double? Bpcer(double threshold) => LiveScores.Count == 0 ? null : LiveScores.Count(s => s < threshold) / (double)LiveScores.Count;

    /// <summary>
    /// The lowest threshold at which APCER is at most <paramref name="apcer"/>, and the BPCER there (null without both
    /// kinds of image). With n attacks, at most ⌊apcer·n⌋ may be classified live, so 1e-2 needs 100 attacks to mean more than 0.
    /// </summary>
    public (double Threshold, double Bpcer)? AtApcer(double apcer)
    {
        if (LiveScores.Count == 0 || SpoofScores.Count == 0) return null;
        var (tar, threshold) = VerificationMetrics.AtFar(LiveScores, SpoofScores, apcer);
        return (threshold, 1 - tar);
    }

    /// <summary>AUC, d′ and the equal-error point of live against attack scores (null without both kinds of image).</summary>
    public VerificationMetrics? Separation =>
        LiveScores.Count == 0 || SpoofScores.Count == 0 ? null : VerificationMetrics.Compute(LiveScores, SpoofScores);
}

/// <summary>Scores every image of a <see cref="LivenessSet"/> once.</summary>
public static class LivenessEvaluator
{
    /// <param name="score">the image's liveness score, or null when it has no face (the image is then listed as failed).</param>
    public static async Task<LivenessReport> RunAsync(LivenessSet set, Func<string, Task<double?>> score, int parallelism = 4)
    {
        var images = set.Live.Select(p => (Path: p, Live: true)).Concat(set.Spoof.Select(p => (Path: p, Live: false))).ToArray();
        var scores = new double?[images.Length];
        await Parallel.ForAsync(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, _) =>
        {
            // An image that does not decode is a failed image like one without a face: counted, named, not scored.
            try { scores[i] = await score(images[i].Path); }
            catch (Exception e) when (e is not OutOfMemoryException) { scores[i] = null; }
        });
        var scored = new List<ScoredImage>();
        var failed = new List<string>();
        for (var i = 0; i < images.Length; i++)
        {
            if (scores[i] is { } s) scored.Add(new ScoredImage(images[i].Path, images[i].Live, s));
            else failed.Add(images[i].Path);
        }
        return new LivenessReport(scored, failed);
    }
}
