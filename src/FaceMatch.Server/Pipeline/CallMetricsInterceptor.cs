using System.Diagnostics;
using FaceMatch.Server.Observability;
using Grpc.Core;

namespace FaceMatch.Server.Pipeline;

/// <summary>Counts every call by method and status, times it by method, and keeps the in-flight gauge.</summary>
public sealed class CallMetricsInterceptor : CallInterceptor
{
    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        var method = CallOutcome.MethodName(context);
        var started = Stopwatch.GetTimestamp();
        var inFlight = ServerMetrics.CallsInFlight.WithLabels(method);
        inFlight.Inc();
        return Observe(call, failure =>
        {
            inFlight.Dec();
            ServerMetrics.Calls.WithLabels(method, CallOutcome.Of(context, failure).ToString()).Inc();
            ServerMetrics.CallDuration.WithLabels(method).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        });
    }
}
