using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Server.Pipeline;

/// <summary>
/// Turns what the libraries throw into the contract's statuses, once for every RPC (<see cref="ErrorStatus"/>): an
/// unexpected exception becomes INTERNAL with a fixed message, its type and stack going to the log for the operator
/// and nothing of it to the client.
/// </summary>
public sealed partial class ExceptionMappingInterceptor(ILogger<ExceptionMappingInterceptor> logger) : CallInterceptor
{
    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, context) is { } mapped)
        {
            throw mapped;
        }
    }

    private RpcException? Map(Exception e, ServerCallContext context)
    {
        var mapped = ErrorStatus.Map(e, context.CancellationToken.IsCancellationRequested);
        if (mapped?.StatusCode == StatusCode.Internal) LogUnexpected(logger, context.Method, e.GetType().FullName ?? "exception", e);
        return mapped;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method}: unexpected {ExceptionType}")]
    private static partial void LogUnexpected(ILogger logger, string method, string exceptionType, Exception exception);
}
