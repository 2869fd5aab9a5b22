using FaceMatch.Server.Hosting;
using FaceMatch.Server.Pipeline;
using Grpc.Core;

namespace FaceMatch.Server.Security;

/// <summary>
/// The readiness gate of facematch.v1 calls: refuses them with UNAVAILABLE (retryable) while the server is starting
/// or stopping, before the models are loaded and from the moment a graceful stop begins, so no new session starts
/// that the stop would cut. The calls it admits enter the <see cref="CallDrain"/>, which a stop waits for during
/// its grace period.
/// </summary>
public sealed class ReadinessInterceptor(ServerReadiness readiness, CallDrain drain) : CallInterceptor
{
    public const string ShuttingDown = "the server is shutting down; retry on another instance";

    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call) =>
        context.Method.StartsWith("/facematch.v1.", StringComparison.Ordinal) ? AdmitAsync(call) : call();

    private async Task<T> AdmitAsync<T>(Func<Task<T>> call)
    {
        // Entered before the call runs and left when it ends; a stop that closed the drain first refuses it.
        using var admitted = (readiness.IsServing ? drain.TryEnter() : null) ?? throw NotReady();
        return await call().ConfigureAwait(false);
    }

    private RpcException NotReady() => new(new Status(StatusCode.Unavailable,
        readiness.IsStopping ? ShuttingDown : "the server is starting; retry shortly"));
}
