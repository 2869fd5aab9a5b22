using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Models.Manifest;
using FaceMatch.Tests;

namespace FaceMatch.Server.Tests.Hosting;

/// <summary>`facematch bench models`, which scripts/gpu-check.sh runs on CUDA: here on the CPU, where the profile must say so.</summary>
public sealed class BenchModelsTests
{
    private static async Task<(int Exit, string Out, string Err)> Bench(params string[] args)
    {
        // In an empty directory, so a profile written anywhere but the benchmark's own temporary folder shows.
        var cwd = Directory.CreateTempSubdirectory("fm-bench-cwd").FullName;
        var psi = new ProcessStartInfo(TestPaths.Executable, ["bench", "models", .. args])
        { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
        psi.Environment["FACEMATCH_MODELS"] = TestPaths.Models;
        psi.Environment["FACEMATCH_DEVICE"] = "cpu";
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.Empty(Directory.GetFileSystemEntries(cwd));
        Directory.Delete(cwd);
        return (p.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Every_default_model_is_timed_at_each_batch_and_the_profile_names_the_cpu_provider()
    {
        var (exit, output, error) = await Bench("--batch", "1,2", "--seconds", "0.05", "--profile", "--json");
        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString());
        var manifest = ModelManifest.Load(TestPaths.ManifestPath);
        var expected = Enum.GetValues<ModelRole>().Select(manifest.ForRole).OfType<ModelEntry>().Select(e => e.Id).Order().ToList();
        var models = doc.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(expected, models.Select(m => m.GetProperty("id").GetString()!).Order().ToList());
        foreach (var model in models)
        {
            Assert.Equal([1, 2], model.GetProperty("batches").EnumerateArray().Select(b => b.GetProperty("batch").GetInt32()));
            Assert.All(model.GetProperty("batches").EnumerateArray(), b => Assert.True(b.GetProperty("items_per_sec").GetDouble() > 0));
            var shares = model.GetProperty("node_time_share_by_provider").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(["CPUExecutionProvider"], shares.Keys);
            Assert.Equal(1.0, shares["CPUExecutionProvider"], 3);
        }
    }

    [Theory]
    [InlineData("--batch", "0")]
    [InlineData("--batch", "eight")]
    [InlineData("--seconds", "0")]
    public async Task Bad_arguments_exit_2_with_the_reason(string option, string value)
    {
        var (exit, _, error) = await Bench(option, value);
        Assert.Equal(2, exit);
        Assert.Contains(option, error);
    }
}
