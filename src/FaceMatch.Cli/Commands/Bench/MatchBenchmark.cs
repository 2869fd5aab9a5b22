using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Cli.Commands.Bench;

/// <summary>What `facematch bench match` runs.</summary>
internal sealed record MatchBenchConfig
{
    public int N { get; init; } = 200_000;
    public int Dim { get; init; } = 512;
    public int Queries { get; init; } = 200;
    public int Threads { get; init; } = 1;
    public VectorPrecision Precision { get; init; } = VectorPrecision.Float32;
    public int Batch { get; init; } = 1;
    public int K { get; init; } = 10;
    public int Seed { get; init; } = 42;
    public KernelPath Kernel { get; init; } = KernelPath.Auto;
    public BatchKernel BatchKernel { get; init; } = BatchKernel.Auto;
    /// <summary>Null: the default for the precision (f32 exact, f16 compressed scan only, i8 two-stage).</summary>
    public SearchStrategy? Strategy { get; init; }
    public int RerankDepth { get; init; }
    /// <summary>Timed queries: "random" (fresh random directions) or "genuine" (an enrolled vector plus noise).</summary>
    public string Probe { get; init; } = "random";
    public int AgreementQueries { get; init; } = 1000;
    /// <summary>Noise added to an enrolled vector to make a genuine probe (0.8 gives cosine ≈ 0.78 to it).</summary>
    public float GenuineNoise { get; init; } = 0.8f;
    public int WarmupPasses { get; init; } = 2;
    /// <summary>Keep warming up until this long has passed, so the JIT's tiered recompilation is done before timing.</summary>
    public double WarmupSeconds { get; init; } = 1.0;
}

/// <summary>
/// Builds a seeded random L2-normalised gallery, times Q queries in passes of B (each pass one scan of the
/// gallery shared by B queries), and for compressed precisions measures top-1 agreement with an exact float32
/// scan on genuine-like and on random probes.
/// </summary>
internal static class MatchBenchmark
{
    private const int AgreementBatch = 64;

