namespace FaceMatch.Vault.Storage;

/// <summary>Sizing of the FASTER log and index. Defaults suit a server; tests shrink them.</summary>
public sealed record StoreSettings
{
    /// <summary>Log page size as a power of two. A page is also one segment file, so compaction can drop whole
    /// files; every record (the largest is a development capture) must fit in one page.</summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>In-memory part of the log as a power of two (at least two pages).</summary>
    public int MemorySizeBits { get; init; } = 28;

    /// <summary>Hash index size in bytes (a power of two, at least 512).</summary>
    public long IndexSizeBytes { get; init; } = 1L << 26;

    /// <summary>After this many group commits a full (index + log) checkpoint replaces the log-only one, which
    /// bounds how much log recovery has to replay.</summary>
    public int FullCheckpointEveryCommits { get; init; } = 4096;

    /// <summary>How long compaction waits for running scans (e.g. a gallery load) to finish.</summary>
    public TimeSpan CompactionWaitTimeout { get; init; } = TimeSpan.FromMinutes(5);

    internal long PageSize => 1L << PageSizeBits;

    internal void Validate()
    {
        if (PageSizeBits is < 12 or > 30) throw new VaultConfigurationException($"PageSizeBits must be within 12..30, got {PageSizeBits}");
        if (MemorySizeBits < PageSizeBits + 1 || MemorySizeBits > 40) throw new VaultConfigurationException($"MemorySizeBits must be within PageSizeBits+1..40, got {MemorySizeBits}");
        if (IndexSizeBytes < 512 || (IndexSizeBytes & (IndexSizeBytes - 1)) != 0) throw new VaultConfigurationException($"IndexSizeBytes must be a power of two >= 512, got {IndexSizeBytes}");
        if (FullCheckpointEveryCommits < 1) throw new VaultConfigurationException("FullCheckpointEveryCommits must be at least 1");
    }
}
