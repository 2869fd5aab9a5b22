using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FaceMatch.Server.Pipeline;

/// <summary>
/// An interceptor that treats the four call shapes alike: a cross-cutting concern (errors, logs, metrics,
/// authentication) writes one <see cref="InterceptAsync{T}"/> around "the rest of the call", instead of four
/// overrides that repeat it.
/// </summary>
public abstract class CallInterceptor : Interceptor
{
    /// <summary>Runs <paramref name="call"/> (the inner interceptors and the service method) within this concern.</summary>
    protected abstract Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call);

    public sealed override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        InterceptAsync(context, () => continuation(request, context));

    public sealed override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        InterceptAsync(context, () => continuation(requestStream, context));

    public sealed override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        InterceptAsync(context, () => Done(continuation(request, responseStream, context)));

    public sealed override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        InterceptAsync(context, () => Done(continuation(requestStream, responseStream, context)));

    /// <summary>Runs <paramref name="call"/> and reports how it ended (its exception, or null) before passing the outcome on.</summary>
    protected static async Task<T> Observe<T>(Func<Task<T>> call, Action<Exception?> ended)
    {
        Exception? failure = null;
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            ended(failure);
        }
    }

    private static async Task<bool> Done(Task call)
    {
        await call.ConfigureAwait(false);
        return true;
    }
}
