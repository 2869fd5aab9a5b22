using System.Buffers.Binary;
using System.Text;

namespace FaceMatch.Server.Cluster;

/// <summary>What happened to a gallery: a template stored (added or replaced) or removed, or the whole tenant changed.</summary>
public enum NoticeOp : byte
{
    /// <summary>The template was stored: owners read it from the store.</summary>
    Stored = 1,
    Removed = 2,
    /// <summary>The tenant is deleted: every replica drops its shards.</summary>
    TenantDeleted = 3,
    /// <summary>The tenant's gallery storage changed: owners rebuild its shards from the store.</summary>
    TenantReload = 4,
}

/// <summary>
/// One change, as replicas publish it to each other: tenant, shard, template id, the operation and the shard's
/// version after it. Ids only: the template itself is read from the store by whoever applies it, so no embedding
/// travels in a notice (and the notice is sealed before it leaves the process).
/// </summary>
public sealed record GalleryNotice(NoticeOp Op, string TenantId, int Shard, string TemplateId, long Version)
{
    private const byte Layout = 1;

    public byte[] Encode()
    {
        var tenant = Encoding.UTF8.GetBytes(TenantId);
        var template = Encoding.UTF8.GetBytes(TemplateId);
        var bytes = new byte[1 + 1 + 4 + 8 + 2 + tenant.Length + 2 + template.Length];
        var span = bytes.AsSpan();
        span[0] = Layout;
        span[1] = (byte)Op;
        BinaryPrimitives.WriteInt32LittleEndian(span[2..], Shard);
        BinaryPrimitives.WriteInt64LittleEndian(span[6..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[14..], (ushort)tenant.Length);
        tenant.CopyTo(span[16..]);
        var at = 16 + tenant.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)template.Length);
        template.CopyTo(span[(at + 2)..]);
        return bytes;
    }

    /// <summary>The notice, or null for bytes that are not one (another layout, truncated).</summary>
    public static GalleryNotice? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 18 || bytes[0] != Layout || bytes[1] is < 1 or > 4) return null;
        var shard = BinaryPrimitives.ReadInt32LittleEndian(bytes[2..]);
        var version = BinaryPrimitives.ReadInt64LittleEndian(bytes[6..]);
        int tenantLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[14..]);
        if (bytes.Length < 16 + tenantLength + 2) return null;
        var tenant = Encoding.UTF8.GetString(bytes.Slice(16, tenantLength));
        var at = 16 + tenantLength;
        int templateLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
        if (bytes.Length != at + 2 + templateLength) return null;
        return new GalleryNotice((NoticeOp)bytes[1], tenant, shard, Encoding.UTF8.GetString(bytes.Slice(at + 2, templateLength)), version);
    }
}
