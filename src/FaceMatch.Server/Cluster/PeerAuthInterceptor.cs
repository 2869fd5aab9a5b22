using System.Security.Cryptography;
using System.Text;
using FaceMatch.Server.Pipeline;
using Grpc.Core;

namespace FaceMatch.Server.Cluster;

/// <summary>
/// Guards facematch.internal.v1: only a call presenting the replicas' peer token (FACEMATCH_PEER_TOKEN_FILE) gets
/// through; tenant and admin tokens mean nothing there, and the peer token means nothing on facematch.v1 (the bearer
/// interceptor does not know it). Compared in constant time.
/// </summary>
public sealed class PeerAuthInterceptor(ShardingSettings settings) : CallInterceptor
{
    public const string ServicePrefix = "/facematch.internal.v1.";
    public const string Header = "authorization";
    public const string Scheme = "Peer ";
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(settings.PeerToken);

    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (!context.Method.StartsWith(ServicePrefix, StringComparison.Ordinal)) return call();
        var header = context.RequestHeaders.GetValue(Header);
        var presented = header is not null && header.StartsWith(Scheme, StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(header[Scheme.Length..]) : [];
        if (_expected.Length == 0 || !CryptographicOperations.FixedTimeEquals(presented, _expected))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the internal shard service takes the replicas' peer token only"));
        return call();
    }
}
