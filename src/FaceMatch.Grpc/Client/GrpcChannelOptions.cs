using System.IO.Compression;
using System.Net.Security;

namespace FaceMatch.Grpc.Client;

/// <summary>Client settings shared by every call on a channel.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>Largest response message accepted (after decompression); larger ends the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>Encoding for request messages (gzip or deflate); null sends them uncompressed.</summary>
    public string? RequestCompression { get; set; }
    public CompressionLevel CompressionLevel { get; set; } = CompressionLevel.Fastest;

    /// <summary>Open another HTTP/2 connection when every stream of the existing ones is in use.</summary>
    public bool EnableMultipleHttp2Connections { get; set; } = true;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>TLS server certificate check; null uses the system's trust store.</summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }

    /// <summary>Use this handler instead of building a SocketsHttpHandler (tests, custom transports). Not disposed by the channel.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    public string UserAgent { get; set; } = "facematch-grpc-dotnet/1.0";
}
