using System.CommandLine;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;

namespace FaceMatch.Cli.Commands;

/// <summary>`facematch serve`: the server process.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the FaceMatch server until stopped (SIGINT/SIGTERM).");
        command.SetAction(async (_, cancellationToken) =>
        {
            var manifestPath = CliPaths.ManifestPath();
            var manifest = ModelManifest.Load(manifestPath);
            var factory = new OnnxSessionFactory(ExecutionDevice.FromEnvironment());
            Console.WriteLine($"facematch: loading {manifest.Models.Count} models from {manifestPath} on {factory.Device}");
            var sessions = new List<IDisposable>();
            foreach (var model in manifest.Models)
            {
                var session = factory.Create(model.ResolvedPath);
                sessions.Add(session);
                var inputs = string.Join(", ", session.InputMetadata.Select(kv => $"{kv.Key}[{string.Join(",", kv.Value.Dimensions)}]"));
                var outputs = string.Join(", ", session.OutputMetadata.Select(kv => $"{kv.Key}[{string.Join(",", kv.Value.Dimensions)}]"));
                Console.WriteLine($"  {model.Id} ({model.Role}): in {inputs} → out {outputs}");
            }
            Console.WriteLine("facematch: ready; stop with Ctrl+C or SIGTERM");
            try { await Task.Delay(Timeout.Infinite, cancellationToken); }
            catch (OperationCanceledException) { }
            foreach (var s in sessions) s.Dispose();
            Console.WriteLine("facematch: stopped");
            return 0;
        });
        return command;
    }
}
