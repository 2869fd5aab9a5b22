using FaceMatch.Server.Pipeline;
using Grpc.Core;

namespace FaceMatch.Server.Security;

/// <summary>
/// Resolves the call's <c>authorization: Bearer &lt;token&gt;</c> once (<see cref="BearerTokens"/>), and enforces who
/// may call what, as the contract's status table says: no token, an unknown or revoked one, or one of a deleted
/// tenant → UNAUTHENTICATED; a tenant token on Admin or the admin token on FaceMatch → PERMISSION_DENIED. Health and
/// reflection stay open (probes and tools carry no token); the replicas' internal service has its own peer token.
/// </summary>
public sealed class BearerAuthInterceptor(BearerTokens tokens) : CallInterceptor
{
    public const string AdminService = "/facematch.v1.Admin/";
    public const string FaceMatchService = "/facematch.v1.FaceMatch/";
    private const string Scheme = "Bearer ";
    private const string WhereToPut = "metadata authorization: Bearer <token>";

    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (IsOpen(context.Method)) return call();
        var header = context.RequestHeaders.GetValue("authorization");
        var token = header is not null && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..] : null;
        var identity = tokens.Resolve(token, WhereToPut);
        if (context.Method.StartsWith(AdminService, StringComparison.Ordinal) && identity is not AdminIdentity)
            throw new RpcException(new Status(StatusCode.PermissionDenied, "a tenant token cannot call Admin"));
        if (context.Method.StartsWith(FaceMatchService, StringComparison.Ordinal) && identity is not TenantIdentity)
            throw new RpcException(new Status(StatusCode.PermissionDenied, BearerTokens.AdminOnFaceMatch));
        identity.AttachTo(context);
        return call();
    }

    // The replicas' internal service takes no bearer token: Cluster.PeerAuthInterceptor checks its peer token.
    private static bool IsOpen(string method) =>
        method.StartsWith("/grpc.health.v1.", StringComparison.Ordinal) || method.StartsWith("/grpc.reflection.", StringComparison.Ordinal)
        || method.StartsWith(Cluster.PeerAuthInterceptor.ServicePrefix, StringComparison.Ordinal);
}
