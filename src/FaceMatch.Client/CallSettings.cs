using Grpc.Core;

namespace FaceMatch.Client;

/// <summary>The metadata and deadline of each call: the bearer token, and the options' timeout from now.</summary>
internal sealed class CallSettings(FaceMatchClientOptions options)
{
    public CallOptions Unary(CancellationToken cancellationToken) => new(Headers(), Deadline(options.CallTimeout), cancellationToken);

    public CallOptions Session(CancellationToken cancellationToken) => new(Headers(), Deadline(options.SessionTimeout), cancellationToken);

    // A fresh collection per call: grpc-dotnet keeps a call's headers for its retries.
    private Metadata? Headers() => options.Token is { } token ? new Metadata { { "authorization", "Bearer " + token } } : null;

    private static DateTime? Deadline(TimeSpan timeout) => timeout == Timeout.InfiniteTimeSpan ? null : DateTime.UtcNow + timeout;
}
