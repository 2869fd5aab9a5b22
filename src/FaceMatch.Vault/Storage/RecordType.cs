namespace FaceMatch.Vault.Storage;

/// <summary>First byte of every store key: what kind of record it names. Values are never renumbered.</summary>
internal enum RecordType : byte
{
    KeyCheck = 0x01,
    TenantKey = 0x02,
    Tenant = 0x03,
    Token = 0x04,
    Template = 0x10,
    DevCapture = 0x11,
    UsageRecord = 0x12,
    UsageCounters = 0x13,
    DeviceHashKey = 0x14,
    Filler = 0xFF,
}
