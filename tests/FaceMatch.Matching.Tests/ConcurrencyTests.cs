using System.Collections.Concurrent;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Matching.Tests;

/// <summary>Searches running while ids are added, replaced and removed, with compaction and growth swapping stores underneath.</summary>
public class ConcurrencyTests
{
    [Theory]
    [InlineData(VectorPrecision.Float32)]
    [InlineData(VectorPrecision.Int8)]
    public async Task Searches_stay_correct_while_the_gallery_changes(VectorPrecision precision)
    {
        const int dim = 40;
        var rng = new Random(100);
        using var gallery = new Gallery(new GalleryOptions
        {
            Dimension = dim, Precision = precision, InitialCapacity = 16, CompactionMinDead = 40, CompactionDeadFraction = 0.1,
        });
        // Vectors are fixed per id, so any returned (id, score) can be checked against the truth.
        var vectorOf = new ConcurrentDictionary<string, float[]>();
        for (int i = 0; i < 600; i++)
        {
            var v = TestVectors.Unit(rng, dim);
            vectorOf[$"s{i}"] = v;
            gallery.Upsert($"s{i}", v);
        }
        // Ids removed for good: once Remove returns, no search that starts afterwards may return them.
        var goneForGood = new ConcurrentDictionary<string, bool>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        int searches = 0;

        // Readers and writer get threads of their own (LongRunning): busy loops parked on thread-pool threads would
        // starve the pool that the partitioned scans and the background compaction run on.
        var writer = Task.Factory.StartNew(() =>
        {
            var wrng = new Random(101);
            for (int i = 0; i < 1500; i++)
            {
                string id = $"w{i}";
                var v = TestVectors.Unit(wrng, dim);
                vectorOf[id] = v;
                gallery.Upsert(id, v);
                if (i % 2 == 0)
                {
                    string victim = i % 4 == 0 ? $"s{i / 4 % 600}" : $"w{i / 2}";
                    if (gallery.Remove(victim)) goneForGood[victim] = true;
                }
            }
        }, TaskCreationOptions.LongRunning);

        var readers = Enumerable.Range(0, 3).Select(r => Task.Factory.StartNew(() =>
        {
            var rrng = new Random(200 + r);
            for (int mine = 0; !stop.IsCancellationRequested || mine < 20; mine++)
            {
                var gone = goneForGood.Keys.ToHashSet(); // removed before this search starts
                var query = TestVectors.Unit(rrng, dim);
                var options = new SearchOptions { Threads = 1 + r % 2, MinRowsPerThread = 64 };
                var hits = gallery.Search(query, 8, options);
                Interlocked.Increment(ref searches);
                foreach (var hit in hits)
                {
                    if (gone.Contains(hit.Id)) failures.Enqueue($"{hit.Id} returned after its removal");
                    double truth = TestVectors.Dot(vectorOf[hit.Id], query);
                    if (Math.Abs(truth - hit.Score) > 1e-4) failures.Enqueue($"{hit.Id}: score {hit.Score}, truth {truth}");
                }
                for (int i = 1; i < hits.Count; i++)
                    if (hits[i].Score > hits[i - 1].Score) failures.Enqueue("results out of order");
                if (hits.Select(h => h.Id).Distinct().Count() != hits.Count) failures.Enqueue("duplicate id in results");
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        await writer;
        await gallery.BackgroundCompaction;
        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.True(searches >= 60, $"only {searches} searches ran");
        // The final state equals what the writer left, whatever compaction did meanwhile.
        var expectedLive = vectorOf.Keys.Where(id => !goneForGood.ContainsKey(id)).ToHashSet();
        Assert.Equal(expectedLive.Count, gallery.Count);
        var all = gallery.Search(TestVectors.Unit(new Random(5), dim), expectedLive.Count + 10, new SearchOptions { Strategy = SearchStrategy.Exact });
        Assert.Equal(expectedLive.Order(), all.Select(m => m.Id).Order());
    }
}
