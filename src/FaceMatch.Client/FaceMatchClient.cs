using FaceMatch.Api.V1;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Stub = FaceMatch.Api.V1.FaceMatch.FaceMatchClient;

namespace FaceMatch.Client;

/// <summary>
/// A tenant's client of a FaceMatch server (facematch.v1.FaceMatch): enrolment, authentication and identification
/// sessions over camera frames, Compare, and the erasure and access calls. One instance owns one channel; it is
/// safe to use from several threads at once, and meant to be kept for the application's life.
/// </summary>
/// <remarks>
/// Failed calls throw the server's status as <see cref="Grpc.Core.RpcException"/> (the contract's table: UNAUTHENTICATED,
/// PERMISSION_DENIED, NOT_FOUND, INVALID_ARGUMENT with a reason, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED; UNAVAILABLE
/// once the retries of a retried call are spent; INTERNAL for a server certificate that is not trusted),
/// <see cref="OperationCanceledException"/> when the caller's token
/// cancelled, and <see cref="ArgumentException"/> for arguments no server would accept. A session that runs but fails
/// a check (no face, not live, no match) is no error: its <see cref="SessionResult.Reason"/> says why.
/// </remarks>
public sealed class FaceMatchClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Stub _stub;
    private readonly Health.HealthClient _health;
    private readonly CallSettings _calls;
    private readonly DeviceInfo? _device;
    private readonly int _framesInFlight;

    /// <exception cref="ArgumentException">the options are invalid.</exception>
    public FaceMatchClient(FaceMatchClientOptions options)
    {
        _channel = FaceMatchChannel.Create(options);
        _stub = new Stub(_channel);
        _health = new Health.HealthClient(_channel);
        _calls = new CallSettings(options);
        _device = options.Device?.Clone();
        _framesInFlight = options.MaxFramesInFlight;
    }

    /// <summary>
    /// Starts an enrolment: the frames' good ones make a new template (or, with <paramref name="templateId"/>, more
    /// samples of that template). The result's <see cref="SessionResult.TemplateId"/> names it when
    /// <see cref="SessionResult.Enrolled"/>.
    /// </summary>
    public FaceMatchSession StartEnroll(IAsyncEnumerable<SessionFrame> frames, string? templateId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (templateId is not null) ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        return Start(_stub.Enroll, new SessionStart { TemplateId = templateId ?? "" }, frames, cancellationToken);
    }

    /// <summary>Starts a 1:1 authentication against <paramref name="templateId"/>.</summary>
    public FaceMatchSession StartAuthenticate(string templateId, IAsyncEnumerable<SessionFrame> frames, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        ArgumentNullException.ThrowIfNull(frames);
        return Start(_stub.Authenticate, new SessionStart { TemplateId = templateId }, frames, cancellationToken);
    }

    /// <summary>Starts a 1:N identification over the tenant's templates: up to <paramref name="topK"/> candidates (0: the server's 5), best first.</summary>
    public FaceMatchSession StartIdentify(IAsyncEnumerable<SessionFrame> frames, int topK = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        return Start(_stub.Identify, new SessionStart { TopK = (uint)topK }, frames, cancellationToken);
    }

    /// <summary>
    /// Enrols from <paramref name="frames"/>, handing each frame's feedback to <paramref name="onFeedback"/> as it
    /// comes (in frame order, on a thread-pool thread; an exception it throws cancels the session and is rethrown).
    /// </summary>
    public async Task<SessionResult> EnrollAsync(IAsyncEnumerable<SessionFrame> frames, Action<FrameFeedback>? onFeedback = null,
        string? templateId = null, CancellationToken cancellationToken = default)
    {
        await using var session = StartEnroll(frames, templateId, cancellationToken);
        return await session.CompleteAsync(onFeedback);
    }

    /// <summary>Authenticates <paramref name="frames"/> against <paramref name="templateId"/>, handing each frame's feedback to <paramref name="onFeedback"/> as it comes.</summary>
    public async Task<SessionResult> AuthenticateAsync(string templateId, IAsyncEnumerable<SessionFrame> frames,
        Action<FrameFeedback>? onFeedback = null, CancellationToken cancellationToken = default)
    {
        await using var session = StartAuthenticate(templateId, frames, cancellationToken);
        return await session.CompleteAsync(onFeedback);
    }

    /// <summary>Identifies the face in <paramref name="frames"/>, handing each frame's feedback to <paramref name="onFeedback"/> as it comes.</summary>
    public async Task<SessionResult> IdentifyAsync(IAsyncEnumerable<SessionFrame> frames, Action<FrameFeedback>? onFeedback = null,
        int topK = 0, CancellationToken cancellationToken = default)
    {
        await using var session = StartIdentify(frames, topK, cancellationToken);
        return await session.CompleteAsync(onFeedback);
    }

    /// <summary>
    /// The cosine similarity of the largest face in each image, the decision and the threshold it used; nothing is
    /// stored. No face in an image is INVALID_ARGUMENT naming the image. Retried on UNAVAILABLE.
    /// </summary>
    public async Task<CompareResponse> CompareAsync(ReadOnlyMemory<byte> imageA, ReadOnlyMemory<byte> imageB, CancellationToken cancellationToken = default)
    {
        if (imageA.IsEmpty) throw new ArgumentException("imageA is empty", nameof(imageA));
        if (imageB.IsEmpty) throw new ArgumentException("imageB is empty", nameof(imageB));
        var request = new CompareRequest { ImageA = ByteString.CopyFrom(imageA.Span), ImageB = ByteString.CopyFrom(imageB.Span) };
        return await _stub.CompareAsync(request, _calls.Unary(cancellationToken));
    }

    /// <summary>
    /// Erases a template (the right to erasure): it is in no later match. An unknown, deleted, expired or other
    /// tenant's template is NOT_FOUND. Retried on UNAVAILABLE, so a delete whose first attempt got through may
    /// report NOT_FOUND: the template is gone either way.
    /// </summary>
    public async Task DeleteTemplateAsync(string templateId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        await _stub.DeleteTemplateAsync(new TemplateRef { TemplateId = templateId }, _calls.Unary(cancellationToken));
    }

    /// <summary>What the server keeps of a template (the right of access): its times, model and protected vector.</summary>
    public async Task<TemplateExport> ExportTemplateAsync(string templateId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        return await _stub.ExportTemplateAsync(new TemplateRef { TemplateId = templateId }, _calls.Unary(cancellationToken));
    }

    /// <summary>
    /// Whether the server is SERVING (grpc.health.v1): true once its models and galleries are loaded, false while
    /// it starts or stops. Needs no token. An unreachable server is UNAVAILABLE, after the retries.
    /// </summary>
    public async Task<bool> IsServingAsync(CancellationToken cancellationToken = default)
    {
        var reply = await _health.CheckAsync(new HealthCheckRequest(), _calls.Unary(cancellationToken));
        return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving;
    }

    private FaceMatchSession Start(Func<Grpc.Core.CallOptions, Grpc.Core.AsyncDuplexStreamingCall<SessionRequest, SessionEvent>> open,
        SessionStart start, IAsyncEnumerable<SessionFrame> frames, CancellationToken cancellationToken)
    {
        start.Device = _device;
        return new FaceMatchSession(open(_calls.Session(cancellationToken)), start, frames, _framesInFlight, cancellationToken);
    }

    /// <summary>Closes the channel; sessions still running are cancelled.</summary>
    public void Dispose() => _channel.Dispose();
}
