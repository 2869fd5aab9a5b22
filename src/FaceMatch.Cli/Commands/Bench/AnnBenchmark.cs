using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Cli.Commands.Bench;

/// <summary>What `facematch bench ann` runs.</summary>
internal sealed record AnnBenchConfig
{
    public int N { get; init; } = 200_000;
    public int Dim { get; init; } = 512;
    public int Queries { get; init; } = 500;
    /// <summary>Enrolled samples per synthetic identity (N / Samples identities).</summary>
    public int Samples { get; init; } = 4;
    /// <summary>Noise of a sample around its identity's centre (0.8: cosine ≈ 0.78 to it, ≈ 0.6 between two samples).</summary>
    public float Noise { get; init; } = 0.8f;
    /// <summary>Identity centres on a random subspace of this many dimensions; 0 (or Dim): isotropic in all of them.</summary>
    public int IntrinsicDim { get; init; }
    public int K { get; init; } = 10;
    public int M { get; init; } = 16;
    public int EfConstruction { get; init; } = 100;
    /// <summary>Search ef values to measure, each on the same index and probes.</summary>
    public int[] Ef { get; init; } = [64];
    public VectorPrecision Precision { get; init; } = VectorPrecision.Float32;
    public int Seed { get; init; } = 42;
    /// <summary>Raw little-endian float32 files (N x Dim gallery, Queries x Dim probes) instead of generated identities, so
    /// another library (bench/faiss/compare_ann.py) can be measured on exactly the same vectors.</summary>
    public string? VectorsFile { get; init; }
    public string? ProbesFile { get; init; }
}

/// <summary>
/// Builds a gallery of synthetic identities (several noisy samples of each random centre, so a probe, a fresh sample of
/// a random identity, has true neighbours; centres isotropic or on a low-dimensional subspace, see IdentityCentres), times the exact scan and the approximate index on the same probes, one
/// query at a time on one thread, and reports recall of the index against the exact scan, build time and memory.
/// </summary>
internal static class AnnBenchmark
{
    public static void Run(AnnBenchConfig c, Utf8JsonWriter json)
    {
        using var gallery = new Gallery(new GalleryOptions
        {
            Dimension = c.Dim, Precision = c.Precision, InitialCapacity = c.N, MaxRows = Math.Max(c.N, 1),
            IndexThreshold = 0, IndexM = c.M, IndexEfConstruction = c.EfConstruction,
            BackgroundCompaction = false,
        });
        int identities = Math.Max(1, c.N / c.Samples);
        var centre = new float[c.Dim];
        var v = new float[c.Dim];
        var centres = new IdentityCentres(c.Seed, c.Dim, c.IntrinsicDim);
        var noise = new RandomEmbeddings(c.Seed);
        var fill = Stopwatch.StartNew();
        using (var file = c.VectorsFile is null ? null : VectorFile(c.VectorsFile, c.N, c.Dim))
        {
            for (int i = 0; i < c.N; i++)
            {
                if (file is null)
                {
                    centres.Centre(i % identities, centre);
                    noise.NextNear(centre, c.Noise, v);
                }
                else
                {
                    file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
                }
                gallery.Upsert(i.ToString(System.Globalization.CultureInfo.InvariantCulture), v);
            }
        }
        double fillSeconds = fill.Elapsed.TotalSeconds;

        var probes = new float[c.Queries][];
        using (var file = c.ProbesFile is null ? null : VectorFile(c.ProbesFile, c.Queries, c.Dim))
        {
            for (int q = 0; q < c.Queries; q++)
            {
                probes[q] = new float[c.Dim];
                if (file is not null)
                {
                    file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(probes[q].AsSpan()));
                    continue;
                }
                centres.Centre(noise.NextInt(identities), centre);
                noise.NextNear(centre, c.Noise, probes[q]);
            }
        }

        // The exact scan: the truth, and its speed one query at a time.
        var exactOptions = new SearchOptions { Strategy = SearchStrategy.Exact };
        gallery.Search(probes[0], c.K, exactOptions);
        var truth = new IReadOnlyList<Match>[c.Queries];
        var exactCpu = MatchBenchmark.ProcessCpu();
        var exactTime = Stopwatch.StartNew();
        for (int q = 0; q < c.Queries; q++) truth[q] = gallery.Search(probes[q], c.K, exactOptions);
        double exactQps = c.Queries / exactTime.Elapsed.TotalSeconds;
        // Per CPU second too (the process's user + system time): on a shared machine the wall clock swings with the load.
        double exactCpuQps = c.Queries / Math.Max(1e-6, (MatchBenchmark.ProcessCpu() - exactCpu).TotalSeconds);

        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var buildCpu = MatchBenchmark.ProcessCpu();
        var build = Stopwatch.StartNew();
        gallery.BuildIndexAsync().GetAwaiter().GetResult();
        double buildSeconds = build.Elapsed.TotalSeconds;
        double buildCpuSeconds = (MatchBenchmark.ProcessCpu() - buildCpu).TotalSeconds;
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        var usage = gallery.MemoryUsage;

