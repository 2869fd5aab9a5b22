using Grpc.Core;

namespace FaceMatch.Server.Tests.Support;

internal static class Calls
{
    /// <summary>Options with a deadline, so no test call can wait for ever.</summary>
    public static CallOptions Bounded(Metadata? headers = null, CancellationToken token = default, double seconds = 20) =>
        new(headers, DateTime.UtcNow.AddSeconds(seconds), token);

    /// <summary>Grpc.Net.Client compresses a call's requests when this header names the encoding.</summary>
    public const string RequestEncodingHeader = "grpc-internal-encoding-request";

    public static Metadata GzipRequests() => new() { { RequestEncodingHeader, "gzip" } };

    public static Metadata WithRequestCompression(this Metadata headers, string? encoding)
    {
        if (encoding is not null) headers.Add(RequestEncodingHeader, encoding);
        return headers;
    }
}
