using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Matching.Tests;

/// <summary>1:N search against a brute-force reference: every precision, kernel path, thread count and batch size.</summary>
public class SearchTests
{
    private static readonly SearchOptions Partitioned = new() { Threads = 3, MinRowsPerThread = 64 };

    internal static (Gallery Gallery, List<(string Id, float[] Vector)> Live) Build(int n, int dim, int seed,
        VectorPrecision precision = VectorPrecision.Float32, bool keepFloat32 = true, int initialCapacity = 64)
    {
        var rng = new Random(seed);
        var gallery = new Gallery(new GalleryOptions
        {
            Dimension = dim, Precision = precision, KeepFloat32 = keepFloat32, InitialCapacity = initialCapacity,
            BackgroundCompaction = false,
        });
        var live = new List<(string, float[])>();
        for (int i = 0; i < n; i++)
        {
            var v = TestVectors.Gaussian(rng, dim); // not normalised: the gallery must do it
            gallery.Upsert($"id-{i}", v);
            live.Add(($"id-{i}", v));
        }
        return (gallery, live);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(17, 5)]
    [InlineData(128, 10)]
    [InlineData(129, 50)]
    [InlineData(192, 10)]
    [InlineData(512, 7)]
    public void Exact_search_matches_the_naive_reference_on_every_path_and_thread_count(int dim, int k)
    {
        var (gallery, live) = Build(700, dim, seed: dim);
        using var _ = gallery;
        var vectors = live.ToDictionary(e => e.Id, e => e.Vector);
        var rng = new Random(dim + 1);
        for (int t = 0; t < 4; t++)
        {
            var query = TestVectors.Gaussian(rng, dim);
            var expected = TestVectors.NaiveTopK(live, query, k);
            foreach (var path in KernelSupport.SupportedPaths(VectorPrecision.Float32))
            {
                foreach (var options in new[] { new SearchOptions(), Partitioned })
                {
                    var actual = gallery.Search(query, k, options with { Kernel = path });
                    TestVectors.AssertTopK(expected, actual, vectors, query, 1e-5);
                }
            }
        }
    }

    [Theory]
    [InlineData(VectorPrecision.Float32)]
    [InlineData(VectorPrecision.Float16)]
    [InlineData(VectorPrecision.Int8)]
    public void K_larger_than_the_gallery_returns_every_live_vector_best_first(VectorPrecision precision)
    {
        var (gallery, live) = Build(37, 65, seed: 5, precision);
        using var _ = gallery;
        gallery.Remove("id-3");
        live.RemoveAll(e => e.Id == "id-3");
        var query = TestVectors.Gaussian(new Random(6), 65);
        var results = gallery.Search(query, 1000);
        Assert.Equal(36, results.Count);
        Assert.Equal(live.Select(e => e.Id).Order(), results.Select(m => m.Id).Order());
        for (int i = 1; i < results.Count; i++) Assert.True(results[i - 1].Score >= results[i].Score);
    }

    [Fact]
    public void An_empty_gallery_returns_nothing()
    {
        using var gallery = new Gallery(new GalleryOptions { Dimension = 8 });
        Assert.Empty(gallery.Search(new float[] { 1, 0, 0, 0, 0, 0, 0, 0 }, 5));
    }

    public static IEnumerable<object[]> PrecisionPaths() =>
        from precision in Enum.GetValues<VectorPrecision>()
        from path in KernelSupport.SupportedPaths(precision)
        select new object[] { precision, path };

    [Theory]
    [MemberData(nameof(PrecisionPaths))]
    public void Ties_go_to_the_earlier_enrolment_on_every_path_and_partitioning(VectorPrecision precision, KernelPath path)
    {
        const int dim = 48;
        var rng = new Random(21);
        using var gallery = new Gallery(new GalleryOptions { Dimension = dim, Precision = precision, BackgroundCompaction = false });
        var twin = TestVectors.Gaussian(rng, dim);
        // Duplicates at rows 0, 1, 402 and 799: across block positions and across thread partitions.
        var twinRows = new[] { 0, 1, 402, 799 };
        for (int i = 0; i < 800; i++)
            gallery.Upsert($"r{i}", twinRows.Contains(i) ? twin : TestVectors.Gaussian(rng, dim));
        foreach (var strategy in new[] { SearchStrategy.CompressedOnly, SearchStrategy.Default })
        {
            foreach (var threads in new[] { 1, 4 })
            {
                var options = new SearchOptions { Kernel = path, Threads = threads, MinRowsPerThread = 50, Strategy = strategy };
                var top = gallery.Search(twin, 3, options);
                Assert.Equal(["r0", "r1", "r402"], top.Select(m => m.Id));
                Assert.Equal(top[0].Score, top[1].Score);
                Assert.Equal(top[0].Score, top[2].Score);
            }
        }
    }

