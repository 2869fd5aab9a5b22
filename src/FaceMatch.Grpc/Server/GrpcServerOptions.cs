using System.IO.Compression;
using FaceMatch.Grpc.Framing;

namespace FaceMatch.Grpc.Server;

/// <summary>Limits and behaviour of the gRPC server, per call.</summary>
public sealed class GrpcServerOptions
{
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>Largest request message accepted (after decompression); larger ones end the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; a handler producing a larger one fails the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>
    /// Encoding for response messages (gzip or deflate), used when the client lists it in grpc-accept-encoding;
    /// null sends responses uncompressed. Compressed requests are always accepted.
    /// </summary>
    public string? ResponseCompression { get; set; }

    public CompressionLevel ResponseCompressionLevel { get; set; } = CompressionLevel.Fastest;

    /// <summary>Most concurrent streams (calls) on one HTTP/2 connection; clients open more connections beyond it.</summary>
    public int MaxConcurrentStreams { get; set; } = 100;

    /// <summary>Send unhandled exceptions' messages to clients. Off by default: internals never leak.</summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>Throws with a reason if a setting is out of range or names an unknown encoding.</summary>
    public void Validate()
    {
        if (MaxReceiveMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, "must be positive");
        if (MaxSendMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSendMessageSize), MaxSendMessageSize, "must be positive");
        if (MaxConcurrentStreams <= 0) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentStreams), MaxConcurrentStreams, "must be positive");
        if (ResponseCompression is { } name && MessageCompressors.Find(name) is null)
            throw new ArgumentException($"Unknown response compression '{name}'; use gzip, deflate or none.", nameof(ResponseCompression));
    }
}
