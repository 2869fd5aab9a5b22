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
    /// <summary>Layout version written now; readers accept 1..CurrentVersion.</summary>
    public const byte CurrentVersion = 1;
}
