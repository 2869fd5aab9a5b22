using Grpc.Core;

namespace FaceMatch.Server.Pipeline;

/// <summary>The status a call ended with, as the outer interceptors (logs, metrics) see it.</summary>
internal static class CallOutcome
{
    public static StatusCode Of(ServerCallContext context, Exception? failure) => failure switch
    {
        null => context.Status.StatusCode,
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException when context.Deadline <= DateTime.UtcNow => StatusCode.DeadlineExceeded,
        OperationCanceledException => StatusCode.Cancelled,
        _ => StatusCode.Internal,
    };

    /// <summary>"/facematch.v1.FaceMatch/Enroll" → "facematch.v1.FaceMatch/Enroll": a bounded label, no caller data.</summary>
    public static string MethodName(ServerCallContext context) => context.Method.TrimStart('/');
}
