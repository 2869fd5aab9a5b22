using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Matching.Tests;

/// <summary>The whole-gallery duplicate sweep against a brute-force reference of every pair.</summary>
public class DuplicateSweepTests
{
    private const int Dim = 64;
    private const float Threshold = 0.8f;

    /// <summary>Identities with several noisy samples each (pairs within an identity score about 0.8–0.95), plus singletons.</summary>
    private static (Gallery Gallery, List<(string Id, float[] Vector)> Live) BuildIdentities(int identities, int samples, int singles,
        int seed, VectorPrecision precision = VectorPrecision.Float32, bool keepFloat32 = true)
    {
        var rng = new Random(seed);
        var gallery = new Gallery(new GalleryOptions
        {
            Dimension = Dim, Precision = precision, KeepFloat32 = keepFloat32, InitialCapacity = 64, BackgroundCompaction = false,
        });
        var entries = new List<(string, float[])>();
        for (int i = 0; i < identities; i++)
        {
            var centre = TestVectors.Unit(rng, Dim);
            for (int s = 0; s < samples; s++) entries.Add(($"p{i}-{s}", TestVectors.Near(rng, centre, 0.5f)));
        }
        for (int i = 0; i < singles; i++) entries.Add(($"x{i}", TestVectors.Unit(rng, Dim)));
        // Shuffled, so an identity's samples sit far apart: in different passes and blocks.
        var shuffled = entries.OrderBy(_ => rng.Next()).ToList();
        foreach (var (id, v) in shuffled) gallery.Upsert(id, v);
        return (gallery, shuffled);
    }

    private static Dictionary<(string, string), double> NaivePairs(List<(string Id, float[] Vector)> live, double threshold)
    {
        var pairs = new Dictionary<(string, string), double>();
        var unit = live.Select(e => TestVectors.Normalize(e.Vector)).ToArray();
        for (int i = 0; i < live.Count; i++)
            for (int j = i + 1; j < live.Count; j++)
            {
                double s = TestVectors.Dot(unit[i], unit[j]);
                if (s >= threshold) pairs[(live[i].Id, live[j].Id)] = s;
            }
        return pairs;
    }

    private static List<DuplicateBatch> Sweep(Gallery gallery, DuplicateSweepOptions options)
    {
        var batches = gallery.FindDuplicates(options).ToList();
        Assert.NotEmpty(batches);
        for (int i = 1; i < batches.Count; i++)
        {
            Assert.True(batches[i].Progress >= batches[i - 1].Progress, "progress never goes back");
            Assert.True(batches[i].ProbesDone >= batches[i - 1].ProbesDone);
        }
        Assert.Equal(1.0, batches[^1].Progress, 9);
        Assert.Equal(batches[^1].Probes, batches[^1].ProbesDone);
        Assert.All(batches, b => Assert.True(b.Pairs.Count <= options.MaxPairsPerBatch));
        return batches;
    }

    public static IEnumerable<object[]> Float32Paths() =>
        KernelSupport.SupportedPaths(VectorPrecision.Float32).Select(p => new object[] { p });

    [Theory]
    [MemberData(nameof(Float32Paths))]
    public void Every_pair_above_the_threshold_is_found_once_on_every_path(KernelPath path)
    {
        var (gallery, live) = BuildIdentities(identities: 120, samples: 4, singles: 523, seed: 7);
        using var _ = gallery;
        // Removed before the sweep: never reported.
        foreach (var (id, _) in live.Where((_, i) => i % 9 == 0).ToList()) gallery.Remove(id);
        live = live.Where((_, i) => i % 9 != 0).ToList();
        var expected = NaivePairs(live, Threshold);
        Assert.True(expected.Count > 200, $"the data should hold many pairs ({expected.Count})");
        var order = live.Select((e, i) => (e.Id, i)).ToDictionary(e => e.Id, e => e.i);
        var vectors = live.ToDictionary(e => e.Id, e => TestVectors.Normalize(e.Vector));

        foreach (int perPass in new[] { 4, 7, 256 })
        {
            var batches = Sweep(gallery, new DuplicateSweepOptions { Threshold = Threshold, ProbesPerPass = perPass, MaxPairsPerBatch = 50, Kernel = path });
            var found = batches.SelectMany(b => b.Pairs).ToList();
            Assert.All(batches, b => Assert.True(b.Exact));
            Assert.Equal(live.Count, batches[^1].Probes);
            Assert.Equal(found.Count, found.Select(p => (p.FirstId, p.SecondId)).Distinct().Count());
            foreach (var p in found)
            {
                Assert.True(order[p.FirstId] < order[p.SecondId], $"{p.FirstId} was enrolled after {p.SecondId}");
                double truth = TestVectors.Dot(vectors[p.FirstId], vectors[p.SecondId]);
                Assert.True(Math.Abs(truth - p.Score) < 1e-5, $"{p.FirstId}/{p.SecondId}: {p.Score} vs {truth}");
            }
            // Same set as the reference, apart from pairs within float error of the threshold.
            var foundSet = found.Select(p => (p.FirstId, p.SecondId)).ToHashSet();
            Assert.DoesNotContain(expected, e => !foundSet.Contains(e.Key) && e.Value >= Threshold + 1e-5);
            Assert.DoesNotContain(found, p => !expected.ContainsKey((p.FirstId, p.SecondId)) &&
                                              TestVectors.Dot(vectors[p.FirstId], vectors[p.SecondId]) < Threshold - 1e-5);
        }
    }

