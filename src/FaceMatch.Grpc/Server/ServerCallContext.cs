using Microsoft.AspNetCore.Http;

namespace FaceMatch.Grpc.Server;

/// <summary>What a handler knows about its call and how it shapes the response besides messages.</summary>
public abstract class ServerCallContext
{
    /// <summary>The full method path, e.g. /grpc.health.v1.Health/Check.</summary>
    public abstract string Method { get; }
    /// <summary>The :authority the client addressed.</summary>
    public abstract string Host { get; }
    /// <summary>The client's address (ipv4:a.b.c.d:port). Personal data: never log it.</summary>
    public abstract string Peer { get; }
    /// <summary>When the client stops waiting (UTC); DateTime.MaxValue when it sent no grpc-timeout.</summary>
    public abstract DateTime Deadline { get; }
    /// <summary>Custom metadata the client sent (reserved protocol headers excluded; -bin values decoded).</summary>
    public abstract Metadata RequestHeaders { get; }
    /// <summary>Custom metadata sent with the response headers: add before the first message is written.</summary>
    public abstract Metadata ResponseHeaders { get; }
    /// <summary>Custom metadata sent with the status at the end of the call.</summary>
    public abstract Metadata ResponseTrailers { get; }
    /// <summary>Fires when the client cancels (RST_STREAM), the connection drops, or the deadline passes.</summary>
    public abstract CancellationToken CancellationToken { get; }
    /// <summary>The status the call ends with when the handler returns normally (OK unless set).</summary>
    public abstract Status Status { get; set; }
    /// <summary>The grpc-encoding of the request messages, or null when uncompressed.</summary>
    public abstract string? RequestEncoding { get; }
    /// <summary>
    /// The encoding of response messages (null: none). Settable before the first message, and only to an
    /// encoding the client accepts; otherwise responses stay uncompressed.
    /// </summary>
    public abstract string? ResponseEncoding { get; set; }
    /// <summary>Sends the response headers now (with ResponseHeaders plus <paramref name="headers"/>).</summary>
    public abstract ValueTask WriteResponseHeadersAsync(Metadata? headers = null);
    /// <summary>The underlying ASP.NET Core request, for transport-level needs (connection id, TLS details).</summary>
    public abstract HttpContext GetHttpContext();
}
