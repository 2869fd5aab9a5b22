using System.Net;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Grpc.Server;

namespace FaceMatch.Grpc.Hosting;

/// <summary>Where and how the Kestrel gRPC endpoint listens.</summary>
public sealed class GrpcHostOptions
{
    public const int DefaultPort = 50051;

    /// <summary>Address to bind; IPAddress.Any (every IPv4 and IPv6 address) by default, IPAddress.Loopback for tests.</summary>
    public IPAddress Address { get; set; } = IPAddress.Any;

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="GrpcServerHost.Port"/>).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Server certificate with its private key: TLS with ALPN h2. Null: cleartext HTTP/2 (h2c, prior knowledge).</summary>
    public X509Certificate2? Certificate { get; set; }

    public GrpcServerOptions Server { get; set; } = new();

    /// <summary>How long a graceful stop waits for calls in flight before cutting them off.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTP/2 receive windows: large enough that a multi-megabyte message is not throttled by round trips.</summary>
    public int InitialConnectionWindowSize { get; set; } = 4 * 1024 * 1024;
    public int InitialStreamWindowSize { get; set; } = 2 * 1024 * 1024;

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "must be 0..65535");
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, "must not be negative");
        if (Certificate is { HasPrivateKey: false })
            throw new ArgumentException("The TLS certificate has no private key.", nameof(Certificate));
        Server.Validate();
    }
}