    [Theory]
    [InlineData(VectorPrecision.Float16, true)]
    [InlineData(VectorPrecision.Int8, true)]
    [InlineData(VectorPrecision.Float16, false)]
    [InlineData(VectorPrecision.Int8, false)]
    public void Compressed_galleries_are_swept_exactly_or_give_confirmable_candidates(VectorPrecision precision, bool keepFloat32)
    {
        var (gallery, live) = BuildIdentities(identities: 60, samples: 5, singles: 300, seed: 11, precision, keepFloat32);
        using var _ = gallery;
        var expected = NaivePairs(live, Threshold);
        var vectors = live.ToDictionary(e => e.Id, e => TestVectors.Normalize(e.Vector));
        foreach (var path in KernelSupport.SupportedPaths(keepFloat32 ? VectorPrecision.Float32 : precision))
        {
            var batches = Sweep(gallery, new DuplicateSweepOptions { Threshold = Threshold, ProbesPerPass = 33, Kernel = path });
            var found = batches.SelectMany(b => b.Pairs).ToDictionary(p => (p.FirstId, p.SecondId), p => p.Score);
            Assert.All(batches, b => Assert.Equal(keepFloat32, b.Exact));
            double tolerance = keepFloat32 ? 1e-5 : precision == VectorPrecision.Float16 ? 2e-3 : 0.03;
            foreach (var ((a, b), score) in found)
                Assert.True(Math.Abs(TestVectors.Dot(vectors[a], vectors[b]) - score) < tolerance, $"{path} {a}/{b}");
            // Every true pair is among what was reported (as a candidate when the scores are approximate).
            Assert.DoesNotContain(expected, e => !found.ContainsKey(e.Key) && e.Value >= Threshold + tolerance);
            if (!keepFloat32)
                Assert.All(found.Values, s => Assert.True(s >= Threshold - (precision == VectorPrecision.Float16 ? 0.005f : 0.03f)));
        }
    }

    [Fact]
    public void A_gallery_of_one_face_reports_every_pair_in_bounded_batches()
    {
        using var gallery = new Gallery(new GalleryOptions { Dimension = Dim, BackgroundCompaction = false });
        var v = TestVectors.Unit(new Random(3), Dim);
        const int n = 301;
        for (int i = 0; i < n; i++) gallery.Upsert($"same{i}", v);
        var batches = Sweep(gallery, new DuplicateSweepOptions { Threshold = 0.99f, ProbesPerPass = 64, MaxPairsPerBatch = 97 });
        var pairs = batches.SelectMany(b => b.Pairs).ToList();
        Assert.Equal(n * (n - 1) / 2, pairs.Count);
        Assert.Equal(pairs.Count, pairs.Select(p => (p.FirstId, p.SecondId)).Distinct().Count());
        Assert.All(pairs, p => Assert.Equal(pairs[0].Score, p.Score));
    }

    [Fact]
    public void Empty_and_single_galleries_finish_at_once_and_bad_options_are_refused()
    {
        using var gallery = new Gallery(new GalleryOptions { Dimension = Dim });
        var empty = gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = 0.5f }).ToList();
        Assert.Single(empty);
        Assert.Empty(empty[0].Pairs);
        Assert.Equal(1.0, empty[0].Progress);
        gallery.Upsert("only", TestVectors.Unit(new Random(1), Dim));
        var single = gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = -1f }).ToList();
        Assert.Empty(single.SelectMany(b => b.Pairs));
        Assert.Equal(1, single[^1].ProbesDone);

        Assert.Throws<ArgumentOutOfRangeException>(() => gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = float.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = 1.5f }));
        Assert.Throws<ArgumentOutOfRangeException>(() => gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = 0.5f, ProbesPerPass = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = 0.5f, MaxPairsPerBatch = 0 }));
        Assert.Throws<NotSupportedException>(() =>
            gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = 0.5f, Kernel = KernelPath.AvxVnni256 }).ToList());
    }

    [Fact]
    public async Task A_sweep_stops_when_cancelled_and_releases_the_gallery()
    {
        var (gallery, _) = BuildIdentities(identities: 50, samples: 4, singles: 400, seed: 13);
        using var cts = new CancellationTokenSource();
        using (var e = gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = Threshold, ProbesPerPass = 16 }, cts.Token).GetEnumerator())
        {
            Assert.True(e.MoveNext());
            cts.Cancel();
            Assert.Throws<OperationCanceledException>(() => e.MoveNext());
        }
        // The pinned store was released: compaction can retire it, and disposal frees everything.
        gallery.Remove("x0");
        await gallery.CompactAsync();
        gallery.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = 0.5f }));
    }

    [Fact]
    public void Rows_removed_during_a_sweep_are_not_reported_afterwards()
    {
        var (gallery, live) = BuildIdentities(identities: 80, samples: 4, singles: 200, seed: 17);
        using var _ = gallery;
        var removed = new HashSet<string>();
        var reportedAfterRemoval = new List<string>();
        foreach (var batch in gallery.FindDuplicates(new DuplicateSweepOptions { Threshold = Threshold, ProbesPerPass = 8 }))
        {
            foreach (var p in batch.Pairs)
                if (removed.Contains(p.FirstId) || removed.Contains(p.SecondId)) reportedAfterRemoval.Add($"{p.FirstId}/{p.SecondId}");
            // Remove one sample of an identity in each batch, while the sweep is still going.
            var victim = live.FirstOrDefault(e => e.Id.StartsWith('p') && !removed.Contains(e.Id)).Id;
            if (victim != null && gallery.Remove(victim)) removed.Add(victim);
        }
        Assert.NotEmpty(removed);
        Assert.Empty(reportedAfterRemoval);
    }
}
