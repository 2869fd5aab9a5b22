namespace FaceMatch.Vault.Encoding;

/// <summary>Kind byte in every plaintext record, after the layout version. Values are never renumbered.</summary>
internal enum RecordKind : byte
{
    KeyCheck = 1,
    TenantKey = 2,
    Tenant = 3,
    Token = 4,
    Template = 16,
    DevCapture = 17,
    UsageRecord = 18,
    UsageCounters = 19,
    DeviceHashKey = 20,
}

internal static class RecordHeader
{
    /// <summary>
    /// Newest layout version; readers accept 1..CurrentVersion. Templates (sample weight) and usage counters (duplicate
    /// sweeps) have a v2, tenants a v2 (liveness threshold, duplicate check) and a v3 (gallery storage); other kinds
    /// still write v1.
    /// </summary>
    public const byte CurrentVersion = 3;
}