    public static void Run(MatchBenchConfig c, Utf8JsonWriter json)
    {
        var strategy = c.Strategy ?? c.Precision switch
        {
            VectorPrecision.Float32 => SearchStrategy.Exact,
            VectorPrecision.Float16 => SearchStrategy.CompressedOnly,
            _ => SearchStrategy.TwoStage,
        };
        var kernel = KernelSupport.Resolve(c.Kernel, c.Precision);

        var build = Stopwatch.StartNew();
        using var gallery = new Gallery(new GalleryOptions
        {
            Dimension = c.Dim,
            Precision = c.Precision,
            KeepFloat32 = true, // the exact reference for agreement (and the re-rank) needs it
            InitialCapacity = c.N,
            MaxRows = Math.Max(c.N, 1),
            MaxBatch = Math.Max(c.Batch, AgreementBatch),
            MaxK = Math.Max(c.K, Math.Max(c.RerankDepth, 10_000)),
            MaxThreads = Math.Max(c.Threads, 1),
            BackgroundCompaction = false,
            // No approximate index: at N >= its threshold the background build would take a core from the timed scan.
            IndexThreshold = 0,
        });
        var rng = new RandomEmbeddings(c.Seed);
        // Rows whose vectors genuine probes are made from (chosen before generating, kept while generating).
        int genuineNeeded = c.AgreementQueries + (c.Probe == "genuine" ? c.Queries : 0);
        var chosen = new int[genuineNeeded];
        for (int i = 0; i < genuineNeeded; i++) chosen[i] = rng.NextInt(c.N);
        var keep = chosen.Distinct().ToDictionary(r => r, _ => (float[]?)null);
        var v = new float[c.Dim];
        for (int i = 0; i < c.N; i++)
        {
            rng.NextUnit(v);
            gallery.Upsert(i.ToString(System.Globalization.CultureInfo.InvariantCulture), v);
            if (keep.ContainsKey(i)) keep[i] = (float[])v.Clone();
        }
        double buildSeconds = build.Elapsed.TotalSeconds;

        int chosenAt = 0;
        float[] MakeQueries(int count, bool genuine)
        {
            var qs = new float[count * c.Dim];
            for (int q = 0; q < count; q++)
            {
                var dst = qs.AsSpan(q * c.Dim, c.Dim);
                if (genuine) rng.NextNear(keep[chosen[chosenAt++]], c.GenuineNoise, dst);
                else rng.NextUnit(dst);
            }
            return qs;
        }

        var options = new SearchOptions
        {
            Threads = c.Threads, Kernel = kernel, BatchKernel = c.BatchKernel, Strategy = strategy, RerankDepth = c.RerankDepth,
        };
        var scanned = strategy == SearchStrategy.Exact ? VectorPrecision.Float32 : c.Precision;
        var batchKernel = KernelSupport.ResolveBatch(c.BatchKernel, scanned, KernelSupport.Resolve(kernel, scanned), c.Batch);
        var timed = MakeQueries(c.Queries, c.Probe == "genuine");
        int passes = (c.Queries + c.Batch - 1) / c.Batch;
        var warm = Stopwatch.StartNew();
        for (int w = 0; w < c.WarmupPasses || warm.Elapsed.TotalSeconds < c.WarmupSeconds; w++)
        {
            int first = w % passes * c.Batch, count = Math.Min(c.Batch, c.Queries - first);
            gallery.SearchBatch(timed.AsSpan(first * c.Dim, count * c.Dim), count, c.K, options);
        }

        var passMs = new double[passes];
        var cpuBefore = ProcessCpu();
        var total = Stopwatch.StartNew();
        for (int p = 0; p < passes; p++)
        {
            int first = p * c.Batch, count = Math.Min(c.Batch, c.Queries - first);
            long t0 = Stopwatch.GetTimestamp();
            gallery.SearchBatch(timed.AsSpan(first * c.Dim, count * c.Dim), count, c.K, options);
            passMs[p] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        double seconds = total.Elapsed.TotalSeconds;
        double cpuSeconds = (ProcessCpu() - cpuBefore).TotalSeconds;
        Array.Sort(passMs);

        long scanBytesPerPass = (long)c.N * (RowLayout.RowBytes(c.Dim, scanned) + (scanned == VectorPrecision.Int8 ? sizeof(float) : 0));
        int rerankDepth = strategy == SearchStrategy.TwoStage ? (c.RerankDepth > 0 ? Math.Max(c.RerankDepth, c.K) : Math.Max(4 * c.K, 32)) : 0;

        json.WriteStartObject();
        json.WriteString("benchmark", "match");
        json.WriteNumber("n", c.N);
        json.WriteNumber("dim", c.Dim);
        json.WriteNumber("queries", c.Queries);
        json.WriteNumber("threads", c.Threads);
        json.WriteString("dtype", Dtype(c.Precision));
        json.WriteNumber("batch", c.Batch);
        json.WriteNumber("k", c.K);
        json.WriteString("kernel", kernel.ToString());
        json.WriteString("batch_kernel", batchKernel.ToString());
        json.WriteString("strategy", strategy.ToString());
        json.WriteNumber("rerank_depth", rerankDepth);
        json.WriteString("probe", c.Probe);
        json.WriteNumber("seed", c.Seed);
        json.WriteNumber("build_seconds", Math.Round(buildSeconds, 3));
        json.WriteNumber("seconds", Math.Round(seconds, 4));
        json.WriteNumber("queries_per_sec", Math.Round(c.Queries / seconds, 2));
        // CPU time of the whole process (every thread) over the timed passes: on a shared machine wall-clock rates swing
        // with the other load, the work per query much less.
        json.WriteNumber("cpu_seconds", Math.Round(cpuSeconds, 4));
        json.WriteNumber("queries_per_cpu_sec", Math.Round(c.Queries / Math.Max(cpuSeconds, 1e-6), 2));
        json.WriteNumber("passes", passes);
        json.WriteNumber("ms_per_pass_p50", Math.Round(passMs[passes / 2], 4));
        json.WriteNumber("ms_per_pass_p99", Math.Round(passMs[Math.Min(passes - 1, (int)(passes * 0.99))], 4));
        json.WriteNumber("scan_bytes_per_pass", scanBytesPerPass);
        json.WriteNumber("gb_per_sec", Math.Round(passes * (double)scanBytesPerPass / seconds / 1e9, 3));
        json.WriteNumber("gallery_native_bytes", gallery.MemoryUsage.NativeBytes);

        // float32 too when the batch goes through panels: their scores may differ from a single query's by rounding.
        if ((c.Precision != VectorPrecision.Float32 || batchKernel == BatchKernel.Panels) && c.AgreementQueries > 0)
        {
            // The reference: the exact scan of each query as if alone (tiles score every pair exactly as a single search).
            var exact = options with { Strategy = SearchStrategy.Exact, Kernel = KernelPath.Auto, BatchKernel = BatchKernel.Tiles };
            var (genuineTop1, genuineRecall) = Agreement(gallery, MakeQueries(c.AgreementQueries, genuine: true), c, options, exact);
            var (randomTop1, randomRecall) = Agreement(gallery, MakeQueries(c.AgreementQueries, genuine: false), c, options, exact);
            json.WriteNumber("top1_agreement", Math.Round(Math.Min(genuineTop1, randomTop1), 5));
            json.WriteNumber("top1_agreement_genuine", Math.Round(genuineTop1, 5));
            json.WriteNumber("top1_agreement_random", Math.Round(randomTop1, 5));
            json.WriteNumber("recall_at_k_genuine", Math.Round(genuineRecall, 5));
            json.WriteNumber("recall_at_k_random", Math.Round(randomRecall, 5));
            json.WriteNumber("agreement_queries", c.AgreementQueries);
            json.WriteNumber("genuine_noise", c.GenuineNoise);
        }
        json.WriteString("cpu", KernelSupport.DescribeCpu());
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteEndObject();
    }

    /// <summary>Share of queries whose top-1 id equals the exact scan's, and mean recall of the exact top-k.</summary>
    /// <summary>User + system time of this process so far, all threads.</summary>
    internal static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static (double Top1, double RecallAtK) Agreement(Gallery gallery, float[] queries, MatchBenchConfig c,
        SearchOptions options, SearchOptions exact)
    {
        int n = queries.Length / c.Dim, same = 0;
        double recall = 0;
        for (int first = 0; first < n; first += AgreementBatch)
        {
            int count = Math.Min(AgreementBatch, n - first);
            var span = queries.AsSpan(first * c.Dim, count * c.Dim);
            var got = gallery.SearchBatch(span, count, c.K, options);
            var want = gallery.SearchBatch(span, count, c.K, exact);
            for (int q = 0; q < count; q++)
            {
                if (got[q].Count > 0 && want[q].Count > 0 && got[q][0].Id == want[q][0].Id) same++;
                var wantIds = want[q].Select(m => m.Id).ToHashSet();
                recall += wantIds.Count == 0 ? 1 : got[q].Count(m => wantIds.Contains(m.Id)) / (double)wantIds.Count;
            }
        }
        return (same / (double)n, recall / n);
    }

    public static string Dtype(VectorPrecision p) => p switch
    {
        VectorPrecision.Float32 => "f32",
        VectorPrecision.Float16 => "f16",
        _ => "i8",
    };
}
