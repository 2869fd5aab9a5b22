using FaceMatch.Api.V1;
using FaceMatch.Vault;
using FaceMatch.Vision;
using Grpc.Core;
using VaultPolicy = FaceMatch.Vault.Tenants.Policy;
using VaultTenant = FaceMatch.Vault.Tenants.Tenant;
using VaultTokenMode = FaceMatch.Vault.Tokens.TokenMode;
using VaultLiveness = FaceMatch.Vault.Tenants.LivenessMode;
using VaultGalleryStorage = FaceMatch.Vault.Tenants.GalleryStorage;

namespace FaceMatch.Server.Services;

/// <summary>
/// facematch.v1.Admin: tenants, their tokens and policies, usage, deletion, the duplicate sweep. Only the admin token
/// reaches it (the auth interceptor); galleries follow a tenant's deletion as the vault's listener
/// (<see cref="TenantGalleryRegistry"/>).
/// </summary>
public sealed class AdminService(FaceMatchVault vault, IGalleryRegistry galleries, FaceAnalyzer analyzer) : Admin.AdminBase
{
    private static RpcException UnknownTenant() => new(new Status(StatusCode.NotFound, "no such tenant"));

    public override async Task<Tenant> CreateTenant(CreateTenantRequest request, ServerCallContext context) =>
        ToApi(await vault.Tenants.CreateAsync(request.Name));

    public override Task<ListTenantsResponse> ListTenants(ListTenantsRequest request, ServerCallContext context)
    {
        var response = new ListTenantsResponse();
        response.Tenants.AddRange(vault.Tenants.List().OrderBy(t => t.Created).Select(ToApi));
        return Task.FromResult(response);
    }

    public override Task<Tenant> GetPolicy(GetPolicyRequest request, ServerCallContext context) =>
        Task.FromResult(ToApi(vault.Tenants.Get(request.TenantId) ?? throw UnknownTenant()));

