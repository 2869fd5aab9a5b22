using System.CommandLine;
using FaceMatch.Models.Manifest;
using FaceMatch.Server.Composition;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Security;
using FaceMatch.Vault;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch serve`: reads its settings (<see cref="ServeConfiguration"/>: the environment and the appsettings file) and runs <see cref="FaceMatchHost"/> until SIGINT/SIGTERM. The endpoints
/// come up first with health NOT_SERVING; the models and galleries load; then health turns SERVING.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the FaceMatch gRPC server until stopped (SIGINT/SIGTERM).");
        command.SetAction(async (_, cancellationToken) =>
        {
            FaceMatchHost host;
            try
            {
                var settings = ServeConfiguration.Load(Environment.GetEnvironmentVariables(), CliPaths.DataDirectory(),
                    CliPaths.ManifestPath(), Environment.CurrentDirectory);
                host = await FaceMatchHost.StartAsync(settings, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is IOException or ArgumentException or VaultException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"facematch: {e.Message}");
                return 2;
            }

            var exitCode = 0;
            await using (host)
            {
                var server = host.Server;
                Console.WriteLine($"facematch: gRPC on port {server.Port} ({(server.IsTls ? "TLS, ALPN h2" : "h2c")}), metrics on port {server.MetricsPort} (/metrics); health NOT_SERVING until the models are loaded");
                if (server.HttpPort != 0)
                    Console.WriteLine($"facematch: HTTP on port {server.HttpPort}: the console at {server.HttpAddress}console/, the JSON API under /v1/ (OpenAPI at /openapi.json), WebSocket sessions at /v1/sessions/{{kind}}");
                Console.WriteLine($"facematch: admin token from {host.AdminToken.Source}");
                try
                {
                    await host.LoadAsync(cancellationToken);
                    var analyzer = host.Analyzer!;
                    Console.WriteLine($"facematch: models loaded: embedder {analyzer.EmbedderId}, threshold {analyzer.MatchThreshold:0.####}; {host.TemplatesLoaded} templates in the galleries");
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
                Console.WriteLine("facematch: stopping");
            }
            Console.WriteLine("facematch: stopped");
            return exitCode;
        });
        return command;
    }
}
