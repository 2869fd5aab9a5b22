using FaceMatch.Api.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace FaceMatch.Load;

/// <summary>How one call ended, as the load generator counts it: the gRPC status, whether an overload refusal carried
/// the server's retry hint, and for a session its result's reason and template.</summary>
public readonly record struct CallOutcome(string Status, bool Pushback = false, string? SessionReason = null, string? TemplateId = null)
{
    public const string OkStatus = "OK";
    public const string ResourceExhausted = "RESOURCE_EXHAUSTED";
    public bool Ok => Status == OkStatus;
}

/// <summary>One frame of a session: the encoded photo and its capture time on the session's clock.</summary>
public readonly record struct PacedFrame(ReadOnlyMemory<byte> Image, TimeSpan CaptureTime);

/// <summary>The run's own tenant and the production token its calls carry.</summary>
public sealed record TenantAccess(string TenantId, string Token);

/// <summary>
/// Every RPC the load generator makes, and nothing else (so the transport can change in this one file): the health
/// check, the Admin calls that set a run up, Compare, and the sessions, sent as an SDK sends them (start, frames as
/// the source yields them with at most <see cref="FramesInFlight"/> awaiting feedback, half-close, until the result).
/// Over one Grpc.Net.Client channel that opens more HTTP/2 connections as streams fill, as a fleet of phones would.
/// Nothing is retried: each call counts with the status the server gave it. A call failing is an outcome; a call
/// cancelled by the caller's token throws <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class ScenarioCalls : IDisposable
{
    /// <summary>Frames sent before their feedback is back: one network round trip of overlap, as the SDKs do.</summary>
    public const int FramesInFlight = 2;

    private const string PushbackTrailer = "grpc-retry-pushback-ms";
    private readonly GrpcChannel _channel;
    private readonly Api.V1.FaceMatch.FaceMatchClient _faceMatch;
    private readonly Admin.AdminClient _admin;
    private readonly Health.HealthClient _health;
    private readonly TimeSpan _callTimeout;
    private readonly TimeSpan _sessionTimeout;
    private Metadata? _tenant;

    public ScenarioCalls(Uri target, TimeSpan callTimeout, TimeSpan sessionTimeout)
    {
        _channel = GrpcChannel.ForAddress(target, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        _faceMatch = new Api.V1.FaceMatch.FaceMatchClient(_channel);
        _admin = new Admin.AdminClient(_channel);
        _health = new Health.HealthClient(_channel);
        _callTimeout = callTimeout;
        _sessionTimeout = sessionTimeout;
    }

    /// <summary>Creates a tenant with ADVISORY liveness (replayed photos are scored, not refused) and a production
    /// token, which the later calls carry.</summary>
    /// <exception cref="RpcException">an Admin call failed.</exception>
    public async Task<TenantAccess> CreateTenantAsync(string adminToken, string name, CancellationToken cancellationToken)
    {
        var tenant = await _admin.CreateTenantAsync(new CreateTenantRequest { Name = name }, Unary(Bearer(adminToken), cancellationToken));
        await _admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = LivenessMode.Advisory } },
            Unary(Bearer(adminToken), cancellationToken));
        var token = await _admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production },
            Unary(Bearer(adminToken), cancellationToken));
        _tenant = Bearer(token.Token);
        return new TenantAccess(tenant.TenantId, token.Token);
    }

    /// <summary>Deletes the run's tenant: its templates and tokens go with it.</summary>
    /// <exception cref="RpcException">the call failed.</exception>
    public async Task DeleteTenantAsync(string adminToken, string tenantId, CancellationToken cancellationToken) =>
        await _admin.DeleteTenantAsync(new DeleteTenantRequest { TenantId = tenantId }, Unary(Bearer(adminToken), cancellationToken));

    public Task<CallOutcome> HealthAsync(CancellationToken cancellationToken) =>
        OutcomeOf(async () =>
        {
            var reply = await _health.CheckAsync(new HealthCheckRequest(), Unary(null, cancellationToken));
            return new CallOutcome(reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? CallOutcome.OkStatus : "NOT_SERVING");
        }, cancellationToken);

    public Task<CallOutcome> CompareAsync(ReadOnlyMemory<byte> imageA, ReadOnlyMemory<byte> imageB, CancellationToken cancellationToken) =>
        OutcomeOf(async () =>
        {
            var request = new CompareRequest { ImageA = ByteString.CopyFrom(imageA.Span), ImageB = ByteString.CopyFrom(imageB.Span) };
            await _faceMatch.CompareAsync(request, Unary(TenantHeaders(), cancellationToken));
            return new CallOutcome(CallOutcome.OkStatus);
        }, cancellationToken);

    /// <summary>
    /// One Enroll, Authenticate (against <paramref name="templateId"/>) or Identify session over
    /// <paramref name="frames"/>; <paramref name="onFeedback"/> hears each frame's index as its feedback arrives.
    /// </summary>
    public Task<CallOutcome> SessionAsync(CallKind kind, string? templateId, IAsyncEnumerable<PacedFrame> frames, Action<int> onFeedback,
        CancellationToken cancellationToken) =>
        OutcomeOf(async () =>
        {
            var options = new CallOptions(TenantHeaders(), DateTime.UtcNow + _sessionTimeout, cancellationToken);
            using var call = kind switch
            {
                CallKind.Enroll => _faceMatch.Enroll(options),
                CallKind.Authenticate => _faceMatch.Authenticate(options),
                CallKind.Identify => _faceMatch.Identify(options),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a session kind"),
            };
            using var window = new SemaphoreSlim(FramesInFlight);
            using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var start = new SessionStart { TemplateId = templateId ?? "" };
            var sending = SendAsync(call.RequestStream, start, frames, window, stopSending.Token);
            try
            {
                await foreach (var ev in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    if (ev.KindCase == SessionEvent.KindOneofCase.Feedback)
                    {
                        window.Release();
                        onFeedback((int)ev.Feedback.FrameIndex);
                    }
                    else if (ev.KindCase == SessionEvent.KindOneofCase.Result)
                    {
                        return new CallOutcome(CallOutcome.OkStatus, SessionReason: ev.Result.Reason, TemplateId: ev.Result.TemplateId);
                    }
                }
                return new CallOutcome("NO_RESULT");
            }
            finally
            {
                await stopSending.CancelAsync();
                await sending;
            }
        }, cancellationToken);

    /// <summary>
    /// Writes the start, the frames and the half-close. A write fails once
    /// the server has ended the call (a refusal, or its result before the frames ran out); the receiver then has the
    /// status, so a failed write just stops sending.
    /// </summary>
    private static async Task SendAsync(IClientStreamWriter<SessionRequest> requests, SessionStart start, IAsyncEnumerable<PacedFrame> frames,
        SemaphoreSlim window, CancellationToken token)
    {
        try
        {
            await requests.WriteAsync(new SessionRequest { Start = start }, token);
            await using var source = frames.GetAsyncEnumerator(token);
            // The source is asked for a frame only once there is room for it, as a camera is read at the server's pace.
            while (true)
            {
                await window.WaitAsync(token);
                if (!await source.MoveNextAsync()) break;
                var frame = source.Current;
                await requests.WriteAsync(new SessionRequest
                {
                    Frame = new Frame { Image = ByteString.CopyFrom(frame.Image.Span), CaptureTimeMs = (long)frame.CaptureTime.TotalMilliseconds },
                }, token);
            }
            await requests.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task<CallOutcome> OutcomeOf(Func<Task<CallOutcome>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new CallOutcome(StatusName(e.StatusCode), Pushback: e.Trailers.GetValue(PushbackTrailer) is { Length: > 0 });
        }
        catch (RpcException e)
        {
            // Cancelled by the caller (the run's drain ran out), whatever status the cut-off call reported.
            throw new OperationCanceledException("the call was cut off", e, cancellationToken);
        }
    }

    /// <summary>The canonical name: RESOURCE_EXHAUSTED, as the gRPC specification and the contract write it.</summary>
    private static string StatusName(StatusCode code) => code switch
    {
        StatusCode.OK => CallOutcome.OkStatus,
        _ => string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString())),
    };

    private Metadata TenantHeaders() => _tenant ?? throw new InvalidOperationException("no tenant: CreateTenantAsync first");

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private CallOptions Unary(Metadata? headers, CancellationToken cancellationToken) => new(headers, DateTime.UtcNow + _callTimeout, cancellationToken);

    public void Dispose() => _channel.Dispose();
}
