using System.Diagnostics;
using FaceMatch.Server.Observability;
using Grpc.Core;

namespace FaceMatch.Server.Pipeline;

/// <summary>Counts every call by method and status, times it by method, and keeps the in-flight gauge.</summary>
public sealed class CallMetricsInterceptor : CallInterceptor
{
    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        var method = CallOutcome.MethodName(context);
        var started = Stopwatch.GetTimestamp();
        var inFlight = ServerMetrics.CallsInFlight.WithLabels(method);
        inFlight.Inc();
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
            inFlight.Dec();
            ServerMetrics.Calls.WithLabels(method, CallOutcome.Of(context, failure).ToString()).Inc();
            ServerMetrics.CallDuration.WithLabels(method).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
