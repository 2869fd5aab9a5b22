using FaceMatch.Server.Pipeline;
using FaceMatch.Vault;
using Grpc.Core;

namespace FaceMatch.Server.Security;

/// <summary>
/// Resolves the call's <c>authorization: Bearer &lt;token&gt;</c> once, to the admin or to a tenant (with its token
/// mode and policy), and enforces who may call what, as the contract's status table says: no token, an unknown or
/// revoked one, or one of a deleted tenant → UNAUTHENTICATED; a tenant token on Admin or the admin token on
/// FaceMatch → PERMISSION_DENIED. Health and reflection stay open (probes and tools carry no token).
/// </summary>
public sealed class BearerAuthInterceptor(AdminToken adminToken, FaceMatchVault vault) : CallInterceptor
{
    public const string AdminService = "/facematch.v1.Admin/";
    public const string FaceMatchService = "/facematch.v1.FaceMatch/";

    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (IsOpen(context.Method)) return call();
        var identity = Resolve(context.RequestHeaders.GetValue("authorization"));
        if (context.Method.StartsWith(AdminService, StringComparison.Ordinal) && identity is not AdminIdentity)
            throw new RpcException(new Status(StatusCode.PermissionDenied, "a tenant token cannot call Admin"));
        if (context.Method.StartsWith(FaceMatchService, StringComparison.Ordinal) && identity is not TenantIdentity)
            throw new RpcException(new Status(StatusCode.PermissionDenied, "the admin token cannot call FaceMatch; use a tenant token"));
        identity.AttachTo(context);
        return call();
    }

    private static bool IsOpen(string method) =>
        method.StartsWith("/grpc.health.v1.", StringComparison.Ordinal) || method.StartsWith("/grpc.reflection.", StringComparison.Ordinal);

    private CallIdentity Resolve(string? header)
    {
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length)
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing bearer token (metadata authorization: Bearer <token>)"));
        var token = header[scheme.Length..].Trim();
        if (adminToken.Matches(token)) return AdminIdentity.Instance;
        // One message for every failure: a caller learns nothing about which tokens or tenants exist.
        if (vault.Tokens.Authenticate(token) is { } grant && vault.Tenants.Get(grant.TenantId) is { } tenant)
            return new TenantIdentity(grant, tenant);
        throw new RpcException(new Status(StatusCode.Unauthenticated, "unknown or revoked token"));
    }
}
