using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Tests;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>
/// Accuracy on ../shared/data/faces (labelled photos of 9 people), measured by the real
/// `facematch eval` executable exactly as an operator would run it.
/// </summary>
public sealed class SharedFacesEvalTests
{
    [Fact]
    public async Task EvalOnSharedFacesMeetsTheAccuracyBar()
    {
        Assert.True(Directory.Exists(TestPaths.Faces), $"{TestPaths.Faces} missing: ../shared must sit beside the checkout");
        Assert.True(File.Exists(TestPaths.Executable), $"{TestPaths.Executable} missing: run `make build`");
        var start = new ProcessStartInfo(TestPaths.Executable, ["eval", TestPaths.Faces, "--json"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"facematch eval exited {process.ExitCode}: {await stderr}{await stdout}");

        using var json = JsonDocument.Parse(await stdout);
        var r = json.RootElement;
        double Get(string key) => r.GetProperty(key).GetDouble();
        Assert.Equal(0, r.GetProperty("failed_images").GetInt32());
        Assert.True(Get("auc") >= 0.995, $"AUC {Get("auc")}");
        Assert.True(Get("tar_at_far_1e-2") >= 0.97, $"TAR@FAR1e-2 {Get("tar_at_far_1e-2")}");
        Assert.True(r.GetProperty("genuine_pairs").GetInt32() > 0 && r.GetProperty("impostor_pairs").GetInt32() > 0);
    }
}
