namespace FaceMatch.Vision.Evaluation;

/// <summary>What `facematch eval` prints: accuracy over the scored pairs, and the images that failed.</summary>
public sealed record EvaluationReport(
    VerificationMetrics Metrics,
    IReadOnlyList<string> FailedImages,
    int SkippedPairs,
    IReadOnlyList<double> GenuineScores,
    IReadOnlyList<double> ImpostorScores)
{
    /// <summary>Share of scored pairs decided right when accepting scores ≥ <paramref name="threshold"/>.</summary>
    public double AccuracyAt(double threshold) =>
        (GenuineScores.Count(s => s >= threshold) + ImpostorScores.Count(s => s < threshold))
        / (double)(GenuineScores.Count + ImpostorScores.Count);
}

/// <summary>Embeds every image of a set once, scores its pairs by cosine similarity and summarises.</summary>
public static class Evaluator
{
    /// <param name="embed">L2-normalised embedding of the image's largest face, or null when none was found.</param>
    public static async Task<EvaluationReport> RunAsync(EvaluationSet set, Func<string, Task<float[]?>> embed, int parallelism = 4)
    {
        var embeddings = new Dictionary<string, float[]?>();
        var images = set.Images.ToArray();
        var results = new float[]?[images.Length];
        await Parallel.ForAsync(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, _) =>
        {
            try { results[i] = await embed(images[i]); }
            catch (Exception e) when (e is not OutOfMemoryException) { results[i] = null; }
        });
        for (var i = 0; i < images.Length; i++) embeddings[images[i]] = results[i];

        var genuine = new List<double>();
        var impostor = new List<double>();
        var skipped = 0;
        foreach (var pair in set.Pairs)
        {
            if (embeddings[pair.PathA] is not { } a || embeddings[pair.PathB] is not { } b) { skipped++; continue; }
            (pair.Same ? genuine : impostor).Add(Cosine(a, b));
        }
        var failed = images.Where(i => embeddings[i] is null).ToArray();
        return new EvaluationReport(VerificationMetrics.Compute(genuine, impostor), failed, skipped, genuine, impostor);
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }
}
