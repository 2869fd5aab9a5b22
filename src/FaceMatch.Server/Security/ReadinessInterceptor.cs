using FaceMatch.Server.Hosting;
using FaceMatch.Server.Pipeline;
using Grpc.Core;

namespace FaceMatch.Server.Security;

/// <summary>
/// Refuses facematch.v1 calls with UNAVAILABLE (retryable) while the server is starting or stopping: before the
/// models are loaded, and from the moment a graceful stop begins, so no new session starts that the stop would cut.
/// Calls already running are not touched; they get the shutdown grace period.
/// </summary>
public sealed class ReadinessInterceptor(ServerReadiness readiness) : CallInterceptor
{
    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (!readiness.IsServing && context.Method.StartsWith("/facematch.v1.", StringComparison.Ordinal))
            throw new RpcException(new Status(StatusCode.Unavailable,
                readiness.IsStopping ? "the server is shutting down; retry on another instance" : "the server is starting; retry shortly"));
        return call();
    }
}
