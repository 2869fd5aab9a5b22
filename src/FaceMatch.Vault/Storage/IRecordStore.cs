namespace FaceMatch.Vault.Storage;

/// <summary>A live record found by a scan: copies of its key and value bytes.</summary>
internal readonly record struct StoredRecord(byte[] Key, byte[] Value);

/// <summary>
/// Where the vault's records live: byte-string keys and values that the store never interprets. Every key that
/// reaches it is <see cref="StoreKeys"/>' layout (type, tenant id, an HMAC or random suffix) and every value is a
/// sealed envelope (<see cref="Crypto.Sealer"/>), so a store, embedded or a remote cluster, holds nothing readable.
/// <para>
/// Writes (<see cref="Upsert"/>, <see cref="Delete"/>) are visible to reads at once and durable only after
/// <see cref="CommitAsync"/>: a caller writes, then awaits the commit, and only then acknowledges. Reads and writes
/// are synchronous and may be called from any thread; callers never hold a lock across an await.
/// </para>
/// </summary>
internal interface IRecordStore : IAsyncDisposable
{
    void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    void Delete(ReadOnlySpan<byte> key);

    /// <summary>Reads a value into a pooled buffer; the caller must <see cref="ReadOutput.Release"/> it.</summary>
    bool TryRead(ReadOnlySpan<byte> key, out ReadOutput value);

    bool Exists(ReadOnlySpan<byte> key);

    /// <summary>
    /// Writes <paramref name="value"/> only if the key still holds exactly <paramref name="expected"/> (null: only if
    /// it is absent), as one atomic step; false when another writer changed it since the caller read it. For records
    /// that several servers of a shared store update in place (the usage counters). Durable after
    /// <see cref="CommitAsync"/>, like <see cref="Upsert"/>. Sealed values carry a random nonce, so equal bytes mean
    /// the very record the caller read.
    /// </summary>
    bool SwapIf(ReadOnlySpan<byte> key, byte[]? expected, ReadOnlySpan<byte> value);

    /// <summary>
    /// Completes once everything this caller wrote before the call is durable (group commit: concurrent callers
    /// share one flush or confirmation); throws <see cref="VaultStorageException"/> when that cannot be promised.
    /// </summary>
    Task CommitAsync();

    /// <summary>
    /// Every live record whose key starts with <paramref name="prefix"/>, each once, read in bulk (chunks of about
    /// <paramref name="chunkSize"/>), never one lookup per record. Records written or deleted while the scan runs
    /// may or may not appear; records live for the whole scan always do.
    /// </summary>
    IEnumerable<StoredRecord> Scan(byte[] prefix, int chunkSize = 1024);

    /// <summary>
    /// The store's own compaction, after which no file it keeps holds a byte of a deleted or superseded record.
    /// </summary>
    Task CompactAsync();

    /// <summary>
    /// Whether other processes write to this store too (a cluster several servers share): then a record cached in
    /// memory can be stale at any moment, and whatever must see another server's change (a deleted tenant, a new
    /// policy) is read from the store each time.
    /// </summary>
    bool IsShared { get; }

    /// <summary>Commits (confirmation rounds) taken so far, for tests and diagnostics.</summary>
    long CommitCount { get; }
}
