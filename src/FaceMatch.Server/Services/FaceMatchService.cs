using FaceMatch.Api.V1;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Security;
using FaceMatch.Server.Sessions;
using FaceMatch.Vault;
using FaceMatch.Vision;
using Google.Protobuf;
using Grpc.Core;
using VaultSessionKind = FaceMatch.Vault.Usage.SessionKind;

namespace FaceMatch.Server.Services;

/// <summary>facematch.v1.FaceMatch: the three session kinds, Compare, erasure and access. Tenant tokens only.</summary>
public sealed class FaceMatchService(SessionRunner sessions, FaceAnalyzer analyzer, FaceMatchVault vault,
    SessionAdmission calls, AnalysisGate gate, FrameAdmission admission) : FaceMatch.Api.V1.FaceMatch.FaceMatchBase
{
    public override Task Enroll(IAsyncStreamReader<SessionRequest> requestStream, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context) =>
        Run(VaultSessionKind.Enroll, requestStream, responseStream, context);

    public override Task Authenticate(IAsyncStreamReader<SessionRequest> requestStream, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context) =>
        Run(VaultSessionKind.Authenticate, requestStream, responseStream, context);

    public override Task Identify(IAsyncStreamReader<SessionRequest> requestStream, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context) =>
        Run(VaultSessionKind.Identify, requestStream, responseStream, context);

    private Task Run(VaultSessionKind kind, IAsyncStreamReader<SessionRequest> requests, IServerStreamWriter<SessionEvent> events, ServerCallContext context) =>
        sessions.RunAsync(kind, (TenantIdentity)CallIdentity.Of(context), new GrpcSessionTransport(requests, events, context));

    /// <summary>Two images, the largest face of each; nothing stored, counted in usage.</summary>
    public override async Task<CompareResponse> Compare(CompareRequest request, ServerCallContext context)
    {
        var who = (TenantIdentity)CallIdentity.Of(context);
        calls.AdmitCall();
        var a = await EmbedAsync(request.ImageA, "image_a", context.CancellationToken);
        var b = await EmbedAsync(request.ImageB, "image_b", context.CancellationToken);
        var threshold = who.MatchThreshold(analyzer.MatchThreshold);
        var score = FaceAnalyzer.Similarity(a, b);
        await vault.Usage.RecordCompareAsync(who.TenantId);
        return new CompareResponse { Score = score, Match = score >= threshold, Threshold = threshold };
    }

    public override async Task<DeleteTemplateResponse> DeleteTemplate(TemplateRef request, ServerCallContext context)
    {
        var who = (TenantIdentity)CallIdentity.Of(context);
        // The vault's removal notification takes the row out of the gallery before this returns.
        if (!await vault.Templates.DeleteAsync(who.TenantId, request.TemplateId)) throw SessionEnding.TemplateNotFound();
        return new DeleteTemplateResponse { Deleted = true };
    }

    public override Task<TemplateExport> ExportTemplate(TemplateRef request, ServerCallContext context)
    {
        var who = (TenantIdentity)CallIdentity.Of(context);
        var export = vault.Templates.Export(who.TenantId, request.TemplateId) ?? throw SessionEnding.TemplateNotFound();
        return Task.FromResult(new TemplateExport
        {
            TemplateId = export.TemplateId,
            CreatedUnixMs = export.CreatedUnixMs,
            LastUsedUnixMs = export.LastUsedUnixMs,
            Model = export.Model,
            ExpiresUnixMs = export.ExpiresUnixMs,
            Template = ByteString.CopyFrom(export.Template),
        });
    }

    private async Task<float[]> EmbedAsync(ByteString image, string field, CancellationToken cancellationToken)
    {
        if (image.IsEmpty) throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} is empty"));
        using var slot = await gate.EnterAsync(cancellationToken);
        using var lease = admission.Admit(image.Span);
        return await analyzer.EmbedLargestFaceAsync(image.Memory, cancellationToken)
            ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"no face found in {field}"));
    }
}
