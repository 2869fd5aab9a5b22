using System.Runtime.CompilerServices;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Tests;

/// <summary>Adding, replacing, removing, loading, limits, bad input and memory accounting.</summary>
public class GalleryTests
{
    [Fact]
    public void Upsert_replaces_the_vector_of_an_existing_id()
    {
        using var gallery = new Gallery(new GalleryOptions { Dimension = 4, BackgroundCompaction = false });
        Assert.True(gallery.Upsert("a", [1, 0, 0, 0]));
        Assert.True(gallery.Upsert("b", [0, 1, 0, 0]));
        Assert.False(gallery.Upsert("a", [0, 0, 1, 0]));
        Assert.Equal(2, gallery.Count);
        var hits = gallery.Search([0, 0, 1, 0], 5);
        Assert.Equal(("a", 1f), (hits[0].Id, hits[0].Score));
        Assert.Equal(2, hits.Count); // the old row for "a" is a tombstone, not a second hit
        Assert.Equal(1, gallery.MemoryUsage.TombstonedRows);
    }

    [Fact]
    public void Growth_keeps_every_vector_and_drops_tombstones()
    {
        var rng = new Random(3);
        using var gallery = new Gallery(new GalleryOptions { Dimension = 20, InitialCapacity = 4, BackgroundCompaction = false });
        var vectors = new Dictionary<string, float[]>();
        for (int i = 0; i < 300; i++)
        {
            var v = TestVectors.Unit(rng, 20);
            gallery.Upsert($"x{i}", v);
            vectors[$"x{i}"] = v;
            if (i % 5 == 0) { gallery.Remove($"x{i}"); vectors.Remove($"x{i}"); }
        }
        Assert.Equal(vectors.Count, gallery.Count);
        var usage = gallery.MemoryUsage;
        Assert.True(usage.Capacity >= usage.Rows && usage.Rows >= usage.LiveRows);
        foreach (var (id, v) in vectors)
            Assert.Equal(id, gallery.Search(v, 1)[0].Id);
    }

    [Fact]
    public void Memory_usage_accounts_for_every_matrix()
    {
        using var f32 = new Gallery(new GalleryOptions { Dimension = 130, InitialCapacity = 100 });
        using var i8 = new Gallery(new GalleryOptions { Dimension = 130, InitialCapacity = 100, Precision = VectorPrecision.Int8 });
        using var f16 = new Gallery(new GalleryOptions { Dimension = 130, InitialCapacity = 100, Precision = VectorPrecision.Float16, KeepFloat32 = false });
        // Rows are padded to whole 64-byte lines: 130 floats -> 144 (576 B); 130 int8 -> 192 B; 130 halves -> 160 (320 B).
        Assert.Equal(576, f32.MemoryUsage.BytesPerRow);
        Assert.Equal(576 + 192 + 4 + 4, i8.MemoryUsage.BytesPerRow); // + scale + row sum
        Assert.Equal(320, f16.MemoryUsage.BytesPerRow);
        Assert.Equal(100L * 576, f32.MemoryUsage.NativeBytes);
        Assert.Equal(100L * (576 + 192 + 4 + 4), i8.MemoryUsage.NativeBytes);
        Assert.Equal(100L * 320, f16.MemoryUsage.NativeBytes);
    }

    [Fact]
    public async Task Load_takes_an_enumeration_and_an_async_stream()
    {
        var rng = new Random(4);
        var records = Enumerable.Range(0, 250).Select(i => new GalleryRecord($"t{i}", TestVectors.Unit(rng, 64))).ToList();
        using var sync = new Gallery(new GalleryOptions { Dimension = 64, InitialCapacity = 8 });
        Assert.Equal(250, sync.Load(records));
        Assert.True(sync.MemoryUsage.Capacity >= 250);

        using var async = new Gallery(new GalleryOptions { Dimension = 64 });
        Assert.Equal(250, await async.LoadAsync(Stream(records)));
        Assert.Equal(250, async.Count);
        foreach (var r in records.Take(30))
        {
            Assert.Equal(r.Id, sync.Search(r.Vector.Span, 1)[0].Id);
            Assert.Equal(r.Id, async.Search(r.Vector.Span, 1)[0].Id);
        }

        static async IAsyncEnumerable<GalleryRecord> Stream(IEnumerable<GalleryRecord> items, [EnumeratorCancellation] CancellationToken ct = default)
        {
            foreach (var item in items)
            {
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
                yield return item;
            }
        }
    }

