using System.Collections.Concurrent;
using FaceMatch.Matching.Galleries;

namespace FaceMatch.Matching.Tests;

/// <summary>
/// The approximate index (HNSW): its recall against the exact scan on synthetic identities, exact scores after the
/// re-rank, and that it stays in step with adds, replacements and removals, during a background build too.
/// </summary>
public class AnnIndexTests
{
    private const int Dim = 64;

    private static GalleryOptions Options(int threshold = 0) => new()
    {
        Dimension = Dim, IndexThreshold = threshold, BackgroundCompaction = false, InitialCapacity = 1024,
    };

    /// <summary>Identity <paramref name="id"/>'s centre and a sample around it (cosine ≈ 0.78 to the centre).</summary>
    private static float[] Centre(int id) => TestVectors.Unit(new Random(1000 + id), Dim);

    private static float[] Sample(Random rng, int id) => TestVectors.Near(rng, Centre(id), 0.8f);

    [Fact]
    public async Task The_index_finds_the_exact_best_for_nearly_every_probe_and_reports_exact_scores()
    {
        var rng = new Random(5);
        using var gallery = new Gallery(Options());
        var vectors = new Dictionary<string, float[]>();
        const int identities = 2000, samples = 3;
        for (int i = 0; i < identities * samples; i++)
        {
            var v = Sample(rng, i % identities);
            vectors[$"s{i}"] = v;
            gallery.Upsert($"s{i}", v);
        }
        await gallery.BuildIndexAsync();
        Assert.True(gallery.HasIndex);
        Assert.True(gallery.MemoryUsage.IndexBytes > 0);

        var exact = new SearchOptions { Strategy = SearchStrategy.Exact };
        int agree = 0;
        double recall10 = 0;
        const int probes = 300;
        for (int q = 0; q < probes; q++)
        {
            var probe = Sample(rng, rng.Next(identities));
            var truth = gallery.Search(probe, 10, exact);
            var found = gallery.Search(probe, 10); // Default: the index
            if (found[0].Id == truth[0].Id) agree++;
            recall10 += found.Count(m => truth.Any(t => t.Id == m.Id)) / 10.0;
            // Re-ranked on the gallery's float32 rows: every reported score is the exact cosine.
            foreach (var m in found)
                Assert.True(Math.Abs(TestVectors.Dot(TestVectors.Normalize(vectors[m.Id]), TestVectors.Normalize(probe)) - m.Score) < 1e-5);
            for (int i = 1; i < found.Count; i++) Assert.True(found[i - 1].Score >= found[i].Score);
        }
        // A broken graph (few or random links, a wrong descent) finds the best for far fewer probes.
        Assert.True(agree >= probes * 0.97, $"recall@1 {agree}/{probes}");
        Assert.True(recall10 / probes >= 0.6, $"recall@10 {recall10 / probes}");

        // A larger ef finds at least as much; an exact search never looks at the index.
        int agreeWide = 0;
        var wide = new SearchOptions { Strategy = SearchStrategy.Approximate, Ef = 256 };
        var rng2 = new Random(6);
        for (int q = 0; q < 100; q++)
        {
            var probe = Sample(rng2, rng2.Next(identities));
            if (gallery.Search(probe, 1, wide)[0].Id == gallery.Search(probe, 1, exact)[0].Id) agreeWide++;
        }
        Assert.True(agreeWide >= 99, $"ef 256: {agreeWide}/100");
    }

