namespace FaceMatch.Vault.Tenants;

/// <summary>Liveness handling (facematch.v1.LivenessMode; same numbers).</summary>
public enum LivenessMode : byte
{
    Unspecified = 0,
    Required = 1,
    Advisory = 2,
    /// <summary>As Required, with server-chosen actions to perform (stored as 3; older records hold only 0–2).</summary>
    Challenge = 3,
}

/// <summary>How a tenant's matching gallery holds its templates in memory (facematch.v1.GalleryStorage; same numbers).</summary>
public enum GalleryStorage : byte
{
    /// <summary>The server's default.</summary>
    Unspecified = 0,
    /// <summary>float32 rows: exact scans.</summary>
    Float32 = 1,
    /// <summary>int8 rows only (about a quarter of the memory); candidates re-scored from the stored float32 templates.</summary>
    Int8 = 2,
}

/// <summary>
/// A tenant's policy (facematch.v1.Policy). Zero means "server default" where the contract says so:
/// templates are kept until deleted, development captures <see cref="DefaultDevCaptureRetentionDays"/> days,
/// usage records <see cref="MaxUsageRetentionDays"/> days.
/// </summary>
public sealed record Policy
{
    public const uint DefaultDevCaptureRetentionDays = 30;
    public const uint MaxUsageRetentionDays = 730;
    public const uint MaxRetentionDays = 36_500;

    public LivenessMode Liveness { get; init; }
    /// <summary>Days since last use; 0 = until deleted.</summary>
    public uint TemplateRetentionDays { get; init; }
    public uint DevCaptureRetentionDays { get; init; }
    /// <summary>At most 730.</summary>
    public uint UsageRetentionDays { get; init; }
    /// <summary>0 = server default.</summary>
    public float MatchThreshold { get; init; }
    /// <summary>Session liveness score (0..1) at or above which a session counts as live; 0 = server default.</summary>
    public float LivenessThreshold { get; init; }
    /// <summary>Enrolment refuses a face that already matches a template of the tenant (reason "duplicate").</summary>
    public bool DuplicateCheck { get; init; }
    /// <summary>How the tenant's gallery holds its templates in memory; Unspecified = the server's default.</summary>
    public GalleryStorage GalleryStorage { get; init; }

    public static Policy Default { get; } = new();

    public uint EffectiveDevCaptureRetentionDays => DevCaptureRetentionDays == 0 ? DefaultDevCaptureRetentionDays : DevCaptureRetentionDays;
    public uint EffectiveUsageRetentionDays => UsageRetentionDays == 0 ? MaxUsageRetentionDays : UsageRetentionDays;

    /// <summary>Throws <see cref="VaultArgumentException"/> naming the first field out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Liveness)) throw new VaultArgumentException($"liveness mode {(int)Liveness} is unknown");
        if (!Enum.IsDefined(GalleryStorage)) throw new VaultArgumentException($"gallery storage {(int)GalleryStorage} is unknown");
        if (TemplateRetentionDays > MaxRetentionDays) throw new VaultArgumentException($"template_retention_days must be at most {MaxRetentionDays}");
        if (DevCaptureRetentionDays > MaxRetentionDays) throw new VaultArgumentException($"dev_capture_retention_days must be at most {MaxRetentionDays}");
        if (UsageRetentionDays > MaxUsageRetentionDays) throw new VaultArgumentException($"usage_retention_days must be at most {MaxUsageRetentionDays}");
        if (!float.IsFinite(MatchThreshold) || MatchThreshold < -1 || MatchThreshold > 1)
            throw new VaultArgumentException("match_threshold must be a cosine similarity within -1..1 (0 = server default)");
        if (!float.IsFinite(LivenessThreshold) || LivenessThreshold < 0 || LivenessThreshold > 1)
            throw new VaultArgumentException("liveness_threshold must be within 0..1 (0 = server default)");
    }
}

/// <summary>A customer of the service: its id, display name and policy.</summary>
public sealed record Tenant(string TenantId, string Name, Policy Policy, DateTimeOffset Created);
