using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FaceMatch.Vision;
using FaceMatch.Vision.Evaluation;

namespace FaceMatch.Cli.Commands.Bench;

/// <summary>What `facematch bench embed` runs.</summary>
internal sealed record EmbedBenchConfig
{
    /// <summary>A labelled folder (one sub-folder per person, `_` folders skipped), as `facematch eval DIR` reads it.</summary>
    public required string Folder { get; init; }
    /// <summary>Timed passes over every photo.</summary>
    public int Passes { get; init; } = 3;
    /// <summary>Untimed photos embedded first (model sessions, JIT and pools warmed).</summary>
    public int Warmup { get; init; } = 3;
    /// <summary>Photos in flight at once; 1 is one photo after another.</summary>
    public int Concurrency { get; init; } = 1;
    /// <summary>Where to write every scored pair as <c>path_a,path_b,same,score</c> (paths relative to the folder).</summary>
    public string? ScoresOut { get; init; }
}

/// <summary>
/// Photos per second through the whole per-photo path a Compare call takes (decode, detect, landmarks, align, embed
/// the largest face) over a labelled folder, and the accuracy of the same embeddings on all its genuine and impostor
/// pairs, so one run gives both sides of bench/compare's table.
/// </summary>
internal static class EmbedBenchmark
{
    public static async Task RunAsync(EmbedBenchConfig c, FaceAnalyzer analyzer, VisionOptions options, Utf8JsonWriter json, CancellationToken ct)
    {
        var set = EvaluationSet.FromFolder(c.Folder);
        var images = set.Images.ToArray();
        var encoded = images.Select(File.ReadAllBytes).ToArray();

        for (var i = 0; i < Math.Min(c.Warmup, images.Length); i++) await EmbedOrNull(analyzer, encoded[i], ct);

        var embeddings = new float[]?[images.Length];
        var latencyMs = new double[c.Passes * images.Length];
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var total = Stopwatch.StartNew();
        await Parallel.ForAsync(0, latencyMs.Length, new ParallelOptions { MaxDegreeOfParallelism = c.Concurrency, CancellationToken = ct },
            async (k, token) =>
            {
                var i = k % images.Length;
                var start = Stopwatch.GetTimestamp();
                embeddings[i] = await EmbedOrNull(analyzer, encoded[i], token);
                latencyMs[k] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            });
        var seconds = total.Elapsed.TotalSeconds;
        process.Refresh();
        var cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        Array.Sort(latencyMs);

        var index = images.Select((path, i) => (path, i)).ToDictionary(x => x.path, x => x.i);
        var genuine = new List<double>();
        var impostor = new List<double>();
        var csv = new StringBuilder("path_a,path_b,same,score\n");
        foreach (var pair in set.Pairs)
        {
            if (embeddings[index[pair.PathA]] is not { } a || embeddings[index[pair.PathB]] is not { } b) continue;
            var score = FaceAnalyzer.Similarity(a, b);
            (pair.Same ? genuine : impostor).Add(score);
            csv.Append(CultureInfo.InvariantCulture, $"{Relative(c.Folder, pair.PathA)},{Relative(c.Folder, pair.PathB)},{(pair.Same ? 1 : 0)},{score:R}\n");
        }
        if (c.ScoresOut is { } scoresOut) await File.WriteAllTextAsync(scoresOut, csv.ToString(), ct);
        var failed = images.Where((_, i) => embeddings[i] is null).Select(p => Relative(c.Folder, p)).ToArray();

        json.WriteStartObject();
        json.WriteString("benchmark", "embed");
        json.WriteNumber("photos", images.Length);
        json.WriteNumber("passes", c.Passes);
        json.WriteNumber("timed_photos", latencyMs.Length);
        json.WriteNumber("concurrency", c.Concurrency);
        json.WriteNumber("intra_op_threads", options.IntraOpThreads);
        json.WriteNumber("seconds", Math.Round(seconds, 4));
        json.WriteNumber("photos_per_sec", Math.Round(latencyMs.Length / seconds, 3));
        json.WriteNumber("ms_per_photo_p50", Math.Round(latencyMs[latencyMs.Length / 2], 3));
        json.WriteNumber("ms_per_photo_p90", Math.Round(latencyMs[Math.Min(latencyMs.Length - 1, (int)(latencyMs.Length * 0.9))], 3));
        json.WriteNumber("ms_per_photo_max", Math.Round(latencyMs[^1], 3));
        // The process's CPU time over the timed passes (every thread): what a photo costs whatever else the machine runs.
        json.WriteNumber("cpu_seconds", Math.Round(cpuSeconds, 4));
        json.WriteNumber("cpu_ms_per_photo", Math.Round(1000 * cpuSeconds / latencyMs.Length, 3));
        json.WriteString("detector", analyzer.DetectorId);
        json.WriteString("embedder", analyzer.EmbedderId);
        json.WriteNumber("genuine_pairs", genuine.Count);
        json.WriteNumber("impostor_pairs", impostor.Count);
        if (genuine.Count > 0 && impostor.Count > 0)
        {
            var m = VerificationMetrics.Compute(genuine, impostor);
            json.WriteNumber("auc", Math.Round(m.Auc, 6));
            json.WriteNumber("dprime", Math.Round(m.DPrime, 4));
            json.WriteNumber("eer", Math.Round(m.Eer, 6));
            json.WriteNumber("tar_at_far_1e-2", Math.Round(m.TarAtFar1e2, 6));
        }
        json.WriteStartArray("failed");
        foreach (var f in failed) json.WriteStringValue(f);
        json.WriteEndArray();
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteEndObject();
    }

    /// <summary>The largest face's embedding, or null when there is none or the photo does not decode (as `eval` counts it).</summary>
    private static async Task<float[]?> EmbedOrNull(FaceAnalyzer analyzer, byte[] encoded, CancellationToken ct)
    {
        try { return await analyzer.EmbedLargestFaceAsync(encoded, ct); }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException)) { return null; }
    }

    private static string Relative(string folder, string path) => Path.GetRelativePath(folder, path).Replace('\\', '/');
}
