using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceMatch.Tests;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>The published executable as an operator runs it: `facematch serve` with the converted models.</summary>
public sealed class ServeProcessTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("fm-serve").FullName;

    public void Dispose() => Directory.Delete(_data, true);

    [Fact]
    public async Task ServeLoadsEveryModelThenAnswersServingAndStopsCleanlyOnSigterm()
    {
        Assert.True(File.Exists(TestPaths.Executable), $"{TestPaths.Executable} missing: run `make build`");
        var port = FreePort();
        var start = new ProcessStartInfo(TestPaths.Executable, ["serve"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["FACEMATCH_PORT"] = port.ToString(),
                ["FACEMATCH_DATA"] = _data,
                ["FACEMATCH_MODELS"] = TestPaths.Models,
            },
        };
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(e.Data);
            if (e.Data.Contains($"gRPC on port {port}")) listening.TrySetResult();
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
            using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{port}"));
            var health = new Health.HealthClient(channel);
            using var watch = health.Watch(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddMinutes(3));
            var seen = new List<ServingStatus>();
            while ((seen.Count == 0 || seen[^1] != ServingStatus.Serving) && await watch.ResponseStream.MoveNext())
                seen.Add(watch.ResponseStream.Current.Status);
            Assert.Equal(ServingStatus.Serving, seen[^1]);
            Assert.All(seen[..^1], s => Assert.Equal(ServingStatus.NotServing, s));

            // Every model of the manifest was loaded and described before SERVING.
            var manifest = FaceMatch.Models.Manifest.ModelManifest.Load(TestPaths.ManifestPath);
            lock (lines)
                foreach (var m in manifest.Models)
                    Assert.Contains(lines, l => l.TrimStart().StartsWith($"{m.Id} ("));

            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])!;
            await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
            process.WaitForExit();   // drains the asynchronous stdout reader
            lock (lines) Assert.Contains("facematch: stopped", lines);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