    /// <summary>
    /// Identities whose centres lie on a random low-dimensional subspace, as face embeddings' identities do (see
    /// docs/matching.md): the graph has a gradient to follow, so recall must stay near 1 after a fifth of the gallery is
    /// removed (below the rebuild's dead fraction, so the same graph is kept in step) and as many new samples are added, searched against the exact scan of the gallery as it is then.
    /// </summary>
    [Fact]
    public async Task On_a_structured_gallery_recall_stays_near_exact_through_removals_and_adds()
    {
        const int dim = 128, intrinsic = 12, identities = 3000, samples = 3;
        var rng = new Random(17);
        var basis = Enumerable.Range(0, intrinsic).Select(_ => TestVectors.Gaussian(rng, dim)).ToArray();
        for (int j = 0; j < intrinsic; j++)
        {
            for (int p = 0; p < j; p++)
            {
                double dot = TestVectors.Dot(basis[j], basis[p]);
                for (int i = 0; i < dim; i++) basis[j][i] -= (float)dot * basis[p][i];
            }
            basis[j] = TestVectors.Normalize(basis[j]);
        }
        float[] CentreOf(int id)
        {
            var z = TestVectors.Gaussian(new Random(5000 + id), intrinsic);
            var c = new float[dim];
            for (int j = 0; j < intrinsic; j++)
                for (int i = 0; i < dim; i++) c[i] += z[j] * basis[j][i];
            return TestVectors.Normalize(c);
        }
        float[] SampleOf(int id) => TestVectors.Near(rng, CentreOf(id), 0.8f);

        using var gallery = new Gallery(new GalleryOptions { Dimension = dim, IndexThreshold = 0, BackgroundCompaction = false, InitialCapacity = 1024 });
        var live = new Dictionary<string, float[]>();
        void Add(string id, float[] v) { live[id] = v; gallery.Upsert(id, v); }
        for (int i = 0; i < identities * samples; i++) Add($"s{i}", SampleOf(i % identities));
        await gallery.BuildIndexAsync();

        void AssertRecall(string when, int identityCount)
        {
            var exact = new SearchOptions { Strategy = SearchStrategy.Exact };
            var probeRng = new Random(identityCount);
            int agree = 0;
            double recall10 = 0;
            const int probes = 200;
            for (int q = 0; q < probes; q++)
            {
                var probe = TestVectors.Near(probeRng, CentreOf(probeRng.Next(identityCount)), 0.8f);
                var truth = gallery.Search(probe, 10, exact);
                var found = gallery.Search(probe, 10);
                Assert.All(found, m => Assert.True(live.ContainsKey(m.Id), $"{when}: {m.Id} was removed"));
                if (found[0].Id == truth[0].Id) agree++;
                recall10 += found.Count(m => truth.Any(t => t.Id == m.Id)) / 10.0;
            }
            // A broken graph, or an index out of step with the gallery, falls far below these.
            Assert.True(agree >= probes * 0.98, $"{when}: recall@1 {agree}/{probes}");
            Assert.True(recall10 / probes >= 0.95, $"{when}: recall@10 {recall10 / probes}");
        }

        AssertRecall("after the build", identities);
        for (int i = 0; i < identities * samples; i += 5) { gallery.Remove($"s{i}"); live.Remove($"s{i}"); }
        for (int i = 0; i < identities * samples / 5; i++) Add($"n{i}", SampleOf(identities + i % 1000));
        Assert.True(gallery.HasIndex);
        Assert.Equal(live.Count, gallery.IndexNodes.Nodes - gallery.IndexNodes.Deleted);
        AssertRecall("after removals and adds", identities + 1000);
    }

    [Fact]
    public async Task Adds_replacements_and_removals_after_the_build_are_in_the_index()
    {
        var rng = new Random(7);
        using var gallery = new Gallery(Options());
        for (int i = 0; i < 3000; i++) gallery.Upsert($"s{i}", Sample(rng, i % 1000));
        await gallery.BuildIndexAsync();

        // A new identity, added after the build: its probe finds it.
        var fresh = Sample(rng, 5000);
        gallery.Upsert("fresh", fresh);
        Assert.Equal("fresh", gallery.Search(Sample(rng, 5000), 1)[0].Id);

        // Replaced: found by its new vector, not by its old one.
        var old = Sample(rng, 6000);
        gallery.Upsert("moved", old);
        gallery.Upsert("moved", Sample(rng, 7000));
        Assert.Equal("moved", gallery.Search(Sample(rng, 7000), 1)[0].Id);
        Assert.DoesNotContain(gallery.Search(old, 5), m => m.Id == "moved" && m.Score > 0.5f);

        // Removed: never returned again, even for its own vector.
        for (int i = 0; i < 3000; i += 3)
        {
            var self = gallery.Search(Sample(rng, i % 1000), 3);
            foreach (var m in self) gallery.Remove(m.Id);
            foreach (var m in gallery.Search(Sample(rng, i % 1000), 10)) Assert.DoesNotContain(self, s => s.Id == m.Id);
        }
        Assert.True(gallery.HasIndex);
    }

