using System.Net;
using System.Text;

namespace FaceMatch.Load;

/// <summary>
/// What one load run does. Every run is bounded by a call count and a duration: calls are issued until either is
/// spent, then the calls in flight get <see cref="Drain"/> to finish and the rest are cut off.
/// </summary>
/// <remarks>
/// Open loop when <see cref="Rate"/> is set (call i is issued at t0 + i / rate whatever the server does, and its
/// latency is counted from that intended start, so a server that falls behind shows as latency rather than as fewer
/// calls); closed loop otherwise (<see cref="Concurrency"/> calls in flight, each issued when one completes).
/// </remarks>
public sealed record LoadOptions
{
    public required Uri Target { get; init; }
    /// <summary>Every server the calls spread over, round robin (several replicas of one deployment); default: <see cref="Target"/> alone.</summary>
    public IReadOnlyList<Uri> Targets { get => _targets ?? [Target]; init => _targets = value; }
    private readonly IReadOnlyList<Uri>? _targets;
    /// <summary>Calls issued per second (open loop); null: closed loop at <see cref="Concurrency"/>.</summary>
    public double? Rate { get; init; }
    public int Concurrency { get; init; } = 16;
    /// <summary>The most calls a run issues.</summary>
    public int Requests { get; init; } = 10_000;
    /// <summary>How long a run issues calls.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long the calls in flight when issuing stops may take to finish; the rest are cut off (not counted).</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Deadline of a unary call (Compare, health).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Deadline of a whole session.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Off by default: a load run aims at a server on this machine unless the operator says otherwise.</summary>
    public bool AllowRemote { get; init; }

    public CallMix Mix { get; init; } = CallMix.Default;
    /// <summary>Photos the sessions and Compare calls send: image files, or one sub-folder of them per person.</summary>
    public string? PhotosDirectory { get; init; }
    /// <summary>Frames a session sends before it half-closes (the server may end it sooner, once it has enough good frames).</summary>
    public int Frames { get; init; } = 5;
    /// <summary>Time between a session's frames, as a camera delivers them.</summary>
    public TimeSpan FrameInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Templates enrolled before the run, so Authenticate and Identify have targets.</summary>
    public int Templates { get; init; } = 4;
    /// <summary>The operator's token, to create the run's own tenant; this or <see cref="Token"/> is needed unless the mix is health checks only.</summary>
    public string? AdminToken { get; init; }
    /// <summary>A tenant token: the run uses that tenant instead of making its own (and erases what it enrolled there at the end).</summary>
    public string? Token { get; init; }
    /// <summary>Keep the run's tenant, or with <see cref="Token"/> the templates the run enrolled, instead of deleting them at the end.</summary>
    public bool KeepData { get; init; }
    /// <summary>PEM file of the private CA that issued an https target's certificate (trusted instead of the system's roots, for /metrics too).</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>The server's Prometheus endpoint, scraped before, during and after the run; null: none.</summary>
    public Uri? MetricsUrl { get; init; }
    public TimeSpan MetricsInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Where report.json, report.md and the plots go; null: nowhere (the caller has the report).</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>Seeds which kind and which photos each call gets, so two runs with one seed send the same calls.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>How the run was started, written into the reports so they can be reproduced.</summary>
    public string? CommandLine { get; init; }

    public bool OpenLoop => Rate is not null;

    public void Validate()
    {
        if (Rate is { } rate && !(rate is > 0 and <= 100_000)) throw new ArgumentException("--rate must be more than 0 and at most 100000 calls/s");
        if (Concurrency is < 1 or > 4096) throw new ArgumentException("--concurrency must be 1..4096");
        if (Requests is < 1 or > 10_000_000) throw new ArgumentException("--requests must be 1..10000000");
        if (Duration <= TimeSpan.Zero || Duration > TimeSpan.FromHours(1)) throw new ArgumentException("--duration must be more than 0 s and at most 1 h");
        if (Drain < TimeSpan.Zero || Drain > TimeSpan.FromMinutes(10)) throw new ArgumentException("--drain must be 0 s to 10 min");
        if (CallTimeout <= TimeSpan.Zero || SessionTimeout <= TimeSpan.Zero) throw new ArgumentException("call and session timeouts must be positive");
        if (Frames is < 1 or > 1000) throw new ArgumentException("--frames must be 1..1000");
        if (FrameInterval < TimeSpan.Zero || FrameInterval > TimeSpan.FromSeconds(10)) throw new ArgumentException("--frame-interval-ms must be 0..10000");
        if (Templates is < 1 or > 10_000) throw new ArgumentException("--templates must be 1..10000");
        if (MetricsInterval < TimeSpan.FromMilliseconds(50)) throw new ArgumentException("--metrics-interval-ms must be at least 50");
        foreach (var target in Targets) CheckTarget(target, "--target");
        if (MetricsUrl is not null) CheckTarget(MetricsUrl, "--metrics");
        if (Mix.NeedsTenant && string.IsNullOrWhiteSpace(PhotosDirectory)) throw new ArgumentException($"--mix {Mix} needs --photos DIR");
        if (Mix.NeedsTenant && string.IsNullOrWhiteSpace(AdminToken) && string.IsNullOrWhiteSpace(Token))
            throw new ArgumentException($"--mix {Mix} needs the admin token (--admin-token, FACEMATCH_ADMIN_TOKEN or <FACEMATCH_DATA>/admin.token) to create its tenant, or a tenant token (--token or FACEMATCH_TOKEN)");
    }

    private void CheckTarget(Uri target, string option)
    {
        if (target.Scheme is not ("http" or "https")) throw new ArgumentException($"{option} must be http://host:port or https://host:port");
        if (!AllowRemote && !IsLoopback(target.Host))
            throw new ArgumentException($"{option} {target.Host} is not a loopback address; pass --allow-remote to load another machine");
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    // A record prints every property: not the tokens.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Targets = {string.Join(",", Targets)}, Rate = {Rate}, Concurrency = {Concurrency}, Requests = {Requests}, Duration = {Duration}, ")
            .Append($"Mix = {Mix}, Frames = {Frames}, FrameInterval = {FrameInterval}, AdminToken = {(AdminToken is null ? "none" : "set")}, ")
            .Append($"Token = {(Token is null ? "none" : "set")}, CaCertificatePath = {CaCertificatePath}");
        return true;
    }
}