        var runs = new List<(int Ef, double Qps, double Recall1, double Recall10, double P50Ms, double P99Ms, double CpuQps)>();
        foreach (int ef in c.Ef)
        {
            var options = new SearchOptions { Strategy = SearchStrategy.Approximate, Ef = ef };
            var warm = Stopwatch.StartNew();
            for (int w = 0; w < c.Queries && warm.Elapsed.TotalSeconds < 1; w++) gallery.Search(probes[w], c.K, options);
            var latencies = new double[c.Queries];
            int top1 = 0;
            double recall10 = 0;
            var cpu = MatchBenchmark.ProcessCpu();
            var timer = Stopwatch.StartNew();
            for (int q = 0; q < c.Queries; q++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var got = gallery.Search(probes[q], c.K, options);
                latencies[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (got.Count > 0 && truth[q].Count > 0 && got[0].Id == truth[q][0].Id) top1++;
                var want = truth[q].Select(m => m.Id).ToHashSet();
                recall10 += want.Count == 0 ? 1 : got.Count(m => want.Contains(m.Id)) / (double)want.Count;
            }
            double seconds = timer.Elapsed.TotalSeconds;
            double cpuSeconds = (MatchBenchmark.ProcessCpu() - cpu).TotalSeconds;
            Array.Sort(latencies);
            runs.Add((ef, c.Queries / seconds, top1 / (double)c.Queries, recall10 / c.Queries, latencies[c.Queries / 2],
                latencies[Math.Min(c.Queries - 1, (int)(c.Queries * 0.99))], c.Queries / Math.Max(1e-6, cpuSeconds)));
        }

        var first = runs[0];
        json.WriteStartObject();
        json.WriteString("benchmark", "ann");
        json.WriteString("index", "hnsw");
        json.WriteNumber("n", c.N);
        json.WriteNumber("dim", c.Dim);
        json.WriteNumber("queries", c.Queries);
        json.WriteNumber("identities", identities);
        json.WriteNumber("samples_per_identity", c.Samples);
        json.WriteNumber("noise", c.Noise);
        if (c.VectorsFile is null) json.WriteNumber("intrinsic_dim", centres.IntrinsicDimension);
        json.WriteString("dtype", MatchBenchmark.Dtype(c.Precision));
        json.WriteNumber("k", c.K);
        json.WriteNumber("m", c.M);
        json.WriteNumber("ef_construction", c.EfConstruction);
        json.WriteNumber("ef", first.Ef);
        json.WriteNumber("threads", 1);
        json.WriteNumber("queries_per_sec", Math.Round(first.Qps, 1));
        json.WriteNumber("recall_at_1", Math.Round(first.Recall1, 4));
        json.WriteNumber("recall_at_10", Math.Round(first.Recall10, 4));
        json.WriteNumber("ms_per_query_p50", Math.Round(first.P50Ms, 4));
        json.WriteNumber("ms_per_query_p99", Math.Round(first.P99Ms, 4));
        json.WriteNumber("exact_queries_per_sec", Math.Round(exactQps, 2));
        json.WriteNumber("exact_queries_per_cpu_sec", Math.Round(exactCpuQps, 2));
        json.WriteNumber("queries_per_cpu_sec", Math.Round(first.CpuQps, 1));
        json.WriteNumber("speedup_vs_exact", Math.Round(first.Qps / exactQps, 1));
        json.WriteNumber("fill_seconds", Math.Round(fillSeconds, 2));
        json.WriteNumber("build_seconds", Math.Round(buildSeconds, 2));
        json.WriteNumber("build_cpu_seconds", Math.Round(buildCpuSeconds, 2));
        json.WriteNumber("index_bytes", usage.IndexBytes);
        json.WriteNumber("index_managed_bytes_measured", Math.Max(0, managedAfter - managedBefore));
        json.WriteNumber("gallery_native_bytes", usage.NativeBytes);
        json.WriteNumber("process_working_set_bytes", Environment.WorkingSet);
        json.WriteStartArray("runs");
        foreach (var r in runs)
        {
            json.WriteStartObject();
            json.WriteNumber("ef", r.Ef);
            json.WriteNumber("queries_per_sec", Math.Round(r.Qps, 1));
            json.WriteNumber("recall_at_1", Math.Round(r.Recall1, 4));
            json.WriteNumber("recall_at_10", Math.Round(r.Recall10, 4));
            json.WriteNumber("ms_per_query_p50", Math.Round(r.P50Ms, 4));
            json.WriteNumber("speedup_vs_exact", Math.Round(r.Qps / exactQps, 1));
            json.WriteNumber("queries_per_cpu_sec", Math.Round(r.CpuQps, 1));
            json.WriteNumber("speedup_vs_exact_per_cpu_sec", Math.Round(r.CpuQps / exactCpuQps, 1));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("cpu", KernelSupport.DescribeCpu());
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteEndObject();
    }

    private static FileStream VectorFile(string path, int rows, int dim)
    {
        var file = File.OpenRead(path);
        if (file.Length != (long)rows * dim * sizeof(float))
        {
            file.Dispose();
            throw new ArgumentException($"{path} holds {file.Length} bytes; {rows} x {dim} float32 need {(long)rows * dim * sizeof(float)}");
        }
        return file;
    }
}