    [Theory]
    [InlineData(VectorPrecision.Float32)]
    [InlineData(VectorPrecision.Float16)]
    [InlineData(VectorPrecision.Int8)]
    public void Tombstoned_rows_are_never_returned(VectorPrecision precision)
    {
        var (gallery, live) = Build(500, 33, seed: 9, precision);
        using var _ = gallery;
        var rng = new Random(10);
        var queries = Enumerable.Range(0, 5).Select(_ => TestVectors.Gaussian(rng, 33)).ToArray();
        // Remove every query's current best five, then every third row.
        var removed = new HashSet<string>();
        foreach (var q in queries)
            foreach (var m in gallery.Search(q, 5)) removed.Add(m.Id);
        foreach (var (id, _) in live.Where((_, i) => i % 3 == 0)) removed.Add(id);
        foreach (var id in removed) Assert.True(gallery.Remove(id));
        Assert.False(gallery.Remove(removed.First()));
        Assert.Equal(500 - removed.Count, gallery.Count);

        foreach (var q in queries)
        {
            foreach (var strategy in Enum.GetValues<SearchStrategy>())
            {
                var all = gallery.Search(q, 500, new SearchOptions { Strategy = strategy, Threads = 2, MinRowsPerThread = 64 });
                Assert.Equal(500 - removed.Count, all.Count);
                Assert.DoesNotContain(all, m => removed.Contains(m.Id));
            }
        }
    }

    [Theory]
    [InlineData(VectorPrecision.Float32)]
    [InlineData(VectorPrecision.Float16)]
    [InlineData(VectorPrecision.Int8)]
    public async Task Compaction_preserves_results_exactly(VectorPrecision precision)
    {
        var (gallery, live) = Build(900, 70, seed: 31, precision);
        using var _ = gallery;
        foreach (var (id, _) in live.Where((_, i) => i % 4 != 1)) gallery.Remove(id);
        var rng = new Random(32);
        var queries = Enumerable.Range(0, 6).Select(_ => TestVectors.Gaussian(rng, 70)).ToArray();
        var before = queries.Select(q => gallery.Search(q, 20)).ToArray();
        var usageBefore = gallery.MemoryUsage;
        Assert.Equal(675, usageBefore.TombstonedRows);

        await gallery.CompactAsync();

        var usageAfter = gallery.MemoryUsage;
        Assert.Equal(0, usageAfter.TombstonedRows);
        Assert.Equal(225, usageAfter.Rows);
        for (int i = 0; i < queries.Length; i++)
            Assert.Equal(before[i], gallery.Search(queries[i], 20));
        // Ids still resolve to their own vectors after the rows moved.
        var kept = live.Where((_, i) => i % 4 == 1).ToArray();
        foreach (var (id, v) in kept.Take(20))
            Assert.Equal(id, gallery.Search(v, 1)[0].Id);
    }

