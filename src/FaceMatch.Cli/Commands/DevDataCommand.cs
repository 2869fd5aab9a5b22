using System.CommandLine;
using FaceMatch.Vault;
using FaceMatch.Vault.DevCaptures;

namespace FaceMatch.Cli.Commands;

/// <summary>`facematch devdata export --tenant T --out DIR`: a tenant's development captures, for model-improvement work.</summary>
internal static class DevDataCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id whose development captures to export", Required = true };
        var output = new Option<string>("--out") { Description = "Directory to write the crops and captures.jsonl to (created 0700)", Required = true };
        var export = new Command("export", "Write a tenant's development captures (crops + quality metadata) to a directory. Opens the vault at FACEMATCH_DATA (default ./data); the server must not be running on it.");
        export.Options.Add(tenant);
        export.Options.Add(output);
        export.SetAction(async (parseResult, cancellationToken) =>
        {
            var dataDirectory = CliPaths.DataDirectory();
            try
            {
                await using var vault = await FaceMatchVault.OpenAsync(new VaultOptions { DataDirectory = dataDirectory });
                var count = await DevCaptureExporter.ExportAsync(vault.DevCaptures, parseResult.GetValue(tenant)!, parseResult.GetValue(output)!, cancellationToken);
                Console.WriteLine($"facematch: exported {count} development captures to {parseResult.GetValue(output)}");
                return 0;
            }
            catch (VaultException ex)
            {
                Console.Error.WriteLine($"facematch devdata export: {ex.Message}");
                return 1;
            }
        });

        var command = new Command("devdata", "Development-token captures kept for model improvement.");
        command.Subcommands.Add(export);
        return command;
    }
}
