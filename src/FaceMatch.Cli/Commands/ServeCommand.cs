using System.CommandLine;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Server.Hosting;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch serve`: the server process. The endpoints come up first with health NOT_SERVING, the models
/// load, then health turns SERVING; SIGINT/SIGTERM stops it gracefully.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the FaceMatch gRPC server until stopped (SIGINT/SIGTERM).");
        command.SetAction(async (_, cancellationToken) =>
        {
            FaceMatchServer server;
            try
            {
                server = FaceMatchServer.Create(ServerSettings.FromEnvironment());
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                Console.Error.WriteLine($"facematch: {e.Message}");
                return 2;
            }

            var exitCode = 0;
            await using (server)
            {
                try
                {
                    await server.StartAsync(cancellationToken);
                }
                catch (IOException e)
                {
                    // Address in use, permission denied on a low port, ...
                    Console.Error.WriteLine($"facematch: cannot listen: {e.Message}");
                    return 2;
                }
                Console.WriteLine($"facematch: gRPC on port {server.Port} ({(server.IsTls ? "TLS, ALPN h2" : "h2c")}), metrics on port {server.MetricsPort} (/metrics); health NOT_SERVING until the models are loaded");

                var sessions = new List<IDisposable>();
                try
                {
                    var manifestPath = CliPaths.ManifestPath();
                    var manifest = ModelManifest.Load(manifestPath);
                    var factory = new OnnxSessionFactory(ExecutionDevice.FromEnvironment());
                    Console.WriteLine($"facematch: loading {manifest.Models.Count} models from {manifestPath} on {factory.Device}");
                    foreach (var model in manifest.Models)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var session = factory.Create(model.ResolvedPath);
                        sessions.Add(session);
                        var inputs = string.Join(", ", session.InputMetadata.Select(kv => $"{kv.Key}[{string.Join(",", kv.Value.Dimensions)}]"));
                        var outputs = string.Join(", ", session.OutputMetadata.Select(kv => $"{kv.Key}[{string.Join(",", kv.Value.Dimensions)}]"));
                        Console.WriteLine($"  {model.Id} ({model.Role}): in {inputs} → out {outputs}");
                    }
                    server.MarkServing();
                    Console.WriteLine("facematch: ready (health SERVING); stop with Ctrl+C or SIGTERM");
                    try { await Task.Delay(Timeout.Infinite, cancellationToken); }
                    catch (OperationCanceledException) { }
                }
                catch (OperationCanceledException)
                {
                }
                catch (Exception e) when (e is ModelManifestException or IOException or InvalidDataException or InvalidOperationException or ArgumentException)
                {
                    Console.Error.WriteLine($"facematch: could not load the models: {e.Message}");
                    exitCode = 1;
                }
                finally
                {
                    Console.WriteLine("facematch: stopping");
                    using var stop = new CancellationTokenSource(server.Settings.ShutdownTimeout + TimeSpan.FromSeconds(5));
                    await server.StopAsync(stop.Token);
                    foreach (var s in sessions) s.Dispose();
                }
            }
            Console.WriteLine("facematch: stopped");
            return exitCode;
        });
        return command;
    }
}
