using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace FaceMatch.Load;

/// <summary>
/// <c>facematch-load</c>'s command line. Exit codes: 0 the run completed (its errors are in the report), 1 it could
/// not be set up, 2 bad arguments. With <c>--out DIR</c> the reports go there and the Markdown summary to stdout;
/// without, the JSON report goes to stdout. A progress bar (Spectre.Console) shows while stdout is a terminal.
/// </summary>
public static class LoadCommand
{
    public const string AdminTokenVariable = "FACEMATCH_ADMIN_TOKEN";
    public const string TokenVariable = "FACEMATCH_TOKEN";

    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        var port = Environment.GetEnvironmentVariable("FACEMATCH_PORT") is { Length: > 0 } p ? p : "50051";
        var target = new Option<string>("--target") { Description = "Server address; several, comma-separated (replicas of one deployment), take the calls round robin", DefaultValueFactory = _ => $"http://127.0.0.1:{port}" };
        var rate = new Option<double?>("--rate") { Description = "Open loop: calls issued per second, whatever the server does (latency from each call's intended start)" };
        var concurrency = new Option<int?>("--concurrency") { Description = "Closed loop: calls in flight (default 16 when --rate is not given)" };
        var requests = new Option<int>("--requests") { Description = "Most calls issued", DefaultValueFactory = _ => 10_000 };
        var duration = new Option<double>("--duration") { Description = "Seconds of issuing calls", DefaultValueFactory = _ => 30 };
        var drain = new Option<double>("--drain") { Description = "Seconds the calls in flight then get to finish before they are cut off", DefaultValueFactory = _ => 15 };
        var mix = new Option<string>("--mix") { Description = "Weights of the call kinds: enroll, authenticate, identify, compare, health", DefaultValueFactory = _ => CallMix.Default.ToString() };
        var photos = new Option<string?>("--photos") { Description = "Folder of photos (one sub-folder per person, or files); needed unless the mix is health only" };
        var frames = new Option<int>("--frames") { Description = "Frames per session", DefaultValueFactory = _ => 5 };
        var frameInterval = new Option<double>("--frame-interval-ms") { Description = "Milliseconds between a session's frames", DefaultValueFactory = _ => 100 };
        var templates = new Option<int>("--templates") { Description = "Templates enrolled before the run (Authenticate's targets, Identify's gallery)", DefaultValueFactory = _ => 4 };
        var adminToken = new Option<string?>("--admin-token") { Description = $"The operator's token, to create the run's tenant (default: ${AdminTokenVariable}, else <FACEMATCH_DATA>/admin.token)" };
        var token = new Option<string?>("--token") { Description = "Use this tenant token's tenant instead of creating one (default: $FACEMATCH_TOKEN); the run erases what it enrolled there" };
        var keepData = new Option<bool>("--keep-data") { Description = "Keep the run's tenant (with --token: the templates it enrolled) instead of deleting it at the end" };
        var caCert = new Option<string?>("--ca-cert") { Description = "PEM file of the private CA of an https target (and of its /metrics)" };
        var metrics = new Option<string?>("--metrics") { Description = "The server's Prometheus endpoint, e.g. http://127.0.0.1:9464/metrics: its deltas go into the report" };
        var metricsInterval = new Option<int>("--metrics-interval-ms") { Description = "How often /metrics is sampled during the run (gauge peaks)", DefaultValueFactory = _ => 1000 };
        var outDir = new Option<string?>("--out") { Description = "Folder for report.json, report.md, latency.png and throughput.png" };
        var seed = new Option<int>("--seed") { Description = "Seeds each call's kind and photos", DefaultValueFactory = _ => 1 };
        var callTimeout = new Option<double>("--call-timeout") { Description = "Seconds a unary call may take", DefaultValueFactory = _ => 10 };
        var sessionTimeout = new Option<double>("--session-timeout") { Description = "Seconds a session may take", DefaultValueFactory = _ => 60 };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a target that is not on this machine" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress bar (there is none anyway when stdout is not a terminal)" };

        var root = new RootCommand("facematch-load: replays SDK-like sessions and Compare calls against a FaceMatch server, open or closed loop, and reports latency, throughput, statuses and the server's own metrics.")
        {
            target, rate, concurrency, requests, duration, drain, mix, photos, frames, frameInterval, templates, adminToken, token, keepData, caCert,
            metrics, metricsInterval, outDir, seed, callTimeout, sessionTimeout, allowRemote, noProgress,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            LoadOptions options;
            try
            {
                if (parse.GetValue(rate) is not null && parse.GetValue(concurrency) is not null)
                    throw new ArgumentException("--rate (open loop) and --concurrency (closed loop) exclude each other");
                var callMix = CallMix.Parse(parse.GetValue(mix)!);
                var tenantToken = parse.GetValue(token) ?? (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } t ? t.Trim() : null);
                options = new LoadOptions
                {
                    Target = ParseTargets(parse.GetValue(target)!)[0],
                    Targets = ParseTargets(parse.GetValue(target)!),
                    Rate = parse.GetValue(rate),
                    Concurrency = parse.GetValue(concurrency) ?? 16,
                    Requests = parse.GetValue(requests),
                    Duration = Seconds(parse.GetValue(duration), "--duration"),
                    Drain = Seconds(parse.GetValue(drain), "--drain"),
                    Mix = callMix,
                    PhotosDirectory = parse.GetValue(photos),
                    Frames = parse.GetValue(frames),
                    FrameInterval = TimeSpan.FromMilliseconds(parse.GetValue(frameInterval)),
                    Templates = parse.GetValue(templates),
                    Token = tenantToken,
                    AdminToken = callMix.NeedsTenant && tenantToken is null ? parse.GetValue(adminToken) ?? AdminTokenFromEnvironment() : null,
                    KeepData = parse.GetValue(keepData),
                    CaCertificatePath = parse.GetValue(caCert),
                    MetricsUrl = parse.GetValue(metrics) is { } m ? ParseUri(m, "--metrics") : null,
                    MetricsInterval = TimeSpan.FromMilliseconds(parse.GetValue(metricsInterval)),
                    OutputDirectory = parse.GetValue(outDir),
                    Seed = parse.GetValue(seed),
                    CallTimeout = Seconds(parse.GetValue(callTimeout), "--call-timeout"),
                    SessionTimeout = Seconds(parse.GetValue(sessionTimeout), "--session-timeout"),
                    AllowRemote = parse.GetValue(allowRemote),
                    CommandLine = "facematch-load " + string.Join(' ', Redacted(args)),
                };
                options.Validate();
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"facematch-load: {e.Message}");
                return 2;
            }

            try
            {
                var progress = new LoadProgress();
                var run = LoadRun.RunAsync(options, cancellationToken, progress);
                if (!parse.GetValue(noProgress) && output == Console.Out && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
                    await ShowProgressAsync(run, progress);
                var report = await run;
                if (options.OutputDirectory is { } dir)
                {
                    await output.WriteAsync(ReportWriter.Markdown(report));
                    await output.WriteLineAsync($"\nreports: {Path.GetFullPath(dir)}");
                }
                else
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(report, ReportWriter.Json));
                }
                return 0;
            }
            catch (LoadSetupException e)
            {
                await Console.Error.WriteLineAsync($"facematch-load: {e.Message}");
                return 1;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"facematch-load: {e.Message}");
                return 2;
            }
        });
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output }, cancellationToken);
    }

    private static async Task ShowProgressAsync(Task run, LoadProgress progress)
    {
        await AnsiConsole.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: 1);
                while (!run.IsCompleted)
                {
                    task.Value = progress.Fraction;
                    task.Description = Markup.Escape(
                        $"{progress.Phase}: issued {progress.Issued}, done {progress.Completed}, refused {progress.Refused}, other errors {progress.Errors}");
                    await Task.WhenAny(run, Task.Delay(250));
                }
                task.Value = 1;
            });
    }

    /// <summary>FACEMATCH_ADMIN_TOKEN, else the token file the server wrote into its data directory (as `facematch admin` reads it).</summary>
    private static string? AdminTokenFromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(AdminTokenVariable) is { Length: > 0 } fromEnvironment) return fromEnvironment.Trim();
        var data = Environment.GetEnvironmentVariable("FACEMATCH_DATA") is { Length: > 0 } d ? d : Path.GetFullPath("data");
        var path = Path.Combine(data, "admin.token");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>The arguments as given, the tokens' values replaced: the command goes into the reports.</summary>
    private static IEnumerable<string> Redacted(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--admin-token" or "--token" && i + 1 < args.Length) { yield return args[i] + " …"; i++; }
            else if (args[i].StartsWith("--admin-token=", StringComparison.Ordinal) || args[i].StartsWith("--token=", StringComparison.Ordinal))
                yield return args[i][..(args[i].IndexOf('=') + 1)] + "…";
            else yield return args[i];
        }
    }

    private static IReadOnlyList<Uri> ParseTargets(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } parts
            ? parts.Select(t => ParseUri(t, "--target")).ToList()
            : throw new ArgumentException("--target must name at least one server");

    private static Uri ParseUri(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : throw new ArgumentException($"{option} must be an absolute URI like http://127.0.0.1:50051");

    private static TimeSpan Seconds(double value, string option) =>
        double.IsFinite(value) && value >= 0 && value <= 86_400 ? TimeSpan.FromSeconds(value) : throw new ArgumentException($"{option} must be 0..86400 seconds");
}
