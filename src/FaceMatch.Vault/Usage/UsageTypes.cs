using System.Net;

namespace FaceMatch.Vault.Usage;

public enum SessionKind : byte
{
    Enroll = 1,
    Authenticate = 2,
    Identify = 3,
}

/// <summary>Billing counters of a tenant (facematch.v1.Usage).</summary>
public sealed record UsageCounters
{
    public ulong Sessions { get; init; }
    public ulong Enrollments { get; init; }
    public ulong Authentications { get; init; }
    public ulong Identifications { get; init; }
    public ulong Compares { get; init; }
    public ulong Frames { get; init; }
    /// <summary>Templates currently stored.</summary>
    public ulong Templates { get; init; }
    /// <summary>Duplicate sweeps of the whole gallery started (Admin.FindDuplicates).</summary>
    public ulong DuplicateSweeps { get; init; }
}

/// <summary>
/// What the service layer reports about a finished session, raw. The usage store anonymises it before anything
/// is written: the address is cut to its network prefix and the device id is replaced by a keyed hash.
/// </summary>
public sealed record SessionUsage
{
    public required SessionKind Kind { get; init; }
    public required DateTimeOffset Started { get; init; }
    public TimeSpan Duration { get; init; }
    public IPAddress? ClientAddress { get; init; }
    public string? DeviceId { get; init; }
    public string? SdkVersion { get; init; }
    public string? OsVersion { get; init; }
    public string? DeviceModel { get; init; }
    /// <summary>Empty on success, else the session's reason (no_face, not_live, ...).</summary>
    public string Outcome { get; init; } = "";
    public uint Frames { get; init; }
}

/// <summary>An anonymised session record as stored.</summary>
public sealed record UsageRecord(
    SessionKind Kind,
    DateTimeOffset Started,
    TimeSpan Duration,
    string NetworkPrefix,
    string DeviceHash,
    string SdkVersion,
    string OsVersion,
    string DeviceModel,
    string Outcome,
    uint Frames);
