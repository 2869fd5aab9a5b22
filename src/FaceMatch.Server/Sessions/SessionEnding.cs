using System.Numerics.Tensors;
using FaceMatch.Api.V1;
using FaceMatch.Server.Security;
using FaceMatch.Server.Services;
using FaceMatch.Vault;
using FaceMatch.Vault.Usage;
using Grpc.Core;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// How a session of one kind ends, once its frames passed the shared checks: Enroll stores a template,
/// Authenticate compares with one, Identify searches the tenant's gallery. Checked at the start message, so a
/// session against an unknown template fails before any frame is sent.
/// </summary>
public abstract class SessionEnding
{
    /// <summary>The same message for an unknown, deleted, expired or another tenant's template.</summary>
    public static RpcException TemplateNotFound() => new(new Status(StatusCode.NotFound, "template not found"));

    public const int MaxTopK = 100;

    public virtual string? TemplateId => null;

    /// <summary>Whether the session stores what it saw (then only good frames may go into it).</summary>
    public virtual bool StoresTemplate => false;

    /// <param name="weight">the summed quality of the frames behind <paramref name="embedding"/> (a sample's weight in a template).</param>
    public abstract Task<SessionResult> CompleteAsync(SessionResult result, float[] embedding, float weight, string model, float threshold);

    public static async Task<SessionEnding> ForAsync(SessionKind kind, SessionStart start, TenantIdentity who,
        FaceMatchVault vault, IGalleryRegistry galleries)
    {
        switch (kind)
        {
            case SessionKind.Enroll:
                if (start.TemplateId.Length > 0)
                {
                    await RequireTemplateAsync(vault, who.TenantId, start.TemplateId).ConfigureAwait(false);
                    return new AddSamples(who.TenantId, start.TemplateId, vault, galleries);
                }
                return new Enroll(who.TenantId, who.Policy.DuplicateCheck, vault, galleries);
            case SessionKind.Authenticate:
                if (start.TemplateId.Length == 0) throw new RpcException(new Status(StatusCode.InvalidArgument, "Authenticate needs start.template_id"));
                await RequireTemplateAsync(vault, who.TenantId, start.TemplateId).ConfigureAwait(false);
                return new Authenticate(who.TenantId, start.TemplateId, vault);
            case SessionKind.Identify:
                if (start.TopK > MaxTopK) throw new RpcException(new Status(StatusCode.InvalidArgument, $"top_k is at most {MaxTopK}"));
                return new Identify(who.TenantId, start.TopK == 0 ? 5 : (int)start.TopK, vault, galleries);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static async Task RequireTemplateAsync(FaceMatchVault vault, string tenantId, string templateId)
    {
        if (await vault.Templates.GetAsync(tenantId, templateId, markUsed: false).ConfigureAwait(false) is null) throw TemplateNotFound();
    }

    private sealed class Enroll(string tenantId, bool duplicateCheck, FaceMatchVault vault, IGalleryRegistry galleries) : SessionEnding
    {
        public override bool StoresTemplate => true;

        public override async Task<SessionResult> CompleteAsync(SessionResult result, float[] embedding, float weight, string model, float threshold)
        {
            // Search before index: a face that already matches a template of the tenant is not enrolled again.
            if (duplicateCheck && (await galleries.SearchAsync(vault, tenantId, embedding, 1).ConfigureAwait(false))
                    .FirstOrDefault() is { Id: not null } existing && existing.Score >= threshold)
            {
                result.Reason = "duplicate";
                result.Candidates.Add(new Candidate { TemplateId = existing.Id, Score = existing.Score });
                return result;
            }
            // Acknowledged only once durable: AddAsync returns after the vault's commit covers the record (and the
            // vault's notification has put the row into the tenant's gallery).
            result.TemplateId = await vault.Templates.AddAsync(tenantId, embedding, model, weight).ConfigureAwait(false);
            // With sharded galleries, not before the change is announced to the replicas that own the template's shard.
            await galleries.StoredAsync(tenantId, result.TemplateId).ConfigureAwait(false);
            result.Enrolled = true;
            return result;
        }
    }

    /// <summary>Enroll with start.template_id: the new frames become another weighted sample of that template.</summary>
    private sealed class AddSamples(string tenantId, string templateId, FaceMatchVault vault, IGalleryRegistry galleries) : SessionEnding
    {
        public override string TemplateId => templateId;
        public override bool StoresTemplate => true;

        public override async Task<SessionResult> CompleteAsync(SessionResult result, float[] embedding, float weight, string model, float threshold)
        {
            _ = await vault.Templates.AddSamplesAsync(tenantId, templateId, embedding, model, weight).ConfigureAwait(false) ?? throw TemplateNotFound();
            await galleries.StoredAsync(tenantId, templateId).ConfigureAwait(false);
            result.Enrolled = true;
            return result;
        }
    }

    private sealed class Authenticate(string tenantId, string templateId, FaceMatchVault vault) : SessionEnding
    {
        public override string TemplateId => templateId;

        public override async Task<SessionResult> CompleteAsync(SessionResult result, float[] embedding, float weight, string model, float threshold)
        {
            // Read again: the template may have been erased or expired while the session ran.
            var stored = await vault.Templates.GetAsync(tenantId, templateId).ConfigureAwait(false) ?? throw TemplateNotFound();
            if (stored.ProtectedTemplate.Length != embedding.Length) throw TemplateNotFound();
            var score = TensorPrimitives.Dot(vault.Templates.ProtectProbe(tenantId, embedding), stored.ProtectedTemplate);
            result.MatchScore = score;
            result.Match = score >= threshold;
            if (!result.Match) result.Reason = "no_match";
            return result;
        }
    }

    private sealed class Identify(string tenantId, int topK, FaceMatchVault vault, IGalleryRegistry galleries) : SessionEnding
    {
        public override async Task<SessionResult> CompleteAsync(SessionResult result, float[] embedding, float weight, string model, float threshold)
        {
            var matches = await galleries.SearchAsync(vault, tenantId, embedding, topK).ConfigureAwait(false);
            // Only candidates that match: ids under the threshold would tell a caller about unrelated people.
            foreach (var m in matches.Where(m => m.Score >= threshold))
                result.Candidates.Add(new Candidate { TemplateId = m.Id, Score = m.Score });
            if (result.Candidates.Count == 0) result.Reason = "no_match";
            return result;
        }
    }
}
