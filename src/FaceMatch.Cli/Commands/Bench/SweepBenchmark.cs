using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Cli.Commands.Bench;

/// <summary>What `facematch bench sweep` runs.</summary>
internal sealed record SweepBenchConfig
{
    public int N { get; init; } = 100_000;
    public int Dim { get; init; } = 512;
    public int Samples { get; init; } = 4;
    public float Noise { get; init; } = 0.8f;
    public float Threshold { get; init; } = 0.5f;
    public int ProbesPerPass { get; init; } = 256;
    public VectorPrecision Precision { get; init; } = VectorPrecision.Float32;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// Times <see cref="Gallery.FindDuplicates"/> over a gallery of synthetic identities (several noisy samples per
/// random centre, so the pairs within an identity are the duplicates to find) and reports the pairs found, how many
/// of the identities' own pairs they cover, comparisons per second and the memory the sweep added.
/// </summary>
internal static class SweepBenchmark
{
    public static void Run(SweepBenchConfig c, Utf8JsonWriter json)
    {
        using var gallery = new Gallery(new GalleryOptions
        {
            Dimension = c.Dim, Precision = c.Precision, KeepFloat32 = true, InitialCapacity = c.N, MaxRows = Math.Max(1, c.N),
            IndexThreshold = 0, BackgroundCompaction = false, MaxBatch = Math.Max(4096, c.ProbesPerPass),
        });
        int identities = Math.Max(1, c.N / c.Samples);
        var centre = new float[c.Dim];
        var v = new float[c.Dim];
        var noise = new RandomEmbeddings(c.Seed);
        for (int i = 0; i < c.N; i++)
        {
            new RandomEmbeddings(unchecked(c.Seed * 7919 + i % identities + 1)).NextUnit(centre);
            noise.NextNear(centre, c.Noise, v);
            gallery.Upsert(i.ToString(System.Globalization.CultureInfo.InvariantCulture), v);
        }

        GC.Collect();
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetBefore = Environment.WorkingSet;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long pairs = 0, sameIdentity = 0, batches = 0, largestBatch = 0;
        long peakWorkingSet = workingSetBefore;
        var cpuBefore = MatchBenchmark.ProcessCpu();
        var timer = Stopwatch.StartNew();
        foreach (var batch in gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = c.Threshold, ProbesPerPass = c.ProbesPerPass }))
        {
            batches++;
            pairs += batch.Pairs.Count;
            largestBatch = Math.Max(largestBatch, batch.Pairs.Count);
            foreach (var p in batch.Pairs)
                if (int.Parse(p.FirstId, System.Globalization.CultureInfo.InvariantCulture) % identities ==
                    int.Parse(p.SecondId, System.Globalization.CultureInfo.InvariantCulture) % identities) sameIdentity++;
            if ((batches & 63) == 0) peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
        }
        double seconds = timer.Elapsed.TotalSeconds;
        double cpuSeconds = (MatchBenchmark.ProcessCpu() - cpuBefore).TotalSeconds;
        peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
        long identityPairs = (long)identities * c.Samples * (c.Samples - 1) / 2;
        double comparisons = (double)c.N * (c.N - 1) / 2;

        json.WriteStartObject();
        json.WriteString("benchmark", "sweep");
        json.WriteNumber("n", c.N);
        json.WriteNumber("dim", c.Dim);
        json.WriteString("dtype", MatchBenchmark.Dtype(c.Precision));
        json.WriteNumber("threshold", c.Threshold);
        json.WriteNumber("samples_per_identity", c.Samples);
        json.WriteNumber("noise", c.Noise);
        json.WriteNumber("probes_per_pass", c.ProbesPerPass);
        json.WriteNumber("seconds", Math.Round(seconds, 2));
        // The process's CPU time over the sweep (all threads): on a shared machine the wall clock swings with the load.
        json.WriteNumber("cpu_seconds", Math.Round(cpuSeconds, 2));
        json.WriteNumber("comparisons", comparisons);
        json.WriteNumber("comparisons_per_sec", Math.Round(comparisons / seconds));
        json.WriteNumber("gflops", Math.Round(comparisons * 2 * c.Dim / seconds / 1e9, 1));
        json.WriteNumber("gflops_per_cpu_sec", Math.Round(comparisons * 2 * c.Dim / Math.Max(cpuSeconds, 1e-6) / 1e9, 1));
        json.WriteNumber("pairs", pairs);
        json.WriteNumber("pairs_same_identity", sameIdentity);
        json.WriteNumber("identity_pairs", identityPairs);
        json.WriteNumber("batches", batches);
        json.WriteNumber("largest_batch", largestBatch);
        json.WriteNumber("gallery_native_bytes", gallery.MemoryUsage.NativeBytes);
        json.WriteNumber("managed_bytes_allocated_during_sweep", GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
        json.WriteNumber("managed_heap_before", managedBefore);
        json.WriteNumber("working_set_before", workingSetBefore);
        json.WriteNumber("working_set_peak_sampled", peakWorkingSet);
        json.WriteString("kernel", KernelSupport.Best(VectorPrecision.Float32).ToString());
        json.WriteNumber("threads", 1);
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteEndObject();
    }
}
