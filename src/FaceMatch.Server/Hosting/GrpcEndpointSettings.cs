using System.Collections;
using System.Globalization;
using System.Net;
using FaceMatch.Grpc.Framing;
using FaceMatch.Grpc.Hosting;
using FaceMatch.Grpc.Server;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// The gRPC endpoint's configuration, read from the environment (documented in docs/grpc.md).
/// A value that does not parse or is out of range is an error with the variable's name and the reason.
/// </summary>
public sealed record GrpcEndpointSettings
{
    public const string PortVariable = "FACEMATCH_PORT";
    public const string TlsCertVariable = "FACEMATCH_TLS_CERT";
    public const string TlsKeyVariable = "FACEMATCH_TLS_KEY";
    public const string MaxReceiveVariable = "FACEMATCH_GRPC_MAX_RECEIVE_BYTES";
    public const string MaxSendVariable = "FACEMATCH_GRPC_MAX_SEND_BYTES";
    public const string MaxStreamsVariable = "FACEMATCH_GRPC_MAX_CONCURRENT_STREAMS";
    public const string CompressionVariable = "FACEMATCH_GRPC_COMPRESSION";
    public const string ShutdownVariable = "FACEMATCH_GRPC_SHUTDOWN_SECONDS";

    public int Port { get; init; } = GrpcHostOptions.DefaultPort;
    public IPAddress Address { get; init; } = IPAddress.Any;
    public string? TlsCertificatePath { get; init; }
    public string? TlsKeyPath { get; init; }
    public int MaxReceiveMessageBytes { get; init; } = GrpcServerOptions.DefaultMaxReceiveMessageSize;
    public int MaxSendMessageBytes { get; init; } = int.MaxValue;
    public int MaxConcurrentStreams { get; init; } = 100;
    /// <summary>Response compression (gzip, deflate) or null for none.</summary>
    public string? ResponseCompression { get; init; }
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public static GrpcEndpointSettings FromEnvironment() => FromVariables(Environment.GetEnvironmentVariables());

    public static GrpcEndpointSettings FromVariables(IDictionary variables)
    {
        string? Get(string name) => variables[name] is string { Length: > 0 } v ? v.Trim() : null;

        var cert = Get(TlsCertVariable);
        var key = Get(TlsKeyVariable);
        if ((cert is null) != (key is null))
            throw new ArgumentException($"TLS needs both {TlsCertVariable} and {TlsKeyVariable} (PEM files); only one is set.");

        var compression = Get(CompressionVariable);
        if (compression is not null)
        {
            if (compression.Equals("none", StringComparison.OrdinalIgnoreCase) || compression.Equals(MessageCompressors.Identity, StringComparison.OrdinalIgnoreCase))
                compression = null;
            else if (MessageCompressors.Find(compression) is null)
                throw new ArgumentException($"{CompressionVariable}='{compression}' is not gzip, deflate or none.");
        }

        return new GrpcEndpointSettings
        {
            Port = Int(Get(PortVariable), PortVariable, GrpcHostOptions.DefaultPort, 0, 65535),
            TlsCertificatePath = cert,
            TlsKeyPath = key,
            MaxReceiveMessageBytes = Int(Get(MaxReceiveVariable), MaxReceiveVariable, GrpcServerOptions.DefaultMaxReceiveMessageSize, 1, int.MaxValue),
            MaxSendMessageBytes = Int(Get(MaxSendVariable), MaxSendVariable, int.MaxValue, 1, int.MaxValue),
            MaxConcurrentStreams = Int(Get(MaxStreamsVariable), MaxStreamsVariable, 100, 1, 1_000_000),
            ResponseCompression = compression?.ToLowerInvariant(),
            ShutdownTimeout = TimeSpan.FromSeconds(Int(Get(ShutdownVariable), ShutdownVariable, 10, 0, 3600)),
        };
    }

    public GrpcHostOptions ToHostOptions() => new()
    {
        Address = Address,
        Port = Port,
        Certificate = TlsCertificatePath is not null ? PemCertificateLoader.Load(TlsCertificatePath, TlsKeyPath!) : null,
        ShutdownTimeout = ShutdownTimeout,
        Server = new GrpcServerOptions
        {
            MaxReceiveMessageSize = MaxReceiveMessageBytes,
            MaxSendMessageSize = MaxSendMessageBytes,
            MaxConcurrentStreams = MaxConcurrentStreams,
            ResponseCompression = ResponseCompression,
        },
    };

    private static int Int(string? text, string name, int fallback, int min, int max)
    {
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new ArgumentException($"{name}='{text}' is not a whole number.");
        if (value < min || value > max)
            throw new ArgumentException($"{name}={value} is out of range ({min}..{max}).");
        return value;
    }
}
