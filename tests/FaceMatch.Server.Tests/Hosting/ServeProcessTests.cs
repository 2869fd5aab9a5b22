using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>`facematch serve` as a process (needs `make build`, and `make models` for the model manifest).</summary>
public sealed class ServeProcessTests
{
    [Fact]
    public async Task Serve_loads_the_models_then_answers_serving_and_stops_cleanly_on_sigterm()
    {
        await using var serve = ServeProcess.Start();
        await serve.WaitForLineAsync($"gRPC on port {serve.Port}", TimeSpan.FromMinutes(2));
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{serve.Port}"));
        var health = new Health.HealthClient(channel);
        using var watch = health.Watch(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddMinutes(3));
        var seen = new List<ServingStatus>();
        while ((seen.Count == 0 || seen[^1] != ServingStatus.Serving) && await watch.ResponseStream.MoveNext())
            seen.Add(watch.ResponseStream.Current.Status);
        Assert.Equal(ServingStatus.Serving, seen[^1]);
        Assert.All(seen[..^1], s => Assert.Equal(ServingStatus.NotServing, s));

        // The manifest's default embedder was loaded before SERVING, and nothing failed on the way.
        var manifest = FaceMatch.Models.Manifest.ModelManifest.Load(TestPaths.ManifestPath);
        var embedder = manifest.ForRole(FaceMatch.Models.Manifest.ModelRole.Embedder)!;
        Assert.Contains(serve.Lines, l => l.StartsWith($"facematch: models loaded: embedder {embedder.Id}"));
        Assert.DoesNotContain(serve.Lines, l => l.StartsWith("fail:"));

        await serve.SignalAsync("TERM");
        var exit = await serve.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"exit {exit}: {await serve.Stderr}");
        Assert.Contains("facematch: stopped", serve.Lines);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public async Task A_non_loopback_bind_without_tls_or_the_opt_in_refuses_to_start(string bind)
    {
        await using var serve = ServeProcess.Start(new Dictionary<string, string> { ["FACEMATCH_BIND"] = bind });
        var exit = await serve.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(2, exit);
        var stderr = await serve.Stderr;
        Assert.Contains($"FACEMATCH_BIND={bind} is not a loopback address", stderr);
        Assert.Contains("FACEMATCH_TLS_CERT", stderr);
        Assert.Contains("FACEMATCH_ALLOW_PLAINTEXT=true", stderr);
        Assert.DoesNotContain(serve.Lines, l => l.Contains("gRPC on port"));
    }

    [Fact]
    public async Task The_plaintext_opt_in_serves_off_loopback_with_a_warning()
    {
        // 127.0.0.1 is still where the test connects; binding every interface is what needs the opt-in.
        await using var serve = ServeProcess.Start(new Dictionary<string, string> { ["FACEMATCH_BIND"] = "0.0.0.0", ["FACEMATCH_ALLOW_PLAINTEXT"] = "true" });
        await serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(2));
        Assert.Contains(serve.Lines, l => l.Contains("serving cleartext gRPC and metrics on 0.0.0.0"));
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{serve.Port}"));
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        Assert.Equal(ServingStatus.Serving, reply.Status);
    }

    /// <summary>Debian's Prometheus scrapes the running server and answers a query for a facematch_ series.</summary>
    [Fact]
    public async Task A_real_prometheus_scrapes_facematch_series_from_serve()
    {
        await using var serve = ServeProcess.Start();
        await serve.WaitForLineAsync("health SERVING", TimeSpan.FromMinutes(2));
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{serve.Port}"));
        var health = new Health.HealthClient(channel);
        const int checks = 5;
        for (var i = 0; i < checks; i++) await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));

        var dir = Directory.CreateTempSubdirectory("fm-prometheus-");
        var promPort = ServeProcess.FreePort();
        var config = Path.Combine(dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: facematch
                static_configs:
                  - targets: ["127.0.0.1:{serve.MetricsPort}"]
            """);
        var psi = new ProcessStartInfo("prometheus", [
            "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(dir.FullName, "data"),
            $"--web.listen-address=127.0.0.1:{promPort}", "--log.level=warn"])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var prometheus = Process.Start(psi) ?? throw new InvalidOperationException("prometheus did not start (make deps installs it)");
        var promLog = prometheus.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            const string query = "facematch_grpc_calls_total{method=\"grpc.health.v1.Health/Check\",status=\"OK\",job=\"facematch\"}";
            var url = $"http://127.0.0.1:{promPort}/api/v1/query?query={Uri.EscapeDataString(query)}";
            double? value = null;
            var until = DateTime.UtcNow.AddSeconds(90);
            while (value is null && DateTime.UtcNow < until && !prometheus.HasExited)
            {
                await Task.Delay(1000);
                try
                {
                    using var doc = JsonDocument.Parse(await http.GetStringAsync(url));
                    var result = doc.RootElement.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() > 0)
                        value = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                }
                catch (HttpRequestException) { }   // still starting
            }
            Assert.True(value is not null, $"Prometheus never returned the series. prometheus: {(prometheus.HasExited ? await promLog : "running")}");
            Assert.True(value >= checks, $"{value} health checks counted, {checks} made");
        }
        finally
        {
            if (!prometheus.HasExited) prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            dir.Delete(recursive: true);
        }
    }
}
