using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using FaceMatch.Api.V1;
using FaceMatch.Client;
using Grpc.Core;

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

/// <summary>
/// Every RPC the load generator makes, and nothing else, so the transport is this one file: through the project's
/// client library (<see cref="FaceMatchClient"/>, <see cref="FaceMatchAdminClient"/>), as an application calls the
/// server. Its sessions send each frame as the source yields it with at most <see cref="FramesInFlight"/> awaiting
/// feedback, then half-close. Nothing is retried: each call counts with the status the server gave it. A failed call
/// is an outcome; a call cancelled by the caller's token throws <see cref="OperationCanceledException"/>. With
/// several targets (replicas of one deployment) the tenant's calls take them in turn; Admin calls go to the first.
/// </summary>
public sealed class ScenarioCalls : IDisposable
{
    /// <summary>Frames sent before their feedback is back: one network round trip of overlap, as the SDKs do.</summary>
    public const int FramesInFlight = 2;

    private const string PushbackTrailer = "grpc-retry-pushback-ms";
    private readonly IReadOnlyList<Uri> _targets;
    private readonly TimeSpan _callTimeout;
    private readonly TimeSpan _sessionTimeout;
    private readonly bool _allowPlaintext;
    private readonly X509Certificate2Collection? _roots;
    private readonly FaceMatchClient[] _anonymous;
    private FaceMatchClient[]? _tenant;
    private int _next = -1;

    /// <param name="caCertificates">roots to trust instead of the system's, for an https target with a private CA.</param>
    /// <exception cref="ArgumentException">the client refuses the target (cleartext to another machine without <paramref name="allowPlaintext"/>).</exception>
    public ScenarioCalls(Uri target, TimeSpan callTimeout, TimeSpan sessionTimeout, bool allowPlaintext, X509Certificate2Collection? caCertificates)
        : this([target], callTimeout, sessionTimeout, allowPlaintext, caCertificates) { }

    public ScenarioCalls(IReadOnlyList<Uri> targets, TimeSpan callTimeout, TimeSpan sessionTimeout, bool allowPlaintext, X509Certificate2Collection? caCertificates)
    {
        if (targets.Count == 0) throw new ArgumentException("no target", nameof(targets));
        (_targets, _callTimeout, _sessionTimeout, _allowPlaintext, _roots) = (targets, callTimeout, sessionTimeout, allowPlaintext, caCertificates);
        _anonymous = [.. targets.Select(t => new FaceMatchClient(Options(t, token: null)))];
    }

    /// <summary>Makes the tenant calls carry <paramref name="token"/> (a tenant's production or development token).</summary>
    public void UseTenantToken(string token)
    {
        foreach (var client in _tenant ?? []) client.Dispose();
        _tenant = [.. _targets.Select(t => new FaceMatchClient(Options(t, token)))];
    }

    /// <summary>Creates a tenant with ADVISORY liveness (replayed photos are scored, not refused) and a production
    /// token, which the later calls carry; returns the tenant's id.</summary>
    /// <exception cref="RpcException">an Admin call failed.</exception>
    public async Task<string> CreateTenantAsync(string adminToken, string name, CancellationToken cancellationToken)
    {
        using var admin = new FaceMatchAdminClient(Options(_targets[0], adminToken));
        var tenant = await admin.CreateTenantAsync(name, cancellationToken);
        await admin.UpdatePolicyAsync(tenant.TenantId, p => p.Liveness = LivenessMode.Advisory, cancellationToken);
        UseTenantToken((await admin.IssueTokenAsync(tenant.TenantId, TokenMode.Production, cancellationToken)).Token);
        return tenant.TenantId;
    }

    /// <summary>Deletes a tenant: its templates and tokens go with it.</summary>
    /// <exception cref="RpcException">the call failed.</exception>
    public async Task DeleteTenantAsync(string adminToken, string tenantId, CancellationToken cancellationToken)
    {
        using var admin = new FaceMatchAdminClient(Options(_targets[0], adminToken));
        await admin.DeleteTenantAsync(tenantId, cancellationToken);
    }

    /// <summary>Erases one template of the tenant.</summary>
    /// <exception cref="RpcException">the call failed (NOT_FOUND: it is gone already).</exception>
    public Task DeleteTemplateAsync(string templateId, CancellationToken cancellationToken) => Tenant().DeleteTemplateAsync(templateId, cancellationToken);

    public Task<CallOutcome> HealthAsync(CancellationToken cancellationToken) =>
        OutcomeOf(async () => new CallOutcome(await Next(_anonymous).IsServingAsync(cancellationToken) ? CallOutcome.OkStatus : "NOT_SERVING"), cancellationToken);

    public Task<CallOutcome> CompareAsync(ReadOnlyMemory<byte> imageA, ReadOnlyMemory<byte> imageB, CancellationToken cancellationToken) =>
        OutcomeOf(async () =>
        {
            await Tenant().CompareAsync(imageA, imageB, cancellationToken);
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
            var client = Tenant();
            var sessionFrames = AsSessionFrames(frames, cancellationToken);
            void Heard(FrameFeedback feedback) => onFeedback((int)feedback.FrameIndex);
            var result = kind switch
            {
                CallKind.Enroll => await client.EnrollAsync(sessionFrames, Heard, cancellationToken: cancellationToken),
                CallKind.Authenticate => await client.AuthenticateAsync(templateId!, sessionFrames, Heard, cancellationToken),
                CallKind.Identify => await client.IdentifyAsync(sessionFrames, Heard, cancellationToken: cancellationToken),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a session kind"),
            };
            return new CallOutcome(CallOutcome.OkStatus, SessionReason: result.Reason, TemplateId: result.TemplateId);
        }, cancellationToken);

    private static async IAsyncEnumerable<SessionFrame> AsSessionFrames(IAsyncEnumerable<PacedFrame> frames,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var frame in frames.WithCancellation(cancellationToken)) yield return new SessionFrame(frame.Image, frame.CaptureTime);
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

    private FaceMatchClient Tenant() => Next(_tenant ?? throw new InvalidOperationException("no tenant token: CreateTenantAsync or UseTenantToken first"));

    private FaceMatchClient Next(FaceMatchClient[] clients) => clients[(int)((uint)Interlocked.Increment(ref _next) % (uint)clients.Length)];

    private FaceMatchClientOptions Options(Uri target, string? token) => new()
    {
        Address = target,
        Token = token,
        CallTimeout = _callTimeout,
        SessionTimeout = _sessionTimeout,
        MaxFramesInFlight = FramesInFlight,
        CaCertificates = _roots,
        AllowPlaintext = _allowPlaintext,
        Retry = new FaceMatchRetryOptions { MaxAttempts = 1 },
    };

    public void Dispose()
    {
        foreach (var client in _tenant ?? []) client.Dispose();
        foreach (var client in _anonymous) client.Dispose();
    }
}
