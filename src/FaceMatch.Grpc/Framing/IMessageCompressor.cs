using System.IO.Compression;

namespace FaceMatch.Grpc.Framing;

/// <summary>A grpc-encoding: how message payloads flagged as compressed are encoded.</summary>
public interface IMessageCompressor
{
    /// <summary>The grpc-encoding name (gzip, deflate).</summary>
    string Name { get; }
    Stream CreateCompressionStream(Stream output, CompressionLevel level);
    Stream CreateDecompressionStream(Stream input);
}

/// <summary>gzip (RFC 1952), the encoding every gRPC implementation supports.</summary>
public sealed class GzipCompressor : IMessageCompressor
{
    public static readonly GzipCompressor Instance = new();
    public string Name => "gzip";
    public Stream CreateCompressionStream(Stream output, CompressionLevel level) => new GZipStream(output, level, leaveOpen: true);
    public Stream CreateDecompressionStream(Stream input) => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true);
}

/// <summary>deflate as gRPC means it: the zlib format (RFC 1950).</summary>
public sealed class DeflateCompressor : IMessageCompressor
{
    public static readonly DeflateCompressor Instance = new();
    public string Name => "deflate";
    public Stream CreateCompressionStream(Stream output, CompressionLevel level) => new ZLibStream(output, level, leaveOpen: true);
    public Stream CreateDecompressionStream(Stream input) => new ZLibStream(input, CompressionMode.Decompress, leaveOpen: true);
}

/// <summary>The encodings this library speaks, looked up by their grpc-encoding name.</summary>
public static class MessageCompressors
{
    public const string Identity = "identity";
    private static readonly IMessageCompressor[] All = [GzipCompressor.Instance, DeflateCompressor.Instance];

    /// <summary>The grpc-accept-encoding value we advertise.</summary>
    public const string AcceptEncoding = "identity,gzip,deflate";

    public static IMessageCompressor? Find(string name)
    {
        foreach (var c in All)
            if (string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) return c;
        return null;
    }

    /// <summary>True if a grpc-accept-encoding list (comma-separated) names this encoding.</summary>
    public static bool IsAccepted(string? acceptEncoding, string name)
    {
        if (string.IsNullOrEmpty(acceptEncoding)) return false;
        foreach (var range in acceptEncoding.AsSpan().Split(','))
            if (acceptEncoding.AsSpan(range).Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
