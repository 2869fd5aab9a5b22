using System.Text.Json;
using FaceMatch.Api.V1;
using FaceMatch.Load;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace FaceMatch.Server.Tests.Load;

/// <summary>
/// facematch-load against `facematch serve` (real models, real vault) on ../shared's photos: a mixed open-loop run
/// through the command line, with every report file; and an overload run against a server with tiny admission
/// limits, which must shed the excess as RESOURCE_EXHAUSTED with the retry hint and nothing else, keep its queue
/// within its bound, and go on serving. No latency is asserted: the numbers are in the reports.
/// </summary>
public sealed class LoadScenarioTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string AdminToken = "fm_test_admin_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    private static async Task<ServeProcess> StartAsync(Dictionary<string, string> admission)
    {
        admission["FACEMATCH_ADMIN_TOKEN"] = AdminToken;
        var serve = ServeProcess.Start(admission);
        await serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(3));
        return serve;
    }

    [Fact]
    public async Task A_mixed_open_loop_run_writes_its_reports_with_every_kind_and_no_error()
    {
        // Queue bounds far above this gentle load, so that other work on a busy machine cannot turn it into refusals:
        // this test is about the load generator's run and reports; the overload test is about admission.
        await using var serve = await StartAsync(new()
        {
            [AdmissionOptions.MaxQueuedFramesVariable] = "256",
            [AdmissionOptions.CongestedFramesVariable] = "128",
        });
        var outDir = Directory.CreateTempSubdirectory("fm-load").FullName;
        try
        {
            var stdout = new StringWriter();
            var exit = await LoadCommand.InvokeAsync(
            [
                "--target", $"http://127.0.0.1:{serve.Port}", "--metrics", $"http://127.0.0.1:{serve.MetricsPort}/metrics",
                "--admin-token", AdminToken, "--photos", TestPaths.Faces, "--out", outDir,
                "--rate", "2", "--duration", "8", "--requests", "1000", "--drain", "120",
                "--mix", "enroll=1,authenticate=3,identify=2,compare=1", "--frames", "3", "--frame-interval-ms", "50", "--templates", "2",
                "--metrics-interval-ms", "250", "--no-progress",
            ], stdout).WaitAsync(TimeSpan.FromMinutes(5));

            output.WriteLine(stdout.ToString());
            Assert.Equal(0, exit);
            Assert.Contains("| rpc | calls | ok |", stdout.ToString());

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.JsonFile)));
            var report = json.RootElement;
            Assert.Equal("open-loop", report.GetProperty("mode").GetString());
            Assert.Equal(16, report.GetProperty("issued").GetInt64());
            Assert.Equal(16, report.GetProperty("completed").GetInt64());
            Assert.Equal(0, report.GetProperty("errors").GetInt64());
            Assert.Equal(0, report.GetProperty("cut_off").GetInt64());
            Assert.Equal(2, report.GetProperty("targets").GetInt32());
            var calls = report.GetProperty("calls");
            foreach (var kind in (string[])["enroll", "authenticate", "identify", "compare", "frame"])
            {
                var row = calls.GetProperty(kind);
                Assert.True(row.GetProperty("ok").GetInt64() > 0, kind);
                Assert.True(row.GetProperty("latency_ms").GetProperty("p99").GetDouble() > 0, kind);
            }
            // The server counted the same calls.
            var counters = report.GetProperty("server").GetProperty("counter_deltas");
            Assert.Equal(calls.GetProperty("authenticate").GetProperty("ok").GetInt64(),
                (long)counters.GetProperty("facematch_grpc_calls_total{method=\"facematch.v1.FaceMatch/Authenticate\",status=\"OK\"}").GetDouble());
            Assert.Contains("process_working_set_bytes", report.GetProperty("server").GetProperty("gauges").EnumerateObject().Select(p => p.Name));

            var markdown = await File.ReadAllTextAsync(Path.Combine(outDir, ReportWriter.MarkdownFile));
            Assert.Contains("| rpc | calls | ok | refused | other errors | ok/s | p50 | p90 | p99 | p99.9 | max |", markdown);
            foreach (var kind in (string[])["enroll", "authenticate", "identify", "compare", "frame"]) Assert.Contains($"\n| {kind} | ", markdown);
            Assert.DoesNotContain(AdminToken, markdown);
            Assert.DoesNotContain(AdminToken, json.RootElement.GetRawText());
            foreach (var plot in (string[])[ReportPlots.LatencyFile, ReportPlots.ThroughputFile])
            {
                var bytes = await File.ReadAllBytesAsync(Path.Combine(outDir, plot));
                Assert.True(bytes.Length > 1000, plot);
                Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
            }
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public async Task Overload_is_shed_as_RESOURCE_EXHAUSTED_with_the_retry_hint_while_the_queue_stays_bounded_and_the_server_serves()
    {
        const int maxQueued = 2;
        await using var serve = await StartAsync(new()
        {
            [AdmissionOptions.MaxConcurrentFramesVariable] = "1",
            [AdmissionOptions.MaxQueuedFramesVariable] = maxQueued.ToString(),
            [AdmissionOptions.CongestedFramesVariable] = "1",
        });

        // 25 calls/s of 3-frame sessions and Compares: several times what one frame at a time can analyse.
        var report = await LoadRun.RunAsync(new LoadOptions
        {
            Target = new Uri($"http://127.0.0.1:{serve.Port}"),
            MetricsUrl = new Uri($"http://127.0.0.1:{serve.MetricsPort}/metrics"),
            MetricsInterval = TimeSpan.FromMilliseconds(100),
            AdminToken = AdminToken,
            PhotosDirectory = TestPaths.Faces,
            Rate = 25,
            Duration = TimeSpan.FromSeconds(6),
            Requests = 10_000,
            Drain = TimeSpan.FromMinutes(2),
            Frames = 3,
            FrameInterval = TimeSpan.FromMilliseconds(20),
            Templates = 2,
        }).WaitAsync(TimeSpan.FromMinutes(5));
        output.WriteLine(ReportWriter.Markdown(report));

        Assert.Equal(150, report.Issued);
        Assert.Equal(150, report.Completed);
        Assert.Equal(0, report.CutOff);
        Assert.True(report.Refusals.Refused > 0, "nothing was refused");
        Assert.True(report.Statuses.GetValueOrDefault("OK") > 0, "nothing was admitted");
        Assert.Equal(0, report.Refusals.WithoutPushback);
        Assert.Equal(["OK", "RESOURCE_EXHAUSTED"], report.Statuses.Keys);
        Assert.Empty(report.ClientErrors);

        // The server's own account agrees: every refusal it counted reached a client, and its queue kept its bound.
        var server = report.Server!;
        Assert.Equal(report.Refusals.Refused, server.CounterTotal("facematch_admission_refused_total"));
        Assert.True(server.Gauges["facematch_analysis_queue_depth"].Peak <= maxQueued, $"queue depth peaked at {server.Gauges["facematch_analysis_queue_depth"].Peak}");
        Assert.True(server.Scrapes > 10);

        // And it goes on serving: health, and a whole session of a new tenant.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{serve.Port}");
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        var admin = new Admin.AdminClient(channel);
        var tenant = await admin.CreateTenantAsync(new CreateTenantRequest { Name = "after overload" }, ServiceFixture.As(AdminToken));
        await admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenant.TenantId, Policy = new Policy { Liveness = LivenessMode.Advisory } }, ServiceFixture.As(AdminToken));
        var token = (await admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenant.TenantId, Mode = TokenMode.Production }, ServiceFixture.As(AdminToken))).Token;
        var photo = await File.ReadAllBytesAsync(ServiceFixture.People(photos: 2)[0].Photos[0]);
        var session = await SessionDriver.RunAsync(new Api.V1.FaceMatch.FaceMatchClient(channel).Enroll(ServiceFixture.As(token)), new SessionStart(), [photo, photo]);
        Assert.Equal("", session.Result.Reason);
        Assert.True(session.Result.Enrolled);
    }
}
