using FaceMatch.Api.V1;
using FaceMatch.Vault;
using Grpc.Core;
using VaultPolicy = FaceMatch.Vault.Tenants.Policy;
using VaultTenant = FaceMatch.Vault.Tenants.Tenant;
using VaultTokenMode = FaceMatch.Vault.Tokens.TokenMode;
using VaultLiveness = FaceMatch.Vault.Tenants.LivenessMode;

namespace FaceMatch.Server.Services;

/// <summary>
/// facematch.v1.Admin: tenants, their tokens and policies, usage, deletion. Only the admin token reaches it
/// (the auth interceptor); galleries follow a tenant's deletion as the vault's listener (<see cref="TenantGalleryRegistry"/>).
/// </summary>
public sealed class AdminService(FaceMatchVault vault) : Admin.AdminBase
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
        var updated = await vault.Tenants.SetPolicyAsync(request.TenantId, FromApi(request.Policy));
        return ToApi(updated ?? throw UnknownTenant());
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
        };
        foreach (var group in vault.Usage.ListRecords(request.TenantId).GroupBy(r => r.Outcome.Length == 0 ? "ok" : r.Outcome))
            usage.SessionsByOutcome[group.Key] = (ulong)group.LongCount();
        return Task.FromResult(usage);
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
        },
    };

    private static VaultPolicy FromApi(Policy policy)
    {
        if (!Enum.IsDefined(policy.Liveness))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown liveness mode {(int)policy.Liveness}"));
        return new VaultPolicy
        {
            Liveness = (VaultLiveness)policy.Liveness,
            TemplateRetentionDays = policy.TemplateRetentionDays,
            DevCaptureRetentionDays = policy.DevCaptureRetentionDays,
            UsageRetentionDays = policy.UsageRetentionDays,
            MatchThreshold = policy.MatchThreshold,
            LivenessThreshold = policy.LivenessThreshold,
            DuplicateCheck = policy.DuplicateCheck,
        };
    }
}
