using FaceMatch.Vault.Encoding;

namespace FaceMatch.Vault.Templates;

/// <summary>
/// Plaintext layout of a template record (sealed before it is stored), v2:
/// <c>[version][kind][id 16][created i64][last used i64][expires i64, 0 = none][model string][dimension varint][float32 × dimension][sample weight f32]</c>.
/// v1 records (no sample weight) read as weight 1; every write is v2.
/// </summary>
internal sealed record TemplateRecord(OpaqueId Id, long CreatedUnixMs, long LastUsedUnixMs, string Model, float[] Protected, float SampleWeight = 1f)
{
    public const byte Version = 2;

    public static void Encode(RecordWriter writer, TemplateRecord record, long expiresUnixMs) =>
        writer.Header(RecordKind.Template, Version).Raw(record.Id.ToBytes()).I64(record.CreatedUnixMs).I64(record.LastUsedUnixMs)
            .I64(expiresUnixMs).String(record.Model).Floats(record.Protected).F32(record.SampleWeight);

    public static TemplateRecord Decode(ReadOnlySpan<byte> plaintext, int maxDimension)
    {
        var reader = new RecordReader(plaintext);
        var version = reader.Header(RecordKind.Template);
        var id = OpaqueId.FromBytes(reader.Raw(OpaqueId.ByteLength));
        var created = reader.I64();
        var lastUsed = reader.I64();
        _ = reader.I64(); // expiry as of the write; the live policy decides (see TemplateStore)
        var model = reader.String(TemplateStore.MaxModelLength * 4);
        var vector = reader.Floats(maxDimension);
        var weight = version >= 2 ? reader.F32() : 1f;
        reader.End();
        if (!float.IsFinite(weight) || weight <= 0) throw new VaultIntegrityException("template sample weight out of range");
        return new TemplateRecord(id, created, lastUsed, model, vector, weight);
    }
}
