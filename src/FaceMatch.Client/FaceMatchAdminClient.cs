using FaceMatch.Api.V1;
using Grpc.Net.Client;
using Stub = FaceMatch.Api.V1.Admin.AdminClient;

namespace FaceMatch.Client;

/// <summary>
/// The operator's client of a FaceMatch server (facematch.v1.Admin): tenants, their tokens and policies, usage.
/// Its <see cref="FaceMatchClientOptions.Token"/> is the admin token. Errors as <see cref="FaceMatchClient"/>'s:
/// an unknown tenant is NOT_FOUND, a tenant token PERMISSION_DENIED.
/// </summary>
public sealed class FaceMatchAdminClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Stub _stub;
    private readonly CallSettings _calls;

    /// <exception cref="ArgumentException">the options are invalid.</exception>
    public FaceMatchAdminClient(FaceMatchClientOptions options)
    {
        _channel = FaceMatchChannel.Create(options);
        _stub = new Stub(_channel);
        _calls = new CallSettings(options);
    }

    /// <summary>A new tenant with the default policy. Never retried: a repeat would make a second tenant.</summary>
    public async Task<Tenant> CreateTenantAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return await _stub.CreateTenantAsync(new CreateTenantRequest { Name = name }, _calls.Unary(cancellationToken));
    }

    /// <summary>Every tenant, oldest first.</summary>
    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken cancellationToken = default) =>
        (await _stub.ListTenantsAsync(new ListTenantsRequest(), _calls.Unary(cancellationToken))).Tenants;

    /// <summary>The tenant and its policy.</summary>
    public async Task<Tenant> GetPolicyAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return await _stub.GetPolicyAsync(new GetPolicyRequest { TenantId = tenantId }, _calls.Unary(cancellationToken));
    }

    /// <summary>Replaces the tenant's whole policy (fields left at 0 mean the server's defaults); returns the tenant as stored.</summary>
    public async Task<Tenant> SetPolicyAsync(string tenantId, Policy policy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        ArgumentNullException.ThrowIfNull(policy);
        return await _stub.SetPolicyAsync(new SetPolicyRequest { TenantId = tenantId, Policy = policy }, _calls.Unary(cancellationToken));
    }

    /// <summary>
    /// Reads the tenant's policy, applies <paramref name="change"/> to it and stores it: the fields the change does
    /// not touch keep their values. Two calls, not one transaction: of two concurrent updates the later wins whole.
    /// </summary>
    public async Task<Tenant> UpdatePolicyAsync(string tenantId, Action<Policy> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var policy = (await GetPolicyAsync(tenantId, cancellationToken)).Policy ?? new Policy();
        change(policy);
        return await SetPolicyAsync(tenantId, policy, cancellationToken);
    }

    /// <summary>
    /// A new token of the tenant, in <paramref name="mode"/>: the token itself is in the answer only, never again.
    /// Never retried: a repeat would issue a second live token that nobody received.
    /// </summary>
    public async Task<IssuedToken> IssueTokenAsync(string tenantId, TokenMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        if (mode is not (TokenMode.Development or TokenMode.Production))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be Development or Production");
        return await _stub.IssueTokenAsync(new IssueTokenRequest { TenantId = tenantId, Mode = mode }, _calls.Unary(cancellationToken));
    }

    /// <summary>Revokes a token at once; true when a token has that id (revoked now or before), false when none has.</summary>
    public async Task<bool> RevokeTokenAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenId);
        return (await _stub.RevokeTokenAsync(new RevokeTokenRequest { TokenId = tokenId }, _calls.Unary(cancellationToken))).Revoked;
    }

    /// <summary>The tenant's usage counters and its sessions by outcome.</summary>
    public async Task<Usage> GetUsageAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return await _stub.GetUsageAsync(new GetUsageRequest { TenantId = tenantId }, _calls.Unary(cancellationToken));
    }

    /// <summary>
    /// Deletes the tenant: its data is crypto-shredded, its templates leave every gallery and its tokens stop working
    /// at once. False when there was no such tenant.
    /// </summary>
    public async Task<bool> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return (await _stub.DeleteTenantAsync(new DeleteTenantRequest { TenantId = tenantId }, _calls.Unary(cancellationToken))).Deleted;
    }

    /// <summary>Closes the channel.</summary>
    public void Dispose() => _channel.Dispose();
}
