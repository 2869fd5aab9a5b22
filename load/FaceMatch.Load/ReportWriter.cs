using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceMatch.Load;

/// <summary>Writes a run's report into a folder: report.json, report.md and the two plots (latency.png, throughput.png).</summary>
public static class ReportWriter
{
    public const string JsonFile = "report.json";
    public const string MarkdownFile = "report.md";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task WriteAsync(LoadReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, JsonFile), JsonSerializer.Serialize(report, Json));
        await File.WriteAllTextAsync(Path.Combine(directory, MarkdownFile), Markdown(report));
        ReportPlots.Write(report, directory);
    }

    public static string Markdown(LoadReport r)
    {
        var md = new StringBuilder();
        var shape = r.Rate is { } rate ? $"open loop at {N(rate)} calls/s" : $"closed loop, {r.Concurrency} calls in flight";
        md.AppendLine("# facematch-load report").AppendLine()
            .AppendLine($"- target {r.Target}, {shape}, mix `{r.Mix}`, sessions of {r.Frames} frames every {N(r.FrameIntervalMs)} ms, seed {r.Seed}")
            .AppendLine($"- bounds: {r.RequestLimit} calls, {N(r.DurationLimitSeconds)} s; started {r.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC, ran {N(r.Seconds)} s")
            .AppendLine($"- issued {r.Issued}, completed {r.Completed}, cut off at the end {r.CutOff}; {N(r.CallsPerSecond)} calls/s, **{N(r.SessionsPerSecond)} sessions/s** ended OK")
            .AppendLine($"- refused RESOURCE_EXHAUSTED: {r.Refusals.Refused} ({r.Refusals.WithPushback} with the grpc-retry-pushback-ms hint, {r.Refusals.WithoutPushback} without); other errors: {r.Errors - r.Refusals.Refused}");
        if (r.Command is { } command) md.AppendLine($"- command: `{command}`");
        md.AppendLine().AppendLine("## Calls").AppendLine()
            .AppendLine("Latency of the calls that succeeded, in ms, from each call's intended start (open loop: its slot in the schedule) to its end; `frame` is every session frame from its send to its feedback.")
            .AppendLine()
            .AppendLine("| rpc | calls | ok | refused | other errors | ok/s | p50 | p90 | p99 | p99.9 | max |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, c) in r.Calls)
        {
            var l = c.LatencyMs;
            md.AppendLine($"| {name} | {c.Calls} | {c.Ok} | {c.Refused} | {c.OtherErrors} | {N(c.OkPerSecond)} | {N(l.P50)} | {N(l.P90)} | {N(l.P99)} | {N(l.P999)} | {N(l.Max)} |");
        }
        if (r.Calls.Any(c => c.Value.RefusedLatencyMs is not null))
        {
            md.AppendLine().AppendLine("How fast the excess was refused (ms):").AppendLine()
                .AppendLine("| rpc | refused | with retry hint | p50 | p99 | max |").AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (name, c) in r.Calls.Where(c => c.Value.RefusedLatencyMs is not null))
                md.AppendLine($"| {name} | {c.Refused} | {c.RefusedWithPushback} | {N(c.RefusedLatencyMs!.P50)} | {N(c.RefusedLatencyMs.P99)} | {N(c.RefusedLatencyMs.Max)} |");
        }
        md.AppendLine().AppendLine("## Statuses").AppendLine().AppendLine("| status | calls |").AppendLine("| --- | ---: |");
        foreach (var (status, count) in r.Statuses) md.AppendLine($"| {status} | {count} |");
        var outcomes = r.Calls.Where(c => c.Value.Outcomes is not null).ToList();
        if (outcomes.Count > 0)
        {
            md.AppendLine().AppendLine("Sessions that ended OK, by their result's reason (`ok`: none):").AppendLine();
            foreach (var (name, c) in outcomes) md.AppendLine($"- {name}: {string.Join(", ", c.Outcomes!.Select(o => $"{o.Key} {o.Value}"))}");
        }
        if (r.ClientErrors.Count > 0)
        {
            md.AppendLine().AppendLine("Client-side failures (first ones):").AppendLine();
            foreach (var message in r.ClientErrors) md.AppendLine($"- {message}");
        }
        if (r.Server is { } s) AppendServer(md, s);
        md.AppendLine().AppendLine("Plots: [latency.png](latency.png), [throughput.png](throughput.png).");
        return md.ToString();
    }

    private static void AppendServer(StringBuilder md, ServerMetricsReport s)
    {
        md.AppendLine().AppendLine("## The server's /metrics over the run").AppendLine()
            .AppendLine($"{s.Scrapes} scrapes of {s.Url} ({s.FailedScrapes} failed). Gauge peaks are the highest value a scrape saw.").AppendLine()
            .AppendLine("| counter | delta |").AppendLine("| --- | ---: |");
        foreach (var (series, delta) in s.CounterDeltas.Where(c => c.Value != 0)) md.AppendLine($"| `{series}` | {N(delta)} |");
        if (s.Histograms.Count > 0)
        {
            md.AppendLine().AppendLine("| histogram | observations | mean |").AppendLine("| --- | ---: | ---: |");
            foreach (var (series, h) in s.Histograms) md.AppendLine($"| `{series}` | {N(h.Count)} | {N(h.Mean)} |");
        }
        md.AppendLine().AppendLine("| gauge | before | after | peak |").AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var (series, g) in s.Gauges)
        {
            var bytes = PrometheusText.NameOf(series).EndsWith("_bytes", StringComparison.Ordinal);
            string V(double v) => bytes ? $"{N(v / (1 << 20))} MiB" : N(v);
            md.AppendLine($"| `{series}` | {V(g.Before)} | {V(g.After)} | {V(g.Peak)} |");
        }
    }

    /// <summary>A number for a table: whole when large, three significant decimals when small.</summary>
    internal static string N(double v) => v switch
    {
        double.NaN => "NaN",
        _ when Math.Abs(v) >= 100 || v == Math.Floor(v) => v.ToString("0", CultureInfo.InvariantCulture),
        _ when Math.Abs(v) >= 1 => v.ToString("0.0#", CultureInfo.InvariantCulture),
        _ => v.ToString("0.###", CultureInfo.InvariantCulture),
    };
}
