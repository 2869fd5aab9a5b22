namespace FaceMatch.Vault.Templates;

/// <summary>
/// A stored template, in the tenant's protected space: the embedding multiplied by the tenant's secret rotation.
/// Compare it with a probe passed through <see cref="TemplateStore.ProtectProbe(string, ReadOnlySpan{float})"/>;
/// cosine similarity is the same as between the unprotected vectors.
/// </summary>
public sealed record StoredTemplate(
    string TemplateId,
    float[] ProtectedTemplate,
    string Model,
    DateTimeOffset Created,
    DateTimeOffset LastUsed,
    DateTimeOffset? Expires)
{
    /// <summary>What the stored vector's samples count for together (1 for a single-sample template); see <see cref="TemplateStore.AddSamplesAsync"/>.</summary>
    public float SampleWeight { get; init; } = 1f;
}

/// <summary>Everything held under a template id (facematch.v1.TemplateExport; right of access).</summary>
public sealed record TemplateExport(
    string TemplateId,
    long CreatedUnixMs,
    long LastUsedUnixMs,
    string Model,
    /// <summary>0: no expiry.</summary>
    long ExpiresUnixMs,
    /// <summary>The stored (protected) template: float32 little-endian.</summary>
    byte[] Template);
