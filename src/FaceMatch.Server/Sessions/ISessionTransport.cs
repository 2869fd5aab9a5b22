using System.Net;
using FaceMatch.Api.V1;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// What carries one session's messages to and from <see cref="SessionRunner"/>: a gRPC duplex call for SDKs, a
/// WebSocket for the browser console. The runner is the same for both, so are its limits, statuses and privacy rules;
/// a transport only moves messages and says who is at the other end.
/// </summary>
public interface ISessionTransport
{
    /// <summary>The client's next message, or null once it has finished sending (half-close).</summary>
    /// <exception cref="Grpc.Core.RpcException">a message the transport cannot accept (over a limit, malformed).</exception>
    ValueTask<SessionRequest?> ReadAsync(CancellationToken cancellationToken);

    Task WriteAsync(SessionEvent message, CancellationToken cancellationToken);

    /// <summary>Cancelled when the client goes away or the call's deadline passes.</summary>
    CancellationToken Aborted { get; }

    /// <summary>The client's address, for the usage record (which stores it truncated).</summary>
    IPAddress? ClientAddress { get; }
}
