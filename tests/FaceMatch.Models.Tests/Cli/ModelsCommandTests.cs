using System.Diagnostics;
using FaceMatch.Tests;

namespace FaceMatch.Models.Tests.Cli;

/// <summary>The published `facematch models` command (./out/facematch from `make build`), run as a process.</summary>
public sealed class ModelsCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "facematch-cli-" + Guid.NewGuid().ToString("N")[..8]);

    public ModelsCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Facematch(params string[] args)
    {
        if (!File.Exists(TestPaths.Executable))
            throw new InvalidOperationException($"{TestPaths.Executable} is missing: run `make build`");
        var start = new ProcessStartInfo(TestPaths.Executable, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = TestPaths.RepoRoot,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("facematch did not finish in 120 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void ConvertFailsWithAReasonWhenThePackagesAreMissing()
    {
        var (exit, _, err) = Facematch("models", "convert", "--deps", Path.Combine(_dir, "nothing-here"), "--out", _dir);
        Assert.Equal(1, exit);
        Assert.Contains("does not exist", err);
        Assert.Contains("make deps", err);
        Assert.False(File.Exists(Path.Combine(_dir, "manifest.json")));
    }

    [Fact]
    public void ListPrintsEveryModelOfTheManifestMakeModelsWrote()
    {
        var (exit, output, _) = Facematch("models", "list", "--manifest", TestPaths.ManifestPath);
        Assert.Equal(0, exit);
        foreach (var id in new[] { "blazeface", "facemesh", "antispoof", "liveness", "mobileface", "faceplugin-liveness" })
            Assert.Contains($"{id}  role=", output);
        Assert.Contains("in  input [N,256,256,3] NHWC RGB mean=[127.5,127.5,127.5]", output);
        Assert.Contains("out embedding [N,256]", output);
        Assert.DoesNotContain("MISSING FILE", output);
    }

    [Fact]
    public void ListFailsWithAReasonOnAMissingManifest()
    {
        var (exit, _, err) = Facematch("models", "list", "--manifest", Path.Combine(_dir, "manifest.json"));
        Assert.Equal(1, exit);
        Assert.Contains("model manifest not found", err);
    }
}
