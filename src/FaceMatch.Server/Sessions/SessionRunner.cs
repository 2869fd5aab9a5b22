using System.Diagnostics;
using System.Numerics.Tensors;
using FaceMatch.Api.V1;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Security;
using FaceMatch.Server.Services;
using FaceMatch.Vault;
using FaceMatch.Vault.Usage;
using FaceMatch.Vision;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// Runs one Enroll, Authenticate or Identify session: the three share everything (the start message, frame limits,
/// decode admission, per-frame analysis and feedback, the liveness and identity checks) and differ only in how a
/// session ends (<see cref="SessionEnding"/>). The messages come and go over an <see cref="ISessionTransport"/> (a gRPC
/// stream, or the console's WebSocket), which changes nothing of the above. Feedback for a frame is written as soon as the frame is analysed,
/// before the next one is read. Frames and their pixels live only for the frame's analysis; only an enrolment's
/// template is stored, and, for a development token alone, the aligned crops (<see cref="SessionCaptures"/>).
/// A graceful stop lets a running session finish within its grace period; one still waiting for frames or
/// analysing them when the period is over ends UNAVAILABLE, while one already storing or sending its result completes.
/// </summary>
public sealed partial class SessionRunner(
    FaceAnalyzer analyzer,
    SessionAdmission sessionAdmission,
    AnalysisGate gate,
    FrameAdmission admission,
    FaceMatchVault vault,
    IGalleryRegistry galleries,
    SessionOptions options,
    TimeProvider clock,
    CallDrain drain,
    ILogger<SessionRunner> logger)
{
    /// <param name="who">the caller, resolved from its token by the transport's authentication.</param>
    public async Task RunAsync(SessionKind kind, TenantIdentity who, ISessionTransport transport)
    {
        // Shed at the door, before the session costs anything: the sessions already admitted keep their latency.
        using var admitted = sessionAdmission.AdmitSession(who.TenantId);
        var sessionId = Guid.NewGuid().ToString("N");
        var started = clock.GetUtcNow();
        var watch = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(transport.Aborted, drain.GraceOver);
        limit.CancelAfter(options.MaxDuration);

        SessionStart start;
        try
        {
            var first = await transport.ReadAsync(limit.Token).ConfigureAwait(false);
            if (first?.KindCase != SessionRequest.KindOneofCase.Start)
                throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message of a session must be start"));
            start = first.Start;
            var ending = await SessionEnding.ForAsync(kind, start, who, vault, galleries).ConfigureAwait(false);
            var captures = SessionCaptures.For(who.Grant, vault);
            var liveness = new SessionLivenessTracker(who.Policy.Liveness, clock);

            var frames = await ReadFramesAsync(transport, captures, liveness, limit.Token).ConfigureAwait(false);
            var result = await FinishAsync(ending, frames, who, liveness, sessionId).ConfigureAwait(false);
            result.SessionId = sessionId;
            if (captures is not null) await captures.WriteAsync().ConfigureAwait(false);
            await transport.WriteAsync(new SessionEvent { Result = result }, transport.Aborted).ConfigureAwait(false);
            await RecordUsageAsync(kind, who, start, transport.ClientAddress, started, watch.Elapsed, result.Reason, (uint)frames.Count).ConfigureAwait(false);
            LogEnded(logger, sessionId, kind, result.Reason.Length == 0 ? "ok" : result.Reason, frames.Count, watch.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException) when (drain.GraceOver.IsCancellationRequested && !transport.Aborted.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ReadinessInterceptor.ShuttingDown));
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !transport.Aborted.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the session ran over its {options.MaxDuration.TotalSeconds:0} s"));
        }
    }

    private async Task<List<FrameObservation>> ReadFramesAsync(ISessionTransport transport, SessionCaptures? captures,
        SessionLivenessTracker liveness, CancellationToken cancellationToken)
    {
        var frames = new List<FrameObservation>();
        long bytes = 0;
        var good = 0;
        while (!liveness.Complete(good, options.GoodFramesToFinish) && await transport.ReadAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            if (message.KindCase != SessionRequest.KindOneofCase.Frame)
                throw new RpcException(new Status(StatusCode.InvalidArgument, "start may only be the first message; then frames"));
            if (frames.Count == options.MaxFrames)
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"a session takes at most {options.MaxFrames} frames"));
            var image = message.Frame.Image.Memory;
            if (image.Length == 0) throw new RpcException(new Status(StatusCode.InvalidArgument, $"frame {frames.Count}: the image is empty"));
            if (image.Length > options.MaxFrameBytes)
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"frame {frames.Count}: {image.Length} bytes, over the {options.MaxFrameBytes}-byte limit"));
            if ((bytes += image.Length) > options.MaxSessionBytes)
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"a session takes at most {options.MaxSessionBytes} bytes of frames"));

            var observation = await AnalyzeAsync(frames.Count, message.Frame, captures, liveness, cancellationToken).ConfigureAwait(false);
            frames.Add(observation.Frame);
            if (IsGood(observation.Frame)) good++;
            await transport.WriteAsync(new SessionEvent { Feedback = observation.Feedback }, cancellationToken).ConfigureAwait(false);
        }
        return frames;
    }

    private async Task<(FrameObservation Frame, FrameFeedback Feedback)> AnalyzeAsync(int index, Frame frame, SessionCaptures? captures,
        SessionLivenessTracker liveness, CancellationToken cancellationToken)
    {
        var received = liveness.Now();
        // A place in the bounded analysis queue, then the headers, then the pixels only if the decode budget admits them.
        using var slot = await gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        using var lease = admission.Admit(frame.Image.Span);
        var analysis = await analyzer.AnalyzeAsync(frame.Image.Memory, encodeAlignedCrop: captures is not null, cancellationToken).ConfigureAwait(false);
        captures?.Add(index, analysis);
        var observation = FrameObservation.From(index, frame.CaptureTimeMs, analysis, received);
        var feedback = new FrameFeedback
        {
            FrameIndex = (uint)index,
            FaceFound = observation.HasFace,
            Quality = observation.Quality,
            Liveness = observation.Liveness ?? 0,
            Challenge = liveness.Observe(observation),
        };
        if (analysis.MainFace is { } face && analysis.Width > 0 && analysis.Height > 0)
            feedback.FaceBox = new NormalizedBox
            {
                X = Math.Clamp(face.Box.X / analysis.Width, 0, 1),
                Y = Math.Clamp(face.Box.Y / analysis.Height, 0, 1),
                Width = Math.Clamp(face.Box.Width / analysis.Width, 0, 1),
                Height = Math.Clamp(face.Box.Height / analysis.Height, 0, 1),
            };
        if (analysis.Quality is { } quality) feedback.Hints.AddRange(quality.Hints);
        else if (!observation.HasFace) feedback.Hints.Add("no_face");
        return (observation, feedback);
    }

    private async Task<SessionResult> FinishAsync(SessionEnding ending, List<FrameObservation> frames, TenantIdentity who,
        SessionLivenessTracker liveness, string sessionId)
    {
        var policy = who.Policy;
        var threshold = who.MatchThreshold(analyzer.MatchThreshold);
        var faced = frames.Where(f => f.HasFace).ToList();
        var verdict = liveness.Decide(frames, options.MinFramesForLiveness, policy.LivenessThreshold, analyzer.Liveness.Threshold);
        LogLiveness(logger, sessionId, verdict.Describe());
        var result = new SessionResult { TemplateId = ending.TemplateId ?? "", Live = verdict.Live, LivenessScore = verdict.Score };
        if (faced.Count == 0) return Fail(result, "no_face");
        if (faced.Skip(1).Any(f => Similarity(faced[0].Embedding!, f.Embedding!) < threshold)) return Fail(result, "identity_changed");
        if (!verdict.Live && liveness.Blocks) return Fail(result, "not_live");

        var good = faced.Where(IsGood).ToList();
        // A template is only made from good frames; a comparison takes the best there is (the threshold decides).
        if (good.Count < options.MinGoodFrames && !ending.StoresTemplate)
            good = faced.Where(f => f.Faces == 1).OrderByDescending(f => f.Quality).Take(options.GoodFramesToFinish).ToList();
        if (good.Count < options.MinGoodFrames) return Fail(result, "low_quality");
        var embedding = QualityWeightedMean(good);
        return await ending.CompleteAsync(result, embedding, good.Sum(Weight), analyzer.EmbedderId, threshold).ConfigureAwait(false);
    }

    /// <summary>One face, at or above the quality bar: what a template may be made of.</summary>
    private bool IsGood(FrameObservation frame) => frame.Faces == 1 && frame.Quality >= options.MinQuality;

    /// <summary>A frame's share of a template: its quality, kept above zero so a zero-quality frame still counts.</summary>
    private static float Weight(FrameObservation frame) => Math.Max(frame.Quality, 1e-3f);

    private static SessionResult Fail(SessionResult result, string reason)
    {
        result.Reason = reason;
        return result;
    }

    /// <summary>The good frames' embeddings weighted by quality, renormalised: a sharp frontal frame counts for more.</summary>
    internal static float[] QualityWeightedMean(IReadOnlyList<FrameObservation> good)
    {
        var mean = new float[good[0].Embedding!.Length];
        foreach (var f in good)
            TensorPrimitives.MultiplyAdd(f.Embedding!, Weight(f), mean, mean);
        var norm = TensorPrimitives.Norm(mean);
        TensorPrimitives.Divide(mean, norm, mean);
        return mean;
    }

    private static float Similarity(float[] a, float[] b) => TensorPrimitives.Dot(a, b);

    private async Task RecordUsageAsync(SessionKind kind, TenantIdentity who, SessionStart start, System.Net.IPAddress? clientAddress,
        DateTimeOffset started, TimeSpan duration, string outcome, uint frames)
    {
        var device = start.Device;
        // The vault stores the address truncated to its network prefix and the device id keyed-hashed, never as given.
        await vault.Usage.RecordSessionAsync(who.TenantId, new SessionUsage
        {
            Kind = kind,
            Started = started,
            Duration = duration,
            ClientAddress = clientAddress,
            DeviceId = Clip(device?.DeviceId),
            SdkVersion = Clip(device?.SdkVersion),
            OsVersion = Clip(device?.OsVersion),
            DeviceModel = Clip(device?.DeviceModel),
            Outcome = outcome,
            Frames = frames,
        }).ConfigureAwait(false);
    }

    private static string? Clip(string? text) =>
        string.IsNullOrEmpty(text) ? null : text.Length <= UsageStore.MaxTextLength ? text : text[..UsageStore.MaxTextLength];

    [LoggerMessage(Level = LogLevel.Information, Message = "session {SessionId} liveness {Verdict}")]
    private static partial void LogLiveness(ILogger logger, string sessionId, string verdict);

    [LoggerMessage(Level = LogLevel.Information, Message = "session {SessionId} {Kind} ended {Outcome} after {Frames} frames in {DurationMs:F0} ms")]
    private static partial void LogEnded(ILogger logger, string sessionId, SessionKind kind, string outcome, int frames, double durationMs);
}
