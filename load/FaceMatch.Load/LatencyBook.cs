using System.Diagnostics;
using HdrHistogram;

namespace FaceMatch.Load;

/// <summary>
/// Every completed call of a run: latency in HdrHistogram (microseconds, 3 significant digits) for the calls that
/// succeeded and, apart, for the ones refused RESOURCE_EXHAUSTED (how fast the excess is shed); statuses; whether
/// each refusal carried the retry hint; session outcomes; and one point per second and kind for the plots (each
/// second's own histogram is summarised and reset, so a long run keeps a few numbers a second, not every sample).
/// Latency is from the call's intended start to its end. Thread-safe.
/// </summary>
public sealed class LatencyBook(long startTimestamp)
{
    /// <summary>The name under which the frames of every session are recorded (send to feedback).</summary>
    public const string FrameRow = "frame";

    private readonly object _gate = new();
    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);
    private readonly List<long> _issuedPerSecond = [];
    private long _completed, _refused, _errors;

    public long Completed => Interlocked.Read(ref _completed);
    public long Refused => Interlocked.Read(ref _refused);
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Counts a call issued at <paramref name="intendedTimestamp"/> (its second of the run).</summary>
    public void Issued(long intendedTimestamp)
    {
        var second = SecondOf(intendedTimestamp);
        lock (_gate)
        {
            while (_issuedPerSecond.Count <= second) _issuedPerSecond.Add(0);
            _issuedPerSecond[second]++;
        }
    }

    /// <summary>Records a call that ended now.</summary>
    public void Record(CallKind kind, long intendedTimestamp, CallOutcome outcome)
    {
        var now = Stopwatch.GetTimestamp();
        var latency = Stopwatch.GetElapsedTime(intendedTimestamp, now);
        Interlocked.Increment(ref _completed);
        if (outcome.Status == CallOutcome.ResourceExhausted) Interlocked.Increment(ref _refused);
        else if (!outcome.Ok) Interlocked.Increment(ref _errors);
        lock (_gate) RowOf(kind.Name()).Add(SecondOf(now), latency, outcome);
    }

    /// <summary>Records one session frame: from its send to its feedback.</summary>
    public void RecordFrame(TimeSpan latency)
    {
        var second = SecondOf(Stopwatch.GetTimestamp());
        lock (_gate) RowOf(FrameRow).Add(second, latency, new CallOutcome(CallOutcome.OkStatus));
    }

    public IReadOnlyList<long> IssuedPerSecond
    {
        get { lock (_gate) return [.. _issuedPerSecond]; }
    }

    /// <summary>Each row's totals over <paramref name="seconds"/>, in the order of <see cref="CallKind"/>, frames last.</summary>
    public IReadOnlyDictionary<string, CallStats> Summarise(double seconds)
    {
        lock (_gate)
            return _rows.OrderBy(r => Order(r.Key)).ToDictionary(r => r.Key, r => r.Value.Summarise(seconds));
    }

    /// <summary>The per-second points of every row, the seconds still open included.</summary>
    public IReadOnlyList<WindowPoint> Windows()
    {
        lock (_gate)
            return [.. _rows.OrderBy(r => Order(r.Key)).SelectMany(r => r.Value.Points(r.Key)).OrderBy(p => p.Second)];
    }

    private static int Order(string row) =>
        Enum.GetValues<CallKind>().Select(CallKinds.Name).ToList().IndexOf(row) is var i and >= 0 ? i : int.MaxValue;

    private int SecondOf(long timestamp) => (int)Math.Max(0, Stopwatch.GetElapsedTime(startTimestamp, timestamp).TotalSeconds);

    private Row RowOf(string name) => _rows.TryGetValue(name, out var row) ? row : _rows[name] = new Row();

    /// <summary>One kind's numbers.</summary>
    private sealed class Row
    {
        // An hour in microseconds: longer than any call a run lets live.
        private const long HighestMicros = 3_600_000_000;
        private readonly LongHistogram _ok = new(HighestMicros, 3);
        private readonly LongHistogram _refused = new(HighestMicros, 3);
        private readonly LongHistogram _windowOk = new(HighestMicros, 3);
        private readonly Dictionary<string, long> _statuses = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _outcomes = new(StringComparer.Ordinal);
        private readonly List<WindowPoint> _points = [];
        private long _withPushback;
        private int _windowSecond = -1;
        private long _windowRefused, _windowErrors;

        public void Add(int second, TimeSpan latency, CallOutcome outcome)
        {
            if (second != _windowSecond) Close(second);
            var micros = Math.Clamp((long)latency.TotalMicroseconds, 1, HighestMicros);
            _statuses[outcome.Status] = _statuses.GetValueOrDefault(outcome.Status) + 1;
            if (outcome.Ok)
            {
                _ok.RecordValue(micros);
                _windowOk.RecordValue(micros);
                if (outcome.SessionReason is { } reason)
                {
                    var name = reason.Length == 0 ? "ok" : reason;
                    _outcomes[name] = _outcomes.GetValueOrDefault(name) + 1;
                }
            }
            else if (outcome.Status == CallOutcome.ResourceExhausted)
            {
                _refused.RecordValue(micros);
                _windowRefused++;
                if (outcome.Pushback) _withPushback++;
            }
            else
            {
                _windowErrors++;
            }
        }

        public CallStats Summarise(double seconds)
        {
            var calls = _statuses.Values.Sum();
            return new CallStats(
                Calls: calls,
                Ok: _ok.TotalCount,
                Refused: _refused.TotalCount,
                RefusedWithPushback: _withPushback,
                OtherErrors: calls - _ok.TotalCount - _refused.TotalCount,
                OkPerSecond: seconds > 0 ? _ok.TotalCount / seconds : 0,
                LatencyMs: LatencySummary.Of(_ok),
                RefusedLatencyMs: _refused.TotalCount > 0 ? LatencySummary.Of(_refused) : null,
                Statuses: new SortedDictionary<string, long>(_statuses, StringComparer.Ordinal),
                Outcomes: _outcomes.Count > 0 ? new SortedDictionary<string, long>(_outcomes, StringComparer.Ordinal) : null);
        }

        public IEnumerable<WindowPoint> Points(string name) =>
            _points.Select(p => p with { Call = name }).Concat(Open() is { } open ? [open with { Call = name }] : []);

        private void Close(int next)
        {
            if (Open() is { } point) _points.Add(point);
            _windowOk.Reset();
            _windowRefused = _windowErrors = 0;
            _windowSecond = next;
        }

        private WindowPoint? Open() =>
            _windowSecond < 0 || _windowOk.TotalCount + _windowRefused + _windowErrors == 0 ? null
                : new WindowPoint(_windowSecond, "", _windowOk.TotalCount, _windowRefused, _windowErrors,
                    Ms(_windowOk, 50), Ms(_windowOk, 90), Ms(_windowOk, 99), _windowOk.TotalCount > 0 ? _windowOk.GetMaxValue() / 1000.0 : 0);

        private static double Ms(LongHistogram h, double percentile) => h.TotalCount > 0 ? h.GetValueAtPercentile(percentile) / 1000.0 : 0;
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max, double Mean)
{
    internal static LatencySummary Of(LongHistogram h) => h.TotalCount == 0
        ? new LatencySummary(0, 0, 0, 0, 0, 0, 0)
        : new LatencySummary(h.TotalCount, At(h, 50), At(h, 90), At(h, 99), At(h, 99.9), h.GetMaxValue() / 1000.0, Math.Round(h.GetMean() / 1000.0, 3));

    private static double At(LongHistogram h, double percentile) => h.GetValueAtPercentile(percentile) / 1000.0;
}

/// <summary>One kind of call over a run. Latencies are of the calls that succeeded; refusals have their own.</summary>
public sealed record CallStats(
    long Calls, long Ok, long Refused, long RefusedWithPushback, long OtherErrors, double OkPerSecond,
    LatencySummary LatencyMs, LatencySummary? RefusedLatencyMs,
    IReadOnlyDictionary<string, long> Statuses, IReadOnlyDictionary<string, long>? Outcomes);

/// <summary>One second of one kind: completions by outcome and the latency of those that succeeded (ms).</summary>
public sealed record WindowPoint(int Second, string Call, long Ok, long Refused, long Errors, double P50Ms, double P90Ms, double P99Ms, double MaxMs);
