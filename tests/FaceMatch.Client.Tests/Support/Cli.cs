using System.Diagnostics;
using FaceMatch.Tests;

namespace FaceMatch.Client.Tests.Support;

/// <summary>Runs a program as a person would, and keeps what it printed.</summary>
public static class Cli
{
    public sealed record Run(int Exit, string Out, string Err)
    {
        public string All => Out + Err;
    }

    /// <summary>The published `facematch` (`make build`).</summary>
    public static Task<Run> FacematchAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunAsync(TestPaths.Executable, args, environment);

    public static async Task<Run> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Assert.True(program != TestPaths.Executable || File.Exists(program), $"{program} missing: run `make build`");
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Nothing of the test host's own FaceMatch settings leaks in; each run says what it needs.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("FACEMATCH_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(key);
        psi.Environment["FACEMATCH_MODELS"] = TestPaths.Models;
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return new Run(p.ExitCode, await output, await error);
    }

    /// <summary>The dotnet host that runs these tests.</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>The configuration these tests were built in, which the projects they build with share.</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif
}
