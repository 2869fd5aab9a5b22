using System.Diagnostics;
using FaceMatch.Client;
using Grpc.Core;

namespace FaceMatch.Load;

/// <summary>The outcome of a run: counts, rate, latency percentiles and the statuses seen.</summary>
public sealed record LoadReport(
    int Requests, int Errors, double Seconds, double RequestsPerSecond,
    double P50Ms, double P90Ms, double P99Ms, double MaxMs, IReadOnlyDictionary<string, int> Statuses);

/// <summary>
/// Keeps <see cref="LoadOptions.Concurrency"/> unary calls (<see cref="LoadOptions.Call"/>) in flight until the
/// request budget or the duration is spent, through one <see cref="FaceMatchClient"/> (whose channel opens more
/// HTTP/2 connections as streams saturate, as a fleet of phones would). Retries are off: each call counts with the
/// status the server gave it.
/// </summary>
public static class LoadRun
{
    public static async Task<LoadReport> RunAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        using var client = new FaceMatchClient(new FaceMatchClientOptions
        {
            Address = options.Target,
            Token = options.Token,
            CallTimeout = options.CallTimeout,
            // Validate() already held a remote target to --allow-remote.
            AllowPlaintext = options.AllowRemote,
            CaCertificates = options.CaCertificatePath is { } ca ? FaceMatchClientOptions.LoadCaCertificates(ca) : null,
            Retry = new FaceMatchRetryOptions { MaxAttempts = 1 },
        });
        Func<CancellationToken, Task> call = options.Call switch
        {
            LoadCall.Compare => ct => client.CompareAsync(options.CompareImages!.Value.A, options.CompareImages!.Value.B, ct),
            _ => ct => client.IsServingAsync(ct),
        };
        var latencies = new double[options.Requests];
        var statuses = new Dictionary<string, int>();
        var issued = -1;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Duration);
        var clock = Stopwatch.StartNew();

        async Task Worker()
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref issued);
                if (i >= options.Requests) return;
                var started = Stopwatch.GetTimestamp();
                string outcome;
                try
                {
                    await call(stop.Token);
                    outcome = nameof(StatusCode.OK);
                }
                catch (Exception e) when (stop.IsCancellationRequested
                    && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
                {
                    // Cut off by the duration: not a completed call.
                    return;
                }
                catch (RpcException e)
                {
                    outcome = e.StatusCode.ToString();
                }
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (statuses) statuses[outcome] = statuses.GetValueOrDefault(outcome) + 1;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(Worker)));
        var seconds = clock.Elapsed.TotalSeconds;
        // Calls that never completed left their slot at 0.
        var done = latencies.Where(l => l > 0).Order().ToArray();
        double Percentile(double p) => done.Length == 0 ? 0 : done[Math.Min(done.Length - 1, (int)Math.Ceiling(p * done.Length) - 1)];
        var completed = statuses.Values.Sum();
        return new LoadReport(completed, completed - statuses.GetValueOrDefault(nameof(StatusCode.OK)), seconds, completed / seconds,
            Percentile(0.50), Percentile(0.90), Percentile(0.99), done.Length == 0 ? 0 : done[^1], statuses);
    }
}
