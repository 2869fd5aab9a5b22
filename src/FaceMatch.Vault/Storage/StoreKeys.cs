using System.Buffers.Binary;

namespace FaceMatch.Vault.Storage;

/// <summary>
/// Layout of every store key: <c>[type 1][tenant id 16][suffix]</c> for tenant-siloed records, so one tenant's
/// records share a scan prefix. Template keys end in an HMAC of the template id under the tenant's id key: the
/// same id names nothing in another silo, and the key reveals nothing about the id.
/// </summary>
internal static class StoreKeys
{
    public const int TenantPrefixLength = 1 + OpaqueId.ByteLength;
    public const int RecordIdLength = 16;

    public static byte[] KeyCheck() => [(byte)RecordType.KeyCheck];

    public static byte[] TenantPrefix(RecordType type, OpaqueId tenant)
    {
        var key = new byte[TenantPrefixLength];
        key[0] = (byte)type;
        tenant.WriteTo(key.AsSpan(1));
        return key;
    }

    /// <summary>Keys of the form [type][id]: tenant key, tenant, counters (by tenant id) and token (by token id).</summary>
    public static byte[] ById(RecordType type, OpaqueId id) => TenantPrefix(type, id);

    public static byte[] TypePrefix(RecordType type) => [(byte)type];

    public static byte[] Scoped(RecordType type, OpaqueId tenant, ReadOnlySpan<byte> suffix)
    {
        var key = new byte[TenantPrefixLength + suffix.Length];
        key[0] = (byte)type;
        tenant.WriteTo(key.AsSpan(1));
        suffix.CopyTo(key.AsSpan(TenantPrefixLength));
        return key;
    }

    /// <summary>Usage records sort by time inside the tenant: [type][tenant][unix ms, big-endian][8 random bytes].</summary>
    public static byte[] Usage(OpaqueId tenant, long unixMs, ReadOnlySpan<byte> random8)
    {
        Span<byte> suffix = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(suffix, unixMs);
        random8[..8].CopyTo(suffix[8..]);
        return Scoped(RecordType.UsageRecord, tenant, suffix);
    }

    public static byte[] DeviceHashKey(OpaqueId tenant, long period)
    {
        Span<byte> suffix = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(suffix, period);
        return Scoped(RecordType.DeviceHashKey, tenant, suffix);
    }

    public static OpaqueId TenantOf(ReadOnlySpan<byte> key) => OpaqueId.FromBytes(key.Slice(1, OpaqueId.ByteLength));

    public static ReadOnlySpan<byte> SuffixOf(ReadOnlySpan<byte> key) => key[TenantPrefixLength..];
}
