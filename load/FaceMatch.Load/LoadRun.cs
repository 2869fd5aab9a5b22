using System.Diagnostics;

namespace FaceMatch.Load;

/// <summary>
/// One load run: set up the scenario, issue calls until the count or the duration is spent (open loop at
/// <see cref="LoadOptions.Rate"/>, or closed loop at <see cref="LoadOptions.Concurrency"/>), let the calls in flight
/// finish within <see cref="LoadOptions.Drain"/> and cut off the rest, then report, with the server's /metrics
/// deltas when <see cref="LoadOptions.MetricsUrl"/> is set, and write the report files when
/// <see cref="LoadOptions.OutputDirectory"/> is.
/// </summary>
public static class LoadRun
{
    /// <exception cref="ArgumentException">the options are invalid.</exception>
    /// <exception cref="LoadSetupException">the run could not be set up.</exception>
    public static async Task<LoadReport> RunAsync(LoadOptions options, CancellationToken cancellationToken = default, LoadProgress? progress = null)
    {
        options.Validate();
        progress ??= new LoadProgress();
        progress.Phase = "setting up";
        var roots = options.CaCertificatePath is { } ca ? Client.FaceMatchClientOptions.LoadCaCertificates(ca) : null;
        // Validate() already held a remote target to --allow-remote, which is also what lets cleartext leave the machine.
        using var calls = new ScenarioCalls(options.Targets, options.CallTimeout, options.SessionTimeout, options.AllowRemote, roots);
        var scenario = await Scenario.PrepareAsync(calls, options, cancellationToken);
        LoadReport report;
        try
        {
            var watch = options.MetricsUrl is { } url ? await MetricsWatch.StartAsync(url, options.MetricsInterval, roots, cancellationToken) : null;
            await using var _ = watch;
            report = await MeasureAsync(options, scenario, watch, progress, cancellationToken);
        }
        finally
        {
            progress.Phase = "tearing down";
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await scenario.TearDownAsync(bounded.Token);
        }
        if (options.OutputDirectory is { } directory)
        {
            progress.Phase = "writing reports";
            await ReportWriter.WriteAsync(report, directory);
        }
        progress.Phase = "done";
        return report;
    }

    private static async Task<LoadReport> MeasureAsync(LoadOptions options, Scenario scenario, MetricsWatch? watch, LoadProgress progress,
        CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var t0 = Stopwatch.GetTimestamp();
        var book = new LatencyBook(t0);
        var inFlight = new InFlight();
        var clientErrors = new ClientErrors();
        using var stopIssuing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stopIssuing.CancelAfter(options.Duration);
        using var cutOff = new CancellationTokenSource();
        long cutOffCalls = 0;
        progress.Start(book, t0, options);

        async Task CallAsync(long index, long intended, SemaphoreSlim? slot)
        {
            var kind = Scenario.KindOf(options, index);
            try
            {
                book.Record(kind, intended, await scenario.RunAsync(index, kind, book, cutOff.Token));
            }
            catch (OperationCanceledException) when (cutOff.IsCancellationRequested)
            {
                Interlocked.Increment(ref cutOffCalls);
            }
            catch (Exception e)
            {
                // Not a status from the server: the client itself failed. Counted as an error, with its first message kept.
                clientErrors.Add(e);
                book.Record(kind, intended, new CallOutcome(ClientErrors.Status));
            }
            finally
            {
                slot?.Release();
                inFlight.Done();
            }
        }

        void Issue(long index, long intended, SemaphoreSlim? slot)
        {
            inFlight.Add();
            book.Issued(intended);
            progress.Issued = index + 1;
            // Off the scheduler's thread, so that preparing one call never delays the next one's start.
            _ = Task.Run(() => CallAsync(index, intended, slot));
        }

        progress.Phase = "running";
        if (options.Rate is { } rate) await OpenLoopAsync(options, rate, t0, Issue, stopIssuing.Token);
        else await ClosedLoopAsync(options, Issue, stopIssuing.Token);

        progress.Phase = "draining";
        var all = inFlight.CloseAsync();
        if (await Task.WhenAny(all, Task.Delay(options.Drain, CancellationToken.None)) != all) await cutOff.CancelAsync();
        await all;
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var server = watch is null ? null : await watch.StopAsync(CancellationToken.None);
        return LoadReport.From(options, scenario, book, started, seconds, progress.Issued, Interlocked.Read(ref cutOffCalls), clientErrors, server);
    }

