using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Templates;

namespace FaceMatch.Vault.Tests;

public sealed class RecordLayoutTests
{
    [Fact]
    public void Template_record_holds_exactly_id_times_expiry_model_and_vector()
    {
        var record = new TemplateRecord(OpaqueId.New(), 1_700_000_000_000, 1_700_000_500_000, "mobileface-v1", Enumerable.Range(0, 128).Select(i => i * 0.5f).ToArray());
        var writer = new RecordWriter();
        TemplateRecord.Encode(writer, record, 1_800_000_000_000);
        // version + kind + id + 3 × i64 + (len + "mobileface-v1") + (varint 128 = 2 bytes) + 128 floats: nothing else fits.
        Assert.Equal(1 + 1 + 16 + 24 + (1 + 13) + 2 + 128 * 4, writer.Written.Length);
        var decoded = TemplateRecord.Decode(writer.Written, 4096);
        Assert.Equal(record.Id, decoded.Id);
        Assert.Equal(record.CreatedUnixMs, decoded.CreatedUnixMs);
        Assert.Equal(record.LastUsedUnixMs, decoded.LastUsedUnixMs);
        Assert.Equal(record.Model, decoded.Model);
        Assert.Equal(record.Protected, decoded.Protected);
    }

    [Fact]
    public void Unknown_versions_kinds_truncation_and_trailing_bytes_are_rejected()
    {
        var record = new TemplateRecord(OpaqueId.New(), 1, 2, "m", [1f, 2f]);
        var writer = new RecordWriter();
        TemplateRecord.Encode(writer, record, 0);
        var bytes = writer.Written.ToArray();

        var future = (byte[])bytes.Clone();
        future[0] = 99;
        Assert.Contains("version", Assert.Throws<VaultIntegrityException>(() => TemplateRecord.Decode(future, 4096)).Message);
        var wrongKind = (byte[])bytes.Clone();
        wrongKind[1] = (byte)RecordKind.Tenant;
        Assert.Throws<VaultIntegrityException>(() => TemplateRecord.Decode(wrongKind, 4096));
        Assert.Throws<VaultIntegrityException>(() => TemplateRecord.Decode(bytes.AsSpan(0, bytes.Length - 1), 4096));
        Assert.Throws<VaultIntegrityException>(() => TemplateRecord.Decode([.. bytes, 0], 4096));
        Assert.Throws<VaultIntegrityException>(() => TemplateRecord.Decode(bytes, 1)); // dimension over the limit
    }
}
