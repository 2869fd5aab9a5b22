namespace FaceMatch.Load;

/// <summary>Overload refusals (RESOURCE_EXHAUSTED) over every kind, and how many carried the server's retry hint.</summary>
public sealed record RefusalStats(long Refused, long WithPushback, long WithoutPushback);

/// <summary>
/// The outcome of a run: what was asked for, what happened per kind of call (latency of the calls that succeeded,
/// from their intended start; refusals apart), every status, the server's own metrics over the run, and one point
/// per second and kind for the plots.
/// </summary>
public sealed record LoadReport
{
    public required string Target { get; init; }
    /// <summary><c>open-loop</c> or <c>closed-loop</c>.</summary>
    public required string Mode { get; init; }
    public double? Rate { get; init; }
    public int? Concurrency { get; init; }
    public required string Mix { get; init; }
    public int Frames { get; init; }
    public double FrameIntervalMs { get; init; }
    public int Seed { get; init; }
    public double DurationLimitSeconds { get; init; }
    public int RequestLimit { get; init; }
    public string? Command { get; init; }
    public DateTimeOffset StartedUtc { get; init; }
    /// <summary>From the first call's start to the last one's end (or the drain's).</summary>
    public double Seconds { get; init; }
    public long Issued { get; init; }
    public long Completed { get; init; }
    /// <summary>Calls still running when the drain ran out: cancelled, not counted anywhere else.</summary>
    public long CutOff { get; init; }
    /// <summary>Completed calls whose status was not OK (refusals included).</summary>
    public long Errors { get; init; }
    public double CallsPerSecond { get; init; }
    /// <summary>Enroll, Authenticate and Identify sessions that ended OK, per second.</summary>
    public double SessionsPerSecond { get; init; }
    /// <summary>Templates enrolled before the run (the targets of Authenticate).</summary>
    public int Targets { get; init; }
    public required IReadOnlyDictionary<string, long> Statuses { get; init; }
    public required RefusalStats Refusals { get; init; }
    /// <summary>Per kind (enroll, authenticate, identify, compare, health) and <c>frame</c>: every session frame, send to feedback.</summary>
    public required IReadOnlyDictionary<string, CallStats> Calls { get; init; }
    public IReadOnlyList<string> ClientErrors { get; init; } = [];
    public ServerMetricsReport? Server { get; init; }
    public required IReadOnlyList<long> IssuedPerSecond { get; init; }
    public required IReadOnlyList<WindowPoint> Windows { get; init; }

    internal static LoadReport From(LoadOptions options, Scenario scenario, LatencyBook book, DateTimeOffset started, double seconds, long issued,
        long cutOff, ClientErrors clientErrors, ServerMetricsReport? server)
    {
        var calls = book.Summarise(seconds);
        var kinds = calls.Where(c => c.Key != LatencyBook.FrameRow).Select(c => c.Value).ToList();
        var statuses = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (status, count) in kinds.SelectMany(k => k.Statuses)) statuses[status] = statuses.GetValueOrDefault(status) + count;
        var refused = kinds.Sum(k => k.Refused);
        var withPushback = kinds.Sum(k => k.RefusedWithPushback);
        var completed = kinds.Sum(k => k.Calls);
        var sessionsOk = calls.Where(c => Enum.GetValues<CallKind>().Any(k => k.IsSession() && k.Name() == c.Key)).Sum(c => c.Value.Ok);
        return new LoadReport
        {
            Target = string.Join(",", options.Targets),
            Mode = options.OpenLoop ? "open-loop" : "closed-loop",
            Rate = options.Rate,
            Concurrency = options.OpenLoop ? null : options.Concurrency,
            Mix = options.Mix.ToString(),
            Frames = options.Frames,
            FrameIntervalMs = options.FrameInterval.TotalMilliseconds,
            Seed = options.Seed,
            DurationLimitSeconds = options.Duration.TotalSeconds,
            RequestLimit = options.Requests,
            Command = options.CommandLine,
            StartedUtc = started,
            Seconds = Math.Round(seconds, 3),
            Issued = issued,
            Completed = completed,
            CutOff = cutOff,
            Errors = completed - kinds.Sum(k => k.Ok),
            CallsPerSecond = seconds > 0 ? completed / seconds : 0,
            SessionsPerSecond = seconds > 0 ? sessionsOk / seconds : 0,
            Targets = scenario.Targets,
            Statuses = statuses,
            Refusals = new RefusalStats(refused, withPushback, refused - withPushback),
            Calls = calls,
            ClientErrors = clientErrors.Messages,
            Server = server,
            IssuedPerSecond = book.IssuedPerSecond,
            Windows = book.Windows(),
        };
    }
}
