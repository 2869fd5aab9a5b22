using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

/// <summary>The FASTER layer on its own: durability-independent behaviour of keys, values, scans and compaction.</summary>
public sealed class StoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private static readonly StoreSettings Small = new() { PageSizeBits = 16, MemorySizeBits = 19, IndexSizeBytes = 1 << 14 };

    public void Dispose() => _dir.Dispose();

    private static byte[] Key(int i) => [0x10, .. BitConverter.GetBytes(i)];

    private static byte[] Value(int i, int length = 300)
    {
        var v = new byte[length];
        new Random(i * 7919 + length).NextBytes(v);
        return v;
    }

    private static byte[] Read(FasterStore store, byte[] key)
    {
        Assert.True(store.TryRead(key, out var output), "expected the key to be present");
        try { return output.Span.ToArray(); }
        finally { output.Release(); }
    }

    [Fact]
    public async Task Upsert_read_update_and_delete_round_trip()
    {
        await using var store = await FasterStore.OpenAsync(_dir.Path, Small);
        store.Upsert(Key(1), Value(1));
        Assert.Equal(Value(1), Read(store, Key(1)));

        store.Upsert(Key(1), Value(2, 500)); // larger: a new record
        Assert.Equal(Value(2, 500), Read(store, Key(1)));
        store.Upsert(Key(1), Value(3, 500)); // same size: in place
        Assert.Equal(Value(3, 500), Read(store, Key(1)));

        store.Delete(Key(1));
        Assert.False(store.TryRead(Key(1), out _));
        Assert.False(store.Exists(Key(1)));
        Assert.False(store.TryRead(Key(2), out _));
    }

    [Fact]
    public async Task Scan_yields_each_live_key_once_with_its_latest_value()
    {
        await using var store = await FasterStore.OpenAsync(_dir.Path, Small);
        for (var i = 0; i < 400; i++) store.Upsert(Key(i), Value(i));
        await store.CommitAsync(); // fold the log over so later changes append new versions
        for (var i = 0; i < 400; i += 4) store.Delete(Key(i));
        for (var i = 1; i < 400; i += 4) store.Upsert(Key(i), Value(i + 1000));
        store.Upsert([0x11, 1, 2, 3], [9]); // another prefix

        var seen = store.Scan([0x10], chunkSize: 37).ToList();
        Assert.Equal(300, seen.Count);
        Assert.Equal(300, seen.Select(r => BitConverter.ToInt32(r.Key, 1)).Distinct().Count());
        foreach (var record in seen)
        {
            var i = BitConverter.ToInt32(record.Key, 1);
            Assert.NotEqual(0, i % 4);
            Assert.Equal(i % 4 == 1 ? Value(i + 1000) : Value(i), record.Value);
        }
    }

    [Fact]
    public async Task Compaction_keeps_live_records_and_leaves_no_deleted_bytes_in_any_file()
    {
        await using var store = await FasterStore.OpenAsync(_dir.Path, Small);
        for (var i = 0; i < 600; i++) store.Upsert(Key(i), Value(i));
        await store.CommitAsync();
        for (var i = 0; i < 600; i += 2) store.Delete(Key(i));
        await store.CommitAsync();
        Assert.NotEmpty(TestVault.FilesContaining(_dir.Path, Value(0)));

        var result = await store.CompactAsync();

        Assert.True(result.BeginAfter > result.BeginBefore);
        Assert.Equal(0, result.BeginAfter & ((1L << Small.PageSizeBits) - 1)); // a segment boundary
        for (var i = 0; i < 600; i += 2) Assert.Empty(TestVault.FilesContaining(_dir.Path, Value(i)));
        for (var i = 1; i < 600; i += 2) Assert.Equal(Value(i), Read(store, Key(i)));
        Assert.Equal(300, store.Scan([0x10]).Count());
    }

    [Fact]
    public async Task Committed_writes_survive_reopen_and_compaction_state_is_recovered()
    {
        await using (var store = await FasterStore.OpenAsync(_dir.Path, Small))
        {
            for (var i = 0; i < 200; i++) store.Upsert(Key(i), Value(i));
            for (var i = 0; i < 200; i += 2) store.Delete(Key(i));
            await store.CommitAsync();
            await store.CompactAsync();
            store.Upsert(Key(1000), Value(1000));
            await store.CommitAsync();
        }
        await using (var store = await FasterStore.OpenAsync(_dir.Path, Small))
        {
            Assert.Equal(Value(1000), Read(store, Key(1000)));
            for (var i = 0; i < 200; i++)
            {
                if (i % 2 == 0) Assert.False(store.Exists(Key(i)));
                else Assert.Equal(Value(i), Read(store, Key(i)));
            }
        }
    }

    [Fact]
    public async Task Concurrent_commits_are_grouped()
    {
        await using var store = await FasterStore.OpenAsync(_dir.Path, Small);
        var before = store.CommitCount;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            store.Upsert(Key(i), Value(i));
            await store.CommitAsync();
        })));
        var commits = store.CommitCount - before;
        Assert.InRange(commits, 1, 63); // at least two writers shared a checkpoint
        for (var i = 0; i < 64; i++) Assert.True(store.Exists(Key(i)));
    }

    [Fact]
    public void Invalid_settings_are_refused_with_a_reason()
    {
        var ex = Assert.Throws<VaultConfigurationException>(() => new StoreSettings { PageSizeBits = 40 }.Validate());
        Assert.Contains("PageSizeBits", ex.Message);
        Assert.Throws<VaultConfigurationException>(() => new StoreSettings { PageSizeBits = 16, MemorySizeBits = 16 }.Validate());
        Assert.Throws<VaultConfigurationException>(() => new StoreSettings { IndexSizeBytes = 1000 }.Validate());
    }

    [Fact]
    public async Task A_second_opener_is_refused_while_the_store_is_open()
    {
        await using (var store = await FasterStore.OpenAsync(_dir.Path, Small))
        {
            var ex = await Assert.ThrowsAsync<VaultStorageException>(() => FasterStore.OpenAsync(_dir.Path, Small));
            Assert.Contains("in use", ex.Message);
        }
        await using (var again = await FasterStore.OpenAsync(_dir.Path, Small)) { }
    }

    [Fact]
    public async Task Records_evicted_to_disk_are_read_scanned_and_compacted()
    {
        // Two 64 KiB pages in memory, about 1.2 MiB of records: most reads go to the log files.
        var tiny = new StoreSettings { PageSizeBits = 16, MemorySizeBits = 17, IndexSizeBytes = 1 << 14 };
        await using var store = await FasterStore.OpenAsync(_dir.Path, tiny);
        for (var i = 0; i < 4000; i++)
        {
            store.Upsert(Key(i), Value(i));
            if (i % 500 == 499) await store.CommitAsync();
        }
        await store.CommitAsync();
        Assert.True(store.Addresses.Head > 1L << 20, "expected most of the log to be evicted from memory");
        for (var i = 0; i < 4000; i += 3) store.Delete(Key(i));
        await store.CommitAsync();

        for (var i = 0; i < 4000; i += 7)
        {
            if (i % 3 == 0) Assert.False(store.Exists(Key(i)));
            else Assert.Equal(Value(i), Read(store, Key(i)));
        }
        Assert.Equal(4000 - 1334, store.Scan([0x10]).Count());

        await store.CompactAsync();
        Assert.Empty(TestVault.FilesContaining(_dir.Path, Value(3)));
        Assert.Equal(Value(3998), Read(store, Key(3998)));
        Assert.Equal(4000 - 1334, store.Scan([0x10]).Count());
    }
}