    [Fact]
    public async Task Passing_the_threshold_builds_the_index_in_the_background_while_the_gallery_changes()
    {
        var rng = new Random(9);
        using var gallery = new Gallery(Options(threshold: 2000));
        var live = new Dictionary<string, float[]>();
        for (int i = 0; i < 1999; i++) { var v = Sample(rng, i % 700); live[$"s{i}"] = v; gallery.Upsert($"s{i}", v); }
        Assert.False(gallery.HasIndex);
        Assert.Equal(Task.CompletedTask, gallery.IndexBuild);
        gallery.Upsert("s1999", live["s1999"] = Sample(rng, 1999 % 700));
        var build = gallery.IndexBuild;
        // Changes while the build runs: journalled and caught up before the index is published.
        var removed = new HashSet<string>();
        for (int i = 2000; i < 2600; i++) { var v = Sample(rng, i % 700); live[$"s{i}"] = v; gallery.Upsert($"s{i}", v); }
        for (int i = 0; i < 2600; i += 7) { gallery.Remove($"s{i}"); live.Remove($"s{i}"); removed.Add($"s{i}"); }
        await build;
        await gallery.IndexBuild;
        Assert.True(gallery.HasIndex);
        Assert.Equal(live.Count, gallery.IndexNodes.Nodes - gallery.IndexNodes.Deleted);
        // Every live id is found by its own vector; no removed id is ever returned.
        foreach (var (id, v) in live)
        {
            var hits = gallery.Search(v, 3);
            Assert.Equal(id, hits[0].Id);
            Assert.DoesNotContain(hits, m => removed.Contains(m.Id));
        }
    }

    [Fact]
    public async Task Many_removals_rebuild_the_index_without_its_dead_nodes()
    {
        var rng = new Random(11);
        using var gallery = new Gallery(Options() with { IndexRebuildDeadFraction = 0.3 });
        for (int i = 0; i < 4000; i++) gallery.Upsert($"s{i}", Sample(rng, i));
        await gallery.BuildIndexAsync();
        Assert.Equal((4000, 0), gallery.IndexNodes);
        for (int i = 0; i < 1300; i++) gallery.Remove($"s{i}");
        await gallery.IndexBuild;
        Assert.Equal((2700, 0), gallery.IndexNodes);
        Assert.Equal("s3999", gallery.Search(Sample(rng, 3999), 1)[0].Id);
    }

    [Fact]
    public async Task Searches_during_changes_never_return_a_removed_id_and_report_true_scores()
    {
        var rng = new Random(13);
        using var gallery = new Gallery(Options());
        var vectorOf = new ConcurrentDictionary<string, float[]>();
        for (int i = 0; i < 3000; i++) { var v = Sample(rng, i % 1500); vectorOf[$"s{i}"] = v; gallery.Upsert($"s{i}", v); }
        await gallery.BuildIndexAsync();
        var gone = new ConcurrentDictionary<string, bool>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Factory.StartNew(() =>
        {
            var w = new Random(14);
            for (int i = 0; i < 1500; i++)
            {
                var v = Sample(w, 3000 + i);
                vectorOf[$"w{i}"] = v;
                gallery.Upsert($"w{i}", v);
                if (gallery.Remove($"s{i * 2}")) gone[$"s{i * 2}"] = true;
            }
        }, TaskCreationOptions.LongRunning);
        var readers = Enumerable.Range(0, 2).Select(r => Task.Factory.StartNew(() =>
        {
            var rr = new Random(20 + r);
            for (int n = 0; !stop.IsCancellationRequested || n < 20; n++)
            {
                var before = gone.Keys.ToHashSet();
                var probe = Sample(rr, rr.Next(4500));
                foreach (var m in gallery.Search(probe, 5))
                {
                    if (before.Contains(m.Id)) failures.Enqueue($"{m.Id} returned after its removal");
                    double truth = TestVectors.Dot(TestVectors.Normalize(vectorOf[m.Id]), TestVectors.Normalize(probe));
                    if (Math.Abs(truth - m.Score) > 1e-5) failures.Enqueue($"{m.Id}: {m.Score} vs {truth}");
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await writer;
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Empty(failures);
    }

    [Fact]
    public void Bad_index_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Gallery(Options() with { IndexM = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Gallery(Options() with { IndexThreshold = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Gallery(Options() with { IndexEfSearch = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Gallery(Options() with { IndexRebuildDeadFraction = 0 }));
        using var gallery = new Gallery(Options());
        gallery.Upsert("a", Centre(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => gallery.Search(Centre(1), 1, new SearchOptions { Ef = -1 }));
        // Approximate without an index is the exact scan.
        Assert.Equal("a", gallery.Search(Centre(1), 1, new SearchOptions { Strategy = SearchStrategy.Approximate })[0].Id);
    }
}
