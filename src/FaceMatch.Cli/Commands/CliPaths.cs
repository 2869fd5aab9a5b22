using FaceMatch.Server.Composition;

namespace FaceMatch.Cli.Commands;

/// <summary>Default locations, overridable by environment, shared by the subcommands.</summary>
internal static class CliPaths
{
    /// <summary>models/manifest.json next to the executable's parent (./out/facematch → ./models), unless FACEMATCH_MODELS says otherwise.</summary>
    public static string ManifestPath()
    {
        var configured = Environment.GetEnvironmentVariable(ServeConfiguration.ModelsVariable);
        if (!string.IsNullOrWhiteSpace(configured))
            return Directory.Exists(configured) ? Path.Combine(configured, "manifest.json") : configured;
        foreach (var dir in new[] { Directory.GetCurrentDirectory(), Path.Combine(AppContext.BaseDirectory, "..") })
        {
            var candidate = Path.GetFullPath(Path.Combine(dir, "models", "manifest.json"));
            if (File.Exists(candidate)) return candidate;
        }
        return Path.GetFullPath(Path.Combine("models", "manifest.json"));
    }

    public static string DataDirectory() =>
        Environment.GetEnvironmentVariable(ServeConfiguration.DataVariable) is { Length: > 0 } d ? d : Path.GetFullPath("data");
}
