using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Security;
using Grpc.Net.Client;

namespace FaceMatch.Client;

/// <summary>The gRPC channel the clients run on, built from <see cref="FaceMatchClientOptions"/>.</summary>
public static class FaceMatchChannel
{
    // A retried call keeps its request in memory until it commits; a Compare of two phone photos must fit, so the
    // per-call allowance is over the server's 4 MiB message limit (grpc-dotnet's default of 1 MiB is not).
    private const long RetryBufferPerCall = 8 << 20;
    private const long RetryBufferPerChannel = 64 << 20;

    /// <summary>
    /// A channel for <paramref name="options"/>: HTTP/2 (TLS for https, trusting <see cref="FaceMatchClientOptions.CaCertificates"/>
    /// alone when set), the retry policy, more connections once one's streams are taken, keep-alive pings, and
    /// cancellation reported as <see cref="OperationCanceledException"/>. The caller disposes it.
    /// </summary>
    /// <exception cref="ArgumentException">the options are invalid.</exception>
    public static GrpcChannel Create(FaceMatchClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            // Finds a dead connection (a server that vanished without closing) while a session waits on it.
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        if (options.CaCertificates is { Count: > 0 } roots)
        {
            var trusted = new X509Certificate2Collection(roots);
            var name = options.ServerName;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => IssuedBy(trusted, certificate, chain, errors, name);
        }
        return GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            ServiceConfig = IdempotentMethods.ServiceConfig(options.Retry),
            MaxRetryAttempts = options.Retry.MaxAttempts,
            MaxRetryBufferPerCallSize = RetryBufferPerCall,
            MaxRetryBufferSize = RetryBufferPerChannel,
            ThrowOperationCanceledOnCancellation = true,
            LoggerFactory = options.LoggerFactory,
        });
    }

    /// <summary>
    /// A server certificate is accepted when the platform found nothing wrong but the chain (name and presence are
    /// still its checks), and the chain leads to one of <paramref name="roots"/> for server authentication. With
    /// <paramref name="serverName"/>, the certificate must name it instead of the host dialled.
    /// </summary>
    internal static bool IssuedBy(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors,
        string? serverName = null)
    {
        var tolerated = SslPolicyErrors.RemoteCertificateChainErrors | (serverName is null ? 0 : SslPolicyErrors.RemoteCertificateNameMismatch);
        if (certificate is null || (errors & ~tolerated) != SslPolicyErrors.None) return false;
        return PrivateCaChain.Leads(roots, certificate, presented)
            && (serverName is null || PrivateCaChain.Leaf(certificate).MatchesHostname(serverName, allowWildcards: true, allowCommonName: false));
    }
}
