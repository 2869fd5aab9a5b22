using System.Net;
using FaceMatch.Api.V1;
using FaceMatch.Server.Sessions;
using Grpc.Core;

namespace FaceMatch.Server.Services;

/// <summary>A session over a gRPC duplex call (Enroll, Authenticate, Identify).</summary>
internal sealed class GrpcSessionTransport(IAsyncStreamReader<SessionRequest> requests, IServerStreamWriter<SessionEvent> events,
    ServerCallContext context) : ISessionTransport
{
    public async ValueTask<SessionRequest?> ReadAsync(CancellationToken cancellationToken) =>
        await requests.MoveNext(cancellationToken).ConfigureAwait(false) ? requests.Current : null;

    public Task WriteAsync(SessionEvent message, CancellationToken cancellationToken) => events.WriteAsync(message, cancellationToken);

    public CancellationToken Aborted => context.CancellationToken;

    public IPAddress? ClientAddress => context.GetHttpContext().Connection.RemoteIpAddress;
}
