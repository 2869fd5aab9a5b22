using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Server.Pipeline;

/// <summary>
/// One structured log line per call: method, status and duration. Nothing else of the call is logged: no
/// metadata (it carries the bearer token), no peer address, no message content.
/// </summary>
public sealed partial class CallLoggingInterceptor(ILogger<CallLoggingInterceptor> logger) : CallInterceptor
{
    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        return Observe(call, failure =>
        {
            var status = CallOutcome.Of(context, failure);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (status is StatusCode.Internal or StatusCode.Unknown or StatusCode.DataLoss)
                LogFailed(logger, CallOutcome.MethodName(context), status, ms);
            else
                LogCompleted(logger, CallOutcome.MethodName(context), status, ms);
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "call {Method} ended {Status} in {DurationMs:F1} ms")]
    private static partial void LogCompleted(ILogger logger, string method, StatusCode status, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "call {Method} ended {Status} in {DurationMs:F1} ms")]
    private static partial void LogFailed(ILogger logger, string method, StatusCode status, double durationMs);
}
