using System.CommandLine;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch serve`: the server process. The gRPC endpoint comes up first with Health NOT_SERVING, the
/// models load, then Health turns SERVING; SIGINT/SIGTERM stops it gracefully.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the FaceMatch gRPC server until stopped (SIGINT/SIGTERM).");
        command.SetAction(async (_, cancellationToken) =>
        {
            GrpcEndpointSettings settings;
            try
            {
                settings = GrpcEndpointSettings.FromEnvironment();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"facematch: {e.Message}");
                return 2;
            }

            using var loggerFactory = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => o.SingleLine = true)
                .SetMinimumLevel(LogLevel.Warning));
            FaceMatchGrpcServer server;
            try
            {
                server = FaceMatchGrpcServer.Create(settings.ToHostOptions(), [], loggerFactory);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                Console.Error.WriteLine($"facematch: {e.Message}");
                return 2;
            }

            var exitCode = 0;
            await using (server)
            {
                await server.StartAsync(cancellationToken);
                Console.WriteLine($"facematch: gRPC on port {server.Port} ({(server.IsTls ? "TLS, ALPN h2" : "h2c")}); health NOT_SERVING until the models are loaded");

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
                    using var stop = new CancellationTokenSource(settings.ShutdownTimeout + TimeSpan.FromSeconds(5));
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
