using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FaceMatch.Load;

/// <summary>
/// The server's own account of a run, from its Prometheus endpoint: scraped before the run, every
/// <see cref="LoadOptions.MetricsInterval"/> during it (gauges are levels, so their peak can only be sampled), and
/// after. Reports the deltas of the facematch_* counters and of the process's CPU seconds, the count and sum deltas
/// of the facematch_* histograms, and each watched gauge's value before, after and highest sampled.
/// </summary>
public sealed class MetricsWatch : IAsyncDisposable
{
    /// <summary>Gauges outside facematch_* worth a peak: the server's memory and threads.</summary>
    private static readonly string[] ProcessGauges =
        ["process_working_set_bytes", "process_private_memory_bytes", "dotnet_total_memory_bytes", "process_num_threads"];

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, double> _peaks = new(StringComparer.Ordinal);
    private PrometheusText _before = null!;
    private Task _sampling = Task.CompletedTask;
    private int _samples, _failed;

    private MetricsWatch(Uri url, X509Certificate2Collection? roots)
    {
        _url = url;
        var handler = new SocketsHttpHandler();
        if (roots is { Count: > 0 }) handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => IssuedBy(roots, certificate, errors);
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <param name="roots">for an https endpoint whose certificate a private CA issued: trusted instead of the system's roots.</param>
    /// <exception cref="LoadSetupException">the endpoint did not answer.</exception>
    public static async Task<MetricsWatch> StartAsync(Uri url, TimeSpan interval, X509Certificate2Collection? roots, CancellationToken cancellationToken)
    {
        var watch = new MetricsWatch(url, roots);
        try
        {
            watch._before = await watch.ScrapeAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            watch._http.Dispose();
            throw new LoadSetupException($"--metrics {url}: {e.Message}");
        }
        watch._sampling = watch.SampleAsync(interval);
        return watch;
    }

    public async Task<ServerMetricsReport> StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _sampling;
        PrometheusText? after = null;
        // A call's client has its answer a moment before the server has counted the call (it records usage and logs
        // after its last message): wait, briefly, until no call is in flight on the server, so the deltas are whole.
        var until = DateTime.UtcNow + SettleTimeout;
        do
        {
            try { after = await ScrapeAsync(cancellationToken); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { _failed++; break; }
            if (InFlight(after) == 0) break;
            await Task.Delay(100, cancellationToken);
        }
        while (DateTime.UtcNow < until);
        return Report(_before, after ?? _before);
    }

    /// <summary>
    /// As the gRPC client trusts the same server (FaceMatch.Client): nothing wrong but the chain (the name is still
    /// checked), and the chain leads to one of <paramref name="roots"/>.
    /// </summary>
    private static bool IssuedBy(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(3);

    private static double InFlight(PrometheusText scrape) =>
        scrape.Samples.Where(s => PrometheusText.NameOf(s.Key) == "facematch_grpc_calls_in_flight").Sum(s => s.Value);

    private async Task SampleAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try { await ScrapeAsync(_stop.Token); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !_stop.IsCancellationRequested) { _failed++; }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task<PrometheusText> ScrapeAsync(CancellationToken cancellationToken)
    {
        var scrape = PrometheusText.Parse(await _http.GetStringAsync(_url, cancellationToken));
        lock (_peaks)
        {
            _samples++;
            foreach (var (series, value) in scrape.Samples)
                if (IsWatchedGauge(scrape, series) && (!_peaks.TryGetValue(series, out var peak) || value > peak)) _peaks[series] = value;
        }
        return scrape;
    }

    private static bool IsWatchedGauge(PrometheusText scrape, string series)
    {
        var (family, type) = scrape.FamilyOf(series);
        return type == "gauge" && (family.StartsWith("facematch_", StringComparison.Ordinal) || ProcessGauges.Contains(family));
    }

    private ServerMetricsReport Report(PrometheusText before, PrometheusText after)
    {
        double Before(string series) => before.Samples.GetValueOrDefault(series);
        var counters = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var histograms = new SortedDictionary<string, HistogramDelta>(StringComparer.Ordinal);
        var gauges = new SortedDictionary<string, GaugeRange>(StringComparer.Ordinal);
        foreach (var (series, value) in after.Samples)
        {
            var (family, type) = after.FamilyOf(series);
            var ours = family.StartsWith("facematch_", StringComparison.Ordinal);
            if (type == "counter" && (ours || family == "process_cpu_seconds_total"))
            {
                counters[series] = value - Before(series);
            }
            else if (type == "histogram" && ours && PrometheusText.NameOf(series).EndsWith("_count", StringComparison.Ordinal))
            {
                var sum = family + "_sum" + series[PrometheusText.NameOf(series).Length..];
                var count = value - Before(series);
                if (count == 0) continue;
                var seconds = after.Samples.GetValueOrDefault(sum) - Before(sum);
                histograms[family + series[PrometheusText.NameOf(series).Length..]] = new HistogramDelta(count, seconds, seconds / count);
            }
            else if (IsWatchedGauge(after, series))
            {
                lock (_peaks) gauges[series] = new GaugeRange(Before(series), value, _peaks.GetValueOrDefault(series, value));
            }
        }
        lock (_peaks) return new ServerMetricsReport(_url.ToString(), counters, histograms, gauges, _samples, _failed);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _http.Dispose();
        _stop.Dispose();
    }
}

/// <summary>A histogram's observations during the run: how many, their sum and mean (in its unit, seconds for latencies).</summary>
public sealed record HistogramDelta(double Count, double Sum, double Mean);

/// <summary>A gauge before and after the run, and the highest value any scrape saw.</summary>
public sealed record GaugeRange(double Before, double After, double Peak);

/// <summary>What the server's /metrics said about the run.</summary>
public sealed record ServerMetricsReport(
    string Url,
    IReadOnlyDictionary<string, double> CounterDeltas,
    IReadOnlyDictionary<string, HistogramDelta> Histograms,
    IReadOnlyDictionary<string, GaugeRange> Gauges,
    int Scrapes, int FailedScrapes)
{
    /// <summary>The sum of a counter's deltas over all its label sets.</summary>
    public double CounterTotal(string name) =>
        CounterDeltas.Where(c => PrometheusText.NameOf(c.Key) == name).Sum(c => c.Value);
}

/// <summary>A run could not be set up (no server, no tenant, no photos): nothing was measured.</summary>
public sealed class LoadSetupException(string message, Exception? inner = null) : Exception(message, inner);
