using FaceMatch.Vault.Encoding;

namespace FaceMatch.Vault.Templates;

/// <summary>
/// Plaintext layout of a template record, v1 (sealed before it is stored):
/// <c>[version][kind][id 16][created i64][last used i64][expires i64, 0 = none][model string][dimension varint][float32 × dimension]</c>.
/// </summary>
internal sealed record TemplateRecord(OpaqueId Id, long CreatedUnixMs, long LastUsedUnixMs, string Model, float[] Protected)
{
    public static void Encode(RecordWriter writer, TemplateRecord record, long expiresUnixMs) =>
        writer.Header(RecordKind.Template).Raw(record.Id.ToBytes()).I64(record.CreatedUnixMs).I64(record.LastUsedUnixMs)
            .I64(expiresUnixMs).String(record.Model).Floats(record.Protected);

    public static TemplateRecord Decode(ReadOnlySpan<byte> plaintext, int maxDimension)
    {
        var reader = new RecordReader(plaintext);
        reader.Header(RecordKind.Template);
        var id = OpaqueId.FromBytes(reader.Raw(OpaqueId.ByteLength));
        var created = reader.I64();
        var lastUsed = reader.I64();
        _ = reader.I64(); // expiry as of the write; the live policy decides (see TemplateStore)
        var model = reader.String(TemplateStore.MaxModelLength * 4);
        var vector = reader.Floats(maxDimension);
        reader.End();
        return new TemplateRecord(id, created, lastUsed, model, vector);
    }
}