    [Fact]
    public void A_bad_record_in_a_load_is_reported_with_its_reason()
    {
        using var gallery = new Gallery(new GalleryOptions { Dimension = 3 });
        var records = new[] { new GalleryRecord("ok", new float[] { 1, 2, 3 }), new GalleryRecord("short", new float[] { 1, 2 }) };
        var e = Assert.Throws<ArgumentException>(() => gallery.Load(records));
        Assert.Contains("2 elements", e.Message);
        Assert.True(gallery.Contains("ok"));
    }

    [Fact]
    public void Bad_vectors_ids_and_search_arguments_are_refused_with_a_reason()
    {
        using var gallery = new Gallery(new GalleryOptions { Dimension = 4, MaxK = 10, MaxBatch = 2, MaxThreads = 2, MaxIdLength = 5 });
        gallery.Upsert("a", [1, 2, 3, 4]);
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => gallery.Upsert("b", [1, float.NaN, 0, 0])).Message);
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => gallery.Upsert("b", [1, float.PositiveInfinity, 0, 0])).Message);
        Assert.Contains("zero", Assert.Throws<ArgumentException>(() => gallery.Upsert("b", [0, 0, 0, 0])).Message);
        Assert.Contains("3 elements", Assert.Throws<ArgumentException>(() => gallery.Upsert("b", [1, 2, 3])).Message);
        Assert.Throws<ArgumentException>(() => gallery.Upsert("", [1, 2, 3, 4]));
        Assert.Contains("MaxIdLength", Assert.Throws<ArgumentException>(() => gallery.Upsert("toolong", [1, 2, 3, 4])).Message);
        Assert.Throws<ArgumentNullException>(() => gallery.Upsert(null!, [1, 2, 3, 4]));

        float[] q = [1, 0, 0, 0];
        Assert.Throws<ArgumentOutOfRangeException>(() => gallery.Search(q, 0));
        Assert.Contains("MaxK", Assert.Throws<GalleryLimitException>(() => gallery.Search(q, 11)).Message);
        Assert.Contains("MaxBatch", Assert.Throws<GalleryLimitException>(() => gallery.SearchBatch(new float[12], 3, 1)).Message);
        Assert.Throws<ArgumentException>(() => gallery.SearchBatch(new float[7], 2, 1));
        Assert.Contains("MaxThreads", Assert.Throws<GalleryLimitException>(() => gallery.Search(q, 1, new SearchOptions { Threads = 3 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => gallery.Search(q, 1, new SearchOptions { Threads = 0 }));
        Assert.Throws<ArgumentException>(() => gallery.Search(q, 1, new SearchOptions { MinScore = float.NaN }));
        Assert.Contains("zero", Assert.Throws<ArgumentException>(() => gallery.Search(new float[4], 1)).Message);
        Assert.Contains("query 1", Assert.Throws<ArgumentException>(() => gallery.SearchBatch(new float[] { 1, 0, 0, 0, float.NaN, 0, 0, 0 }, 2, 1)).Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new Gallery(new GalleryOptions { Dimension = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Gallery(new GalleryOptions { Dimension = GalleryOptions.MaxSupportedDimension + 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Gallery(new GalleryOptions { Dimension = 4, CompactionDeadFraction = 2 }));
    }

    [Fact]
    public void MaxRows_refuses_new_ids_but_still_allows_replacing()
    {
        using var gallery = new Gallery(new GalleryOptions { Dimension = 2, MaxRows = 3, InitialCapacity = 2 });
        gallery.Upsert("a", [1, 0]);
        gallery.Upsert("b", [0, 1]);
        gallery.Upsert("c", [1, 1]);
        var e = Assert.Throws<GalleryLimitException>(() => gallery.Upsert("d", [1, 2]));
        Assert.Contains("MaxRows", e.Message);
        gallery.Upsert("a", [2, 1]);
        gallery.Remove("b");
        gallery.Upsert("d", [1, 2]);
        Assert.Equal(3, gallery.Count);
        Assert.Equal(["a", "c", "d"], gallery.Search([1, 1], 10).Select(m => m.Id).Order());
    }

    [Fact]
    public async Task Background_compaction_starts_by_itself_once_enough_rows_are_dead()
    {
        var rng = new Random(8);
        using var gallery = new Gallery(new GalleryOptions
        {
            Dimension = 16, CompactionMinDead = 50, CompactionDeadFraction = 0.25, InitialCapacity = 512,
        });
        for (int i = 0; i < 400; i++) gallery.Upsert($"k{i}", TestVectors.Unit(rng, 16));
        for (int i = 0; i < 49; i++) gallery.Remove($"k{i}");
        Assert.Equal(49, gallery.MemoryUsage.TombstonedRows); // below both thresholds: nothing started
        for (int i = 49; i < 120; i++) gallery.Remove($"k{i}");
        await gallery.BackgroundCompaction;
        var usage = gallery.MemoryUsage;
        Assert.True(usage.TombstonedRows < 100, $"tombstones left: {usage.TombstonedRows}");
        Assert.Equal(280, usage.LiveRows);
        Assert.Equal(280, gallery.Count);
    }

    [Fact]
    public void A_disposed_gallery_refuses_work()
    {
        var gallery = new Gallery(new GalleryOptions { Dimension = 2 });
        gallery.Upsert("a", [1, 0]);
        gallery.Dispose();
        gallery.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gallery.Search([1, 0], 1));
        Assert.Throws<ObjectDisposedException>(() => gallery.Upsert("b", [1, 0]));
    }

    [Fact]
    public void Tenants_never_see_each_others_vectors()
    {
        using var tenants = new TenantGalleries(_ => new GalleryOptions { Dimension = 3 });
        tenants.For("acme").Upsert("alice", [1, 0, 0]);
        tenants.For("globex").Upsert("bob", [1, 0, 0]);
        Assert.Equal(["alice"], tenants.For("acme").Search([1, 0, 0], 10).Select(m => m.Id));
        Assert.Equal(["bob"], tenants.For("globex").Search([1, 0, 0], 10).Select(m => m.Id));
        Assert.Same(tenants.For("acme"), tenants.For("acme"));
        var acme = tenants.For("acme");
        Assert.True(tenants.Drop("acme"));
        Assert.Throws<ObjectDisposedException>(() => acme.Search([1, 0, 0], 1));
        Assert.Empty(tenants.For("acme").Search([1, 0, 0], 10));
        Assert.False(tenants.Drop("nobody"));
    }
}

[CollectionDefinition(nameof(LedgerCollection), DisableParallelization = true)]
public class LedgerCollection;

/// <summary>The process-wide native byte count; run alone so other tests' galleries do not move it meanwhile.</summary>
[Collection(nameof(LedgerCollection))]
public class NativeLedgerTests
{
    [Fact]
    public void Native_bytes_are_counted_on_allocation_and_returned_on_dispose()
    {
        long before = NativeMemoryLedger.AllocatedBytes;
        var gallery = new Gallery(new GalleryOptions { Dimension = 512, InitialCapacity = 1000, Precision = VectorPrecision.Int8 });
        Assert.Equal(before + gallery.MemoryUsage.NativeBytes, NativeMemoryLedger.AllocatedBytes);
        Assert.Equal(1000L * (2048 + 512 + 4 + 4), gallery.MemoryUsage.NativeBytes);
        gallery.Dispose();
        Assert.Equal(before, NativeMemoryLedger.AllocatedBytes);
    }
}
