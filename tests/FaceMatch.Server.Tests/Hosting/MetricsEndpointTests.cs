using System.Net;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Imaging;
using Grpc.Core;
using InteropTestService.V1;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>The HTTP/1.1 /metrics endpoint (prometheus-net) in-process: the call pipeline's series and Vision's.</summary>
public sealed class MetricsEndpointTests
{
    private static async Task<string> Scrape(GrpcTestServer server)
    {
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = TimeSpan.FromSeconds(20) };
        using var response = await http.GetAsync(server.Server.MetricsAddress);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Calls_are_counted_by_method_and_status_and_timed_by_method()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = server.CreateChannel();
        var client = new Interop.InteropClient(channel);
        var before = await Scrape(server);
        for (var i = 0; i < 3; i++) await client.UnaryAsync(new EchoRequest { Text = "m" }, Calls.Bounded());
        await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(new EchoRequest { ThrowLibrary = "decode" }, Calls.Bounded()).ResponseAsync);

        var after = await Scrape(server);
        const string ok = "facematch_grpc_calls_total{method=\"facematch.interop.v1.Interop/Unary\",status=\"OK\"}";
        const string bad = "facematch_grpc_calls_total{method=\"facematch.interop.v1.Interop/Unary\",status=\"InvalidArgument\"}";
        // The registry is process-wide (other tests' servers count too): compare with the scrape before.
        Assert.Equal(Value(before, ok) + 3, Value(after, ok));
        Assert.Equal(Value(before, bad) + 1, Value(after, bad));
        Assert.Contains("facematch_grpc_call_duration_seconds_bucket{method=\"facematch.interop.v1.Interop/Unary\",le=\"0.005\"}", after);
        Assert.Contains("facematch_grpc_calls_in_flight{method=\"facematch.interop.v1.Interop/Unary\"} 0", after);
        Assert.Contains("process_cpu_seconds_total", after);
    }

    [Fact]
    public async Task Model_runs_queues_and_decodes_are_published()
    {
        await using var server = await GrpcTestServer.StartAsync();
        var model = "metrics-test-model-" + Guid.NewGuid().ToString("N")[..8];
        await using (var batcher = new DynamicBatcher<int, int>(model, new BatcherOptions { MaxBatch = 4, QueueCapacity = 16 },
            (items, results) => { for (var i = 0; i < items.Length; i++) results[i] = items[i] * 2; }))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => batcher.SubmitAsync(i)));
            var photo = Directory.EnumerateFiles(TestPaths.Faces, "*.jpg", SearchOption.AllDirectories).First();
            using (new ImageDecoder().Decode(await File.ReadAllBytesAsync(photo))) { }

            var text = await Scrape(server);
            Assert.Contains($"facematch_model_batch_size_bucket{{model=\"{model}\"", text);
            Assert.Contains($"facematch_model_run_duration_seconds_count{{model=\"{model}\"}}", text);
            Assert.Contains($"facematch_model_queue_depth{{model=\"{model}\"}} 0", text);
            Assert.Matches(@"facematch_decode_duration_seconds_count [1-9]", text);
        }
    }

    [Fact]
    public async Task The_metrics_port_serves_only_metrics_and_the_grpc_port_never_does()
    {
        await using var server = await GrpcTestServer.StartAsync();
        using var http1 = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var other = await http1.GetAsync(new Uri(server.Server.MetricsAddress, "/facematch.interop.v1.Interop/Unary"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);

        using var h2 = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(20) };
        using var onGrpc = await h2.GetAsync(new Uri(server.Server.LocalAddress, "/metrics"));
        Assert.NotEqual(HttpStatusCode.OK, onGrpc.StatusCode);
    }

    /// <summary>A series' value in the text format; 0 when it is not there yet.</summary>
    private static double Value(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return 0;
    }
}
