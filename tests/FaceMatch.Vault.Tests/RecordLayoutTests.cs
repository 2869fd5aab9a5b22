using FaceMatch.Vault.Encoding;
using FaceMatch.Vault.Templates;

namespace FaceMatch.Vault.Tests;

public sealed class RecordLayoutTests
{
    [Fact]
    public void Template_record_holds_exactly_id_times_expiry_model_vector_and_sample_weight()
    {
        var record = new TemplateRecord(OpaqueId.New(), 1_700_000_000_000, 1_700_000_500_000, "mobileface-v1", Enumerable.Range(0, 128).Select(i => i * 0.5f).ToArray(), 2.5f);
        var writer = new RecordWriter();
        TemplateRecord.Encode(writer, record, 1_800_000_000_000);
        // version + kind + id + 3 × i64 + (len + "mobileface-v1") + (varint 128 = 2 bytes) + 128 floats + weight: nothing else fits.
        Assert.Equal(1 + 1 + 16 + 24 + (1 + 13) + 2 + 128 * 4 + 4, writer.Written.Length);
        Assert.Equal(2, writer.Written[0]);
        var decoded = TemplateRecord.Decode(writer.Written, 4096);
        Assert.Equal(record.Id, decoded.Id);
        Assert.Equal(record.CreatedUnixMs, decoded.CreatedUnixMs);
        Assert.Equal(record.LastUsedUnixMs, decoded.LastUsedUnixMs);
        Assert.Equal(record.Model, decoded.Model);
        Assert.Equal(record.Protected, decoded.Protected);
        Assert.Equal(2.5f, decoded.SampleWeight);
    }

    [Fact]
    public void A_v1_template_record_reads_as_sample_weight_one()
    {
        // v1 as written before sample weights existed: no trailing weight.
        var writer = new RecordWriter().Header(RecordKind.Template, 1).Raw(OpaqueId.New().ToBytes()).I64(1).I64(2).I64(0).String("m").Floats([1f, 2f]);
        var decoded = TemplateRecord.Decode(writer.Written, 4096);
        Assert.Equal(1f, decoded.SampleWeight);
        Assert.Equal([1f, 2f], decoded.Protected);
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