    public override async Task<IssuedToken> IssueToken(IssueTokenRequest request, ServerCallContext context)
    {
        if (request.Mode is not (TokenMode.Development or TokenMode.Production))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "mode must be TOKEN_MODE_DEVELOPMENT or TOKEN_MODE_PRODUCTION"));
        if (vault.Tenants.Get(request.TenantId) is null) throw UnknownTenant();
        var issued = await vault.Tokens.IssueAsync(request.TenantId, (VaultTokenMode)request.Mode);
        return new IssuedToken { Token = issued.Token, TokenId = issued.TokenId, Mode = request.Mode };
    }

    public override async Task<RevokeTokenResponse> RevokeToken(RevokeTokenRequest request, ServerCallContext context) =>
        new() { Revoked = await vault.Tokens.RevokeAsync(request.TokenId) };

    public override async Task<Tenant> SetPolicy(SetPolicyRequest request, ServerCallContext context)
    {
        if (request.Policy is null) throw new RpcException(new Status(StatusCode.InvalidArgument, "policy is required"));
        var updated = await vault.Tenants.SetPolicyAsync(request.TenantId, FromApi(request.Policy)) ?? throw UnknownTenant();
        // A change of gallery storage rebuilds the tenant's gallery from the vault before the call returns.
        await Task.Run(() => galleries.ApplyPolicy(updated.TenantId));
        return ToApi(updated);
    }

    public override Task<Usage> GetUsage(GetUsageRequest request, ServerCallContext context)
    {
        if (vault.Tenants.Get(request.TenantId) is null) throw UnknownTenant();
        var counters = vault.Usage.GetCounters(request.TenantId);
        var usage = new Usage
        {
            Sessions = counters?.Sessions ?? 0,
            Enrollments = counters?.Enrollments ?? 0,
            Authentications = counters?.Authentications ?? 0,
            Identifications = counters?.Identifications ?? 0,
            Compares = counters?.Compares ?? 0,
            Frames = counters?.Frames ?? 0,
            Templates = counters?.Templates ?? 0,
            DuplicateSweeps = counters?.DuplicateSweeps ?? 0,
        };
        foreach (var group in vault.Usage.ListRecords(request.TenantId).GroupBy(r => r.Outcome.Length == 0 ? "ok" : r.Outcome))
            usage.SessionsByOutcome[group.Key] = (ulong)group.LongCount();
        return Task.FromResult(usage);
    }

    /// <summary>
    /// Streams every pair of the tenant's templates scoring at least the threshold, a message per batch the sweep
    /// hands over (with its progress), and a last one with <c>done</c>; counted in the tenant's usage when it starts.
    /// The client cancelling the call (or its deadline) stops the sweep.
    /// </summary>
    public override async Task FindDuplicates(FindDuplicatesRequest request, IServerStreamWriter<FindDuplicatesResponse> responseStream,
        ServerCallContext context)
    {
        var tenant = vault.Tenants.Get(request.TenantId) ?? throw UnknownTenant();
        if (!float.IsFinite(request.Threshold) || request.Threshold < -1 || request.Threshold > 1)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "threshold must be a cosine within -1..1 (0 = the tenant's match threshold)"));
        float threshold = request.Threshold != 0 ? request.Threshold
            : tenant.Policy.MatchThreshold > 0 ? tenant.Policy.MatchThreshold
            : analyzer.MatchThreshold;
        ulong found = 0;
        FindDuplicatesResponse? last = null;
        bool counted = false;
        try
        {
            await foreach (var batch in galleries.FindDuplicatesAsync(vault, tenant.TenantId, threshold, context.CancellationToken))
            {
                if (!counted)
                {
                    await vault.Usage.RecordDuplicateSweepAsync(tenant.TenantId);
                    counted = true;
                }
                found += (ulong)batch.Pairs.Count;
                var response = new FindDuplicatesResponse
                {
                    TemplatesDone = (ulong)batch.TemplatesDone, TemplatesTotal = (ulong)batch.TemplatesTotal,
                    Progress = (float)batch.Progress, PairsFound = found, Threshold = threshold,
                };
                foreach (var pair in batch.Pairs)
                    response.Pairs.Add(new DuplicatePair { TemplateIdA = pair.FirstId, TemplateIdB = pair.SecondId, Score = pair.Score });
                await responseStream.WriteAsync(response, context.CancellationToken);
                last = response;
            }
        }
        catch (DuplicateSweepRunningException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "duplicate sweep cancelled"));
        }
        await responseStream.WriteAsync(new FindDuplicatesResponse
        {
            TemplatesDone = last?.TemplatesDone ?? 0, TemplatesTotal = last?.TemplatesTotal ?? 0, Progress = 1, PairsFound = found,
            Threshold = threshold, Done = true,
        }, context.CancellationToken);
    }

    public override async Task<DeleteTenantResponse> DeleteTenant(DeleteTenantRequest request, ServerCallContext context)
    {
        return new DeleteTenantResponse { Deleted = await vault.Tenants.DeleteAsync(request.TenantId) };
    }

    internal static Tenant ToApi(VaultTenant tenant) => new()
    {
        TenantId = tenant.TenantId,
        Name = tenant.Name,
        Policy = new Policy
        {
            Liveness = (LivenessMode)tenant.Policy.Liveness,
            TemplateRetentionDays = tenant.Policy.TemplateRetentionDays,
            DevCaptureRetentionDays = tenant.Policy.DevCaptureRetentionDays,
            UsageRetentionDays = tenant.Policy.UsageRetentionDays,
            MatchThreshold = tenant.Policy.MatchThreshold,
            LivenessThreshold = tenant.Policy.LivenessThreshold,
            DuplicateCheck = tenant.Policy.DuplicateCheck,
            GalleryStorage = (GalleryStorage)tenant.Policy.GalleryStorage,
        },
    };

    private static VaultPolicy FromApi(Policy policy)
    {
        if (!Enum.IsDefined(policy.Liveness))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown liveness mode {(int)policy.Liveness}"));
        if (!Enum.IsDefined(policy.GalleryStorage))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown gallery storage {(int)policy.GalleryStorage}"));
        return new VaultPolicy
        {
            Liveness = (VaultLiveness)policy.Liveness,
            TemplateRetentionDays = policy.TemplateRetentionDays,
            DevCaptureRetentionDays = policy.DevCaptureRetentionDays,
            UsageRetentionDays = policy.UsageRetentionDays,
            MatchThreshold = policy.MatchThreshold,
            LivenessThreshold = policy.LivenessThreshold,
            DuplicateCheck = policy.DuplicateCheck,
            GalleryStorage = (VaultGalleryStorage)policy.GalleryStorage,
        };
    }
}
