using FaceMatch.Vault;
using Grpc.Core;

namespace FaceMatch.Server.Security;

/// <summary>
/// A presented bearer token → the admin or a tenant (with its token mode and policy), for every transport that takes
/// one (gRPC metadata, the console's WebSocket). No token, an unknown or revoked one, or one of a deleted tenant →
/// UNAUTHENTICATED, with one message for every failure: a caller learns nothing about which tokens or tenants exist.
/// </summary>
public sealed class BearerTokens(AdminToken adminToken, FaceMatchVault vault)
{
    public const string AdminOnFaceMatch = "the admin token cannot call FaceMatch; use a tenant token";

    /// <param name="token">the token as presented, or null when none was.</param>
    /// <param name="whereToPut">how this transport carries a token, for the message when none came.</param>
    /// <exception cref="RpcException">UNAUTHENTICATED.</exception>
    public CallIdentity Resolve(string? token, string whereToPut)
    {
        token = token?.Trim();
        if (string.IsNullOrEmpty(token))
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"missing bearer token ({whereToPut})"));
        if (adminToken.Matches(token)) return AdminIdentity.Instance;
        if (vault.Tokens.Authenticate(token) is { } grant && vault.Tenants.Get(grant.TenantId) is { } tenant)
            return new TenantIdentity(grant, tenant);
        throw new RpcException(new Status(StatusCode.Unauthenticated, "unknown or revoked token"));
    }

    /// <summary>A tenant's identity for a facematch.v1.FaceMatch call.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED, or PERMISSION_DENIED for the admin token.</exception>
    public TenantIdentity ResolveTenant(string? token, string whereToPut) =>
        Resolve(token, whereToPut) as TenantIdentity ?? throw new RpcException(new Status(StatusCode.PermissionDenied, AdminOnFaceMatch));
}
