using System.Diagnostics;
using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Health.V1;
using FaceMatch.Tests;
using ServingStatus = FaceMatch.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>The published `facematch serve` (make build) as a process: gRPC up, Health SERVING once the models are loaded, SIGTERM stops it cleanly.</summary>
public sealed class ServeProcessTests
{
    [Fact]
    public async Task Serve_answers_health_after_loading_models_and_stops_gracefully_on_sigterm()
    {
        Assert.True(File.Exists(TestPaths.Executable), $"{TestPaths.Executable} is missing: run `make build` first.");
        var emptyManifest = Directory.CreateTempSubdirectory("facematch-serve-");
        try
        {
            File.WriteAllText(Path.Combine(emptyManifest.FullName, "manifest.json"), "{\"version\":1,\"models\":[]}");
            var psi = new ProcessStartInfo(TestPaths.Executable, "serve")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = TestPaths.RepoRoot,
            };
            psi.Environment["FACEMATCH_PORT"] = "0";
            // The real models when `make models` has run, otherwise an empty manifest (nothing to load).
            psi.Environment["FACEMATCH_MODELS"] = File.Exists(TestPaths.ManifestPath) ? TestPaths.Models : emptyManifest.FullName;
            using var process = Process.Start(psi)!;
            try
            {
                using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var port = 0;
                while (port == 0)
                {
                    var line = await process.StandardOutput.ReadLineAsync(startup.Token)
                        ?? throw new InvalidOperationException("serve exited: " + await process.StandardError.ReadToEndAsync(startup.Token));
                    if (line.StartsWith("facematch: gRPC on port ", StringComparison.Ordinal))
                        port = int.Parse(line["facematch: gRPC on port ".Length..].Split(' ')[0]);
                }

                using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
                using var watch = new HealthClient(channel).Watch(new HealthCheckRequest(), CallOptions.WithTimeout(TimeSpan.FromSeconds(120)));
                var seen = new List<ServingStatus>();
                while (await watch.ResponseStream.MoveNext())
                {
                    seen.Add(watch.ResponseStream.Current.Status);
                    if (seen[^1] == ServingStatus.Serving) break;
                }
                Assert.Equal(ServingStatus.Serving, seen[^1]);
                Assert.All(seen[..^1], s => Assert.Equal(ServingStatus.NotServing, s));

                using (var kill = Process.Start("kill", $"-TERM {process.Id}")!) await kill.WaitForExitAsync(startup.Token);
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await process.WaitForExitAsync(stop.Token);
                Assert.Equal(0, process.ExitCode);
                Assert.Contains("facematch: stopped", await process.StandardOutput.ReadToEndAsync(stop.Token));
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            emptyManifest.Delete(recursive: true);
        }
    }
}