    /// <summary>
    /// Call i is due at t0 + i / rate, whatever the calls before it are doing; a call issued late (the scheduler
    /// itself held up) still counts its latency from when it was due.
    /// </summary>
    private static async Task OpenLoopAsync(LoadOptions options, double rate, long t0, Action<long, long, SemaphoreSlim?> issue, CancellationToken stop)
    {
        var duration = (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        for (long i = 0; i < options.Requests && !stop.IsCancellationRequested; i++)
        {
            var due = t0 + (long)(i * Stopwatch.Frequency / rate);
            if (due - t0 >= duration) break;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, stop); }
                catch (OperationCanceledException) { break; }
            }
            issue(i, due, null);
        }
    }

    /// <summary><see cref="LoadOptions.Concurrency"/> calls in flight; the next starts when one ends, its latency from then.</summary>
    private static async Task ClosedLoopAsync(LoadOptions options, Action<long, long, SemaphoreSlim?> issue, CancellationToken stop)
    {
        var slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        for (long i = 0; i < options.Requests; i++)
        {
            try { await slots.WaitAsync(stop); }
            catch (OperationCanceledException) { break; }
            issue(i, Stopwatch.GetTimestamp(), slots);
        }
    }

    /// <summary>Counts the calls in flight; <see cref="CloseAsync"/> completes once issuing is over and every call has ended.</summary>
    private sealed class InFlight
    {
        private readonly TaskCompletionSource _none = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count = 1;

        public void Add() => Interlocked.Increment(ref _count);

        public void Done()
        {
            if (Interlocked.Decrement(ref _count) == 0) _none.TrySetResult();
        }

        public Task CloseAsync()
        {
            Done();
            return _none.Task;
        }
    }
}

/// <summary>Failures of the client itself (not a status from the server): how many, and the first few messages.</summary>
public sealed class ClientErrors
{
    public const string Status = "CLIENT_ERROR";
    private readonly List<string> _messages = [];

    public void Add(Exception e)
    {
        lock (_messages)
            if (_messages.Count < 5) _messages.Add($"{e.GetType().Name}: {e.Message}");
    }

    public IReadOnlyList<string> Messages
    {
        get { lock (_messages) return [.. _messages]; }
    }
}

/// <summary>A run's live counters, for a progress display; written by the run, read by anyone.</summary>
public sealed class LoadProgress
{
    private LatencyBook? _book;
    private long _t0;
    private LoadOptions? _options;

    private volatile string _phase = "starting";
    private long _issued;

    /// <summary>setting up, running, draining, tearing down, writing reports, done.</summary>
    public string Phase { get => _phase; internal set => _phase = value; }

    public long Issued { get => Interlocked.Read(ref _issued); internal set => Interlocked.Exchange(ref _issued, value); }
    public long Completed => _book?.Completed ?? 0;
    public long Refused => _book?.Refused ?? 0;
    public long Errors => _book?.Errors ?? 0;
    public TimeSpan Elapsed => _book is null ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_t0);

    /// <summary>How far issuing is, 0..1: by time or by count, whichever is nearer its bound.</summary>
    public double Fraction => _options is null ? 0
        : Math.Clamp(Math.Max(Elapsed / _options.Duration, (double)Issued / _options.Requests), 0, 1);

    internal void Start(LatencyBook book, long t0, LoadOptions options)
    {
        _t0 = t0;
        _options = options;
        _book = book;
    }
}