    [Theory]
    [MemberData(nameof(PrecisionPaths))]
    public void Every_scan_path_gives_the_scalar_paths_results(VectorPrecision precision, KernelPath path)
    {
        var (gallery, live) = Build(300, 77, seed: 41, precision);
        using var _ = gallery;
        var vectors = live.ToDictionary(e => e.Id, e => e.Vector);
        var rng = new Random(42);
        var only = new SearchOptions { Strategy = SearchStrategy.CompressedOnly };
        // Compressed scores differ from exact ones by the quantisation error, bounded here generously.
        double quantTolerance = precision switch { VectorPrecision.Float32 => 1e-5, VectorPrecision.Float16 => 2e-3, _ => 0.03 };
        for (int t = 0; t < 5; t++)
        {
            var query = TestVectors.Gaussian(rng, 77);
            var reference = gallery.Search(query, 15, only with { Kernel = KernelPath.Scalar });
            var actual = gallery.Search(query, 15, only with { Kernel = path });
            if (precision == VectorPrecision.Int8)
            {
                Assert.Equal(reference, actual); // integer sums: every path is exact
            }
            else
            {
                Assert.Equal(reference.Count, actual.Count);
                for (int i = 0; i < reference.Count; i++) Assert.True(Math.Abs(reference[i].Score - actual[i].Score) < 1e-5);
            }
            foreach (var m in actual)
            {
                double trueScore = TestVectors.Dot(TestVectors.Normalize(vectors[m.Id]), TestVectors.Normalize(query));
                Assert.True(Math.Abs(trueScore - m.Score) < quantTolerance, $"{m.Id}: {m.Score} vs true {trueScore}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(PrecisionPaths))]
    public void A_tiled_batch_gives_exactly_what_single_searches_give(VectorPrecision precision, KernelPath path)
    {
        // 1201 rows: the last block ends in a partial register tile.
        var (gallery, _) = Build(1201, 96, seed: 51, precision);
        using var __ = gallery;
        var rng = new Random(52);
        foreach (int batch in new[] { 1, 2, 3, 4, 5, 8, 9, 17 })
        {
            var queries = Enumerable.Range(0, batch).SelectMany(_ => TestVectors.Gaussian(rng, 96)).ToArray();
            foreach (var options in new[] { new SearchOptions(), Partitioned, new SearchOptions { Strategy = SearchStrategy.CompressedOnly } }
                         .Select(o => o with { Kernel = path, BatchKernel = BatchKernel.Tiles }))
            {
                var batched = gallery.SearchBatch(queries, batch, 10, options);
                for (int q = 0; q < batch; q++)
                    Assert.Equal(gallery.Search(queries.AsSpan(q * 96, 96), 10, options), batched[q]);
            }
        }
    }

    /// <summary>The (precision, path) pairs that have packed panels on this CPU (none without AVX-512).</summary>
    public static IEnumerable<object[]> PanelPaths() =>
        from precision in new[] { VectorPrecision.Float32, VectorPrecision.Float16 }
        from path in KernelSupport.SupportedPaths(precision)
        where KernelSupport.SupportsPanels(precision, path)
        select new object[] { precision, path };

    [Fact]
    public void Panels_are_used_for_large_float_batches_on_AVX512_and_refused_where_they_do_not_exist()
    {
        foreach (var precision in Enum.GetValues<VectorPrecision>())
        foreach (var path in KernelSupport.SupportedPaths(precision))
        {
            bool panels = KernelSupport.SupportsPanels(precision, path);
            Assert.Equal(panels ? BatchKernel.Panels : BatchKernel.Tiles,
                KernelSupport.ResolveBatch(BatchKernel.Auto, precision, path, KernelSupport.PanelMinBatch));
            Assert.Equal(BatchKernel.Tiles, KernelSupport.ResolveBatch(BatchKernel.Auto, precision, path, KernelSupport.PanelMinBatch - 1));
            Assert.Equal(BatchKernel.Tiles, KernelSupport.ResolveBatch(BatchKernel.Tiles, precision, path, 200));
            if (panels) Assert.Equal(BatchKernel.Panels, KernelSupport.ResolveBatch(BatchKernel.Panels, precision, path, 1));
            else Assert.Throws<NotSupportedException>(() => KernelSupport.ResolveBatch(BatchKernel.Panels, precision, path, 200));
        }
        if (!PanelPaths().Any()) Console.WriteLine("packed panels NOT RUN: this CPU has no AVX-512");
    }

    [Theory]
    [MemberData(nameof(PanelPaths))]
    public void A_panel_batch_agrees_with_single_searches_up_to_float_rounding(VectorPrecision precision, KernelPath path)
    {
        // 1201 rows: several panels and blocks, the last panel partly filled; 3 partitions cut inside blocks.
        const int dim = 96;
        var (gallery, _) = Build(1201, dim, seed: 53, precision);
        using var __ = gallery;
        var rng = new Random(54);
        foreach (int batch in new[] { 1, 7, 8, 9, 17, 40 })
        {
            var queries = Enumerable.Range(0, batch).SelectMany(_ => TestVectors.Gaussian(rng, dim)).ToArray();
            foreach (var options in new[] { new SearchOptions(), Partitioned })
            {
                var single = options with { Kernel = path, Strategy = SearchStrategy.CompressedOnly, BatchKernel = BatchKernel.Tiles };
                var batched = gallery.SearchBatch(queries, batch, 10, single with { BatchKernel = BatchKernel.Panels });
                for (int q = 0; q < batch; q++)
                    AssertSameUpToRounding(gallery.Search(queries.AsSpan(q * dim, dim), 10, single), batched[q], $"batch {batch} q={q}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(PanelPaths))]
    public void Ties_in_a_panel_batch_go_to_the_earlier_enrolment(VectorPrecision precision, KernelPath path)
    {
        // A panel scores a pair the same bits wherever its row sits, so identical rows tie exactly.
        const int dim = 48;
        var rng = new Random(22);
        using var gallery = new Gallery(new GalleryOptions { Dimension = dim, Precision = precision, BackgroundCompaction = false });
        var twin = TestVectors.Gaussian(rng, dim);
        var twinRows = new[] { 0, 1, 47, 402, 799 };
        for (int i = 0; i < 800; i++)
            gallery.Upsert($"r{i}", twinRows.Contains(i) ? twin : TestVectors.Gaussian(rng, dim));
        var queries = Enumerable.Range(0, 16).SelectMany(i => i % 2 == 0 ? twin : TestVectors.Gaussian(rng, dim)).ToArray();
        foreach (var threads in new[] { 1, 4 })
        {
            var options = new SearchOptions
            {
                Kernel = path, Threads = threads, MinRowsPerThread = 50, Strategy = SearchStrategy.CompressedOnly, BatchKernel = BatchKernel.Panels,
            };
            var results = gallery.SearchBatch(queries, 16, 4, options);
            for (int q = 0; q < 16; q += 2)
            {
                Assert.Equal(["r0", "r1", "r47", "r402"], results[q].Select(m => m.Id));
                Assert.All(results[q], m => Assert.Equal(results[q][0].Score, m.Score));
            }
        }
    }

    /// <summary>
    /// The same top-k as the single-query search but for float rounding: every rank's score within 1e-5, and an id
    /// may differ only where two scores are that close (a near-tie the two summation orders can resolve differently).
    /// </summary>
    private static void AssertSameUpToRounding(IReadOnlyList<Match> expected, IReadOnlyList<Match> actual, string where)
    {
        const float eps = 1e-5f;
        Assert.Equal(expected.Count, actual.Count);
        var expectedScores = expected.ToDictionary(m => m.Id, m => m.Score);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - actual[i].Score) <= eps, $"{where} rank {i}: {actual[i].Score} vs {expected[i].Score}");
            if (actual[i].Id == expected[i].Id) continue;
            // A swap: the id's single-query score (if it made that list) is a near-tie of this rank's.
            float boundary = expected[^1].Score;
            bool nearTie = expectedScores.TryGetValue(actual[i].Id, out var s)
                ? Math.Abs(s - actual[i].Score) <= eps
                : Math.Abs(actual[i].Score - boundary) <= eps;
            Assert.True(nearTie, $"{where} rank {i}: {actual[i].Id} ({actual[i].Score}) vs {expected[i].Id} ({expected[i].Score})");
        }
    }

    [Theory]
    [MemberData(nameof(PrecisionPaths))]
    public void A_batched_search_matches_the_naive_reference_on_every_path(VectorPrecision precision, KernelPath path)
    {
        // 2051 rows of 129 dimensions: several blocks, partial tiles, and rows that do not fill a SIMD step.
        const int dim = 129, k = 10, batch = 23;
        var (gallery, live) = Build(2051, dim, seed: 57, precision);
        using var _ = gallery;
        var vectors = live.ToDictionary(e => e.Id, e => e.Vector);
        var rng = new Random(58);
        var queries = Enumerable.Range(0, batch)
            .Select(i => i % 2 == 0 ? TestVectors.Near(rng, TestVectors.Normalize(live[rng.Next(live.Count)].Vector), 0.8f) : TestVectors.Gaussian(rng, dim))
            .ToArray();
        // The compressed scan's scores carry its quantisation error; the re-ranked ones are exact.
        var strategies = precision == VectorPrecision.Float32
            ? new[] { (SearchStrategy.Exact, 1e-5) }
            : new[] { (SearchStrategy.CompressedOnly, precision == VectorPrecision.Float16 ? 2e-3 : 0.03), (SearchStrategy.TwoStage, 1e-5) };
        // Panels where they exist for this path (the scan's precision is float32 for Exact and the re-rank).
        var batchKernels = (VectorPrecision scanned) => KernelSupport.SupportsPanels(scanned, path)
            ? new[] { BatchKernel.Tiles, BatchKernel.Panels } : new[] { BatchKernel.Tiles };
        foreach (var (strategy, tolerance) in strategies)
        foreach (var batchKernel in batchKernels(strategy == SearchStrategy.Exact ? VectorPrecision.Float32 : precision))
        {
            foreach (var threads in new[] { 1, 3 })
            {
                var options = new SearchOptions
                {
                    Kernel = path, BatchKernel = batchKernel, Strategy = strategy, Threads = threads, MinRowsPerThread = 256,
                };
                var results = gallery.SearchBatch(queries.SelectMany(q => q).ToArray(), batch, k, options);
                for (int q = 0; q < batch; q++)
                {
                    var expected = TestVectors.NaiveTopK(live, queries[q], k);
                    if (strategy == SearchStrategy.CompressedOnly)
                    {
                        // Near-ties may swap under quantisation: check scores, not identities.
                        Assert.Equal(k, results[q].Count);
                        for (int i = 0; i < k; i++)
                            Assert.True(Math.Abs(expected[i].Score - results[q][i].Score) <= 2 * tolerance, $"{strategy} q={q} rank {i}");
                        if (q % 2 == 0) Assert.Equal(expected[0].Id, results[q][0].Id); // a genuine probe's best is clear
                    }
                    else
                    {
                        TestVectors.AssertTopK(expected, results[q], vectors, queries[q], tolerance);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(VectorPrecision.Int8)]
    [InlineData(VectorPrecision.Float16)]
    public void Two_stage_search_agrees_with_the_exact_top1(VectorPrecision precision)
    {
        var (gallery, live) = Build(4000, 128, seed: 61, precision);
        using var _ = gallery;
        var rng = new Random(62);
        int genuineAgree = 0, randomAgree = 0;
        const int trials = 200;
        for (int t = 0; t < trials; t++)
        {
            var genuine = TestVectors.Near(rng, TestVectors.Normalize(live[rng.Next(live.Count)].Vector), noise: 0.8f);
            var random = TestVectors.Gaussian(rng, 128);
            var exact = new SearchOptions { Strategy = SearchStrategy.Exact };
            if (gallery.Search(genuine, 1)[0] == gallery.Search(genuine, 1, exact)[0]) genuineAgree++;
            if (gallery.Search(random, 1)[0] == gallery.Search(random, 1, exact)[0]) randomAgree++;
        }
        // Two-stage re-ranks with float32, so where the exact best is among the candidates the answer is identical.
        Assert.True(genuineAgree >= trials * 0.99, $"genuine probes: {genuineAgree}/{trials}");
        Assert.True(randomAgree >= trials * 0.98, $"random probes: {randomAgree}/{trials}");
    }

    [Fact]
    public void MinScore_keeps_only_matches_at_or_above_it()
    {
        var (gallery, live) = Build(400, 32, seed: 71);
        using var _ = gallery;
        var query = live[17].Vector;
        var expected = TestVectors.NaiveTopK(live, query, 50, minScore: 0.2);
        var actual = gallery.Search(query, 50, new SearchOptions { MinScore = 0.2f });
        Assert.Equal(expected.Select(e => e.Id), actual.Select(m => m.Id));
        Assert.All(actual, m => Assert.True(m.Score >= 0.2f));
        Assert.Equal("id-17", actual[0].Id);
        Assert.True(actual[0].Score > 0.9999f);
    }

    [Fact]
    public void Strategies_that_need_float32_are_refused_without_it()
    {
        var (gallery, _) = Build(50, 16, seed: 81, VectorPrecision.Int8, keepFloat32: false);
        using var _g = gallery;
        var q = TestVectors.Gaussian(new Random(1), 16);
        Assert.Equal(5, gallery.Search(q, 5).Count); // Default falls back to the compressed scan
        Assert.Contains("KeepFloat32", Assert.Throws<NotSupportedException>(() =>
            gallery.Search(q, 5, new SearchOptions { Strategy = SearchStrategy.Exact })).Message);
        Assert.Throws<NotSupportedException>(() => gallery.Search(q, 5, new SearchOptions { Strategy = SearchStrategy.TwoStage }));
        Assert.Equal(64 + 4 + 4, gallery.MemoryUsage.BytesPerRow); // int8 row (padded to 64 B) + its scale and sum, no float32 copy
    }

    [Fact]
    public void Verify_scores_a_probe_against_one_enrolled_vector()
    {
        foreach (var precision in Enum.GetValues<VectorPrecision>())
        {
            foreach (var keep in new[] { true, false })
            {
                var (gallery, live) = Build(20, 100, seed: 91, precision, keepFloat32: keep);
                using var _ = gallery;
                var probe = TestVectors.Gaussian(new Random(92), 100);
                double expected = TestVectors.Dot(TestVectors.Normalize(live[7].Vector), TestVectors.Normalize(probe));
                float? actual = gallery.Verify("id-7", probe);
                Assert.NotNull(actual);
                double tolerance = keep || precision == VectorPrecision.Float32 ? 1e-5 : precision == VectorPrecision.Float16 ? 2e-3 : 0.03;
                Assert.True(Math.Abs(actual.Value - expected) < tolerance, $"{precision} keep={keep}: {actual} vs {expected}");
                Assert.Null(gallery.Verify("nobody", probe));
            }
        }
    }
}
