using FaceMatch.Server.Observability;
using Grpc.Core;

namespace FaceMatch.Server.Admission;

/// <summary>
/// The one way the server says "too busy": RESOURCE_EXHAUSTED with a reason, and a retry hint in the trailers
/// (<c>grpc-retry-pushback-ms</c>, gRPC's own pushback trailer, which grpc-dotnet's and grpc-java's retry policies
/// obey), counted by reason. The hint is jittered by ±25 % so refused clients do not come back in step.
/// </summary>
public static class Overload
{
    public const string PushbackTrailer = "grpc-retry-pushback-ms";

    /// <summary>Why work was refused: the label of <c>facematch_admission_refused_total</c>.</summary>
    public enum Reason { Sessions, TenantSessions, Congested, FrameQueue, DecodeBudget, ModelQueue }

    public static TimeSpan DefaultRetryAfter { get; } = TimeSpan.FromMilliseconds(500);

    public static RpcException Refuse(Reason reason, string message, TimeSpan? retryAfter = null)
    {
        ServerMetrics.AdmissionRefused.WithLabels(Label(reason)).Inc();
        var hint = (retryAfter ?? DefaultRetryAfter).TotalMilliseconds * (0.75 + Random.Shared.NextDouble() / 2);
        return new RpcException(new Status(StatusCode.ResourceExhausted, message),
            new Metadata { { PushbackTrailer, ((long)Math.Max(1, hint)).ToString(System.Globalization.CultureInfo.InvariantCulture) } });
    }

    private static string Label(Reason reason) => reason switch
    {
        Reason.Sessions => "sessions",
        Reason.TenantSessions => "tenant_sessions",
        Reason.Congested => "congested",
        Reason.FrameQueue => "frame_queue",
        Reason.DecodeBudget => "decode_budget",
        _ => "model_queue",
    };
}
