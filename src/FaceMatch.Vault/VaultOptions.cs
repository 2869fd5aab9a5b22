using FaceMatch.Vault.Storage;
using FaceMatch.Vault.Storage.Cluster;

namespace FaceMatch.Vault;

/// <summary>Configuration of a <see cref="FaceMatchVault"/>. Only <see cref="DataDirectory"/> is required.</summary>
public sealed record VaultOptions
{
    /// <summary>Where everything lives: master.key (unless given by environment) and vault/ (log, checkpoints).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Base64 master key. Null: FACEMATCH_MASTER_KEY, else &lt;data&gt;/master.key (generated when absent).</summary>
    public string? MasterKeyBase64 { get; init; }

    /// <summary>Whether to read FACEMATCH_MASTER_KEY when <see cref="MasterKeyBase64"/> is null.</summary>
    public bool UseEnvironmentMasterKey { get; init; } = true;

    /// <summary>The clock for timestamps and retention (tests pass a manual one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Sizing of the embedded FASTER store (unused with <see cref="Cluster"/>).</summary>
    public StoreSettings Store { get; init; } = new();

    /// <summary>
    /// The store cluster to keep records in instead of the embedded store under <see cref="DataDirectory"/>
    /// (which then holds only master.key, when the key is not configured otherwise). Null: embedded.
    /// </summary>
    public ClusterStoreSettings? Cluster { get; init; }

    /// <summary>Largest embedding accepted (templates and probes).</summary>
    public int MaxEmbeddingDimension { get; init; } = 4096;

    /// <summary>A use of a template is written (restarting its retention) at most this often.</summary>
    public TimeSpan TouchGranularity { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Device-id hash keys rotate every this many days.</summary>
    public int DeviceKeyRotationDays { get; init; } = 30;

    /// <summary>Largest development capture (image bytes) accepted.</summary>
    public int MaxDevCaptureBytes { get; init; } = 512 * 1024;

    /// <summary>Most quality values one development capture may carry.</summary>
    public int MaxDevCaptureQualityValues { get; init; } = 64;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new VaultConfigurationException("DataDirectory is required");
        Store.Validate();
        Cluster?.Validate();
        if (MaxEmbeddingDimension is < 2 or > 4096) throw new VaultConfigurationException("MaxEmbeddingDimension must be within 2..4096");
        if (TouchGranularity < TimeSpan.Zero) throw new VaultConfigurationException("TouchGranularity must not be negative");
        if (DeviceKeyRotationDays < 1) throw new VaultConfigurationException("DeviceKeyRotationDays must be at least 1");
        if (MaxDevCaptureBytes < 1 || MaxDevCaptureBytes + 64 * 1024 > Store.PageSize)
            throw new VaultConfigurationException($"MaxDevCaptureBytes must be at least 1 and leave 64 KiB of a {Store.PageSize}-byte log page");
    }
}
