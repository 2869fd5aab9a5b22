using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Tests;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>
/// Accuracy on ../shared/data/faces (labelled photos of 9 people) and on its tight-crop version (every face cut to its
/// detector box, grey, 150×150, losslessly and as JPEG q50), measured by the real `facematch` executable exactly as an
/// operator would run it, with the default pipeline.
/// </summary>
public sealed class SharedFacesEvalTests : IClassFixture<SharedFacesEvalTests.TightCrops>
{
    private readonly TightCrops _crops;

    public SharedFacesEvalTests(TightCrops crops) => _crops = crops;

    [Fact]
    public async Task EvalOnSharedFacesMeetsTheAccuracyBar()
    {
        var r = (await Facematch("eval", TestPaths.Faces, "--json")).RootElement;
        AssertBar(r, tar: 0.97);
        Assert.True(r.GetProperty("genuine_pairs").GetInt32() > 0 && r.GetProperty("impostor_pairs").GetInt32() > 0);
    }

    [Theory]
    [InlineData("tight")]
    [InlineData("tight-jpeg50")]
    public async Task EvalOnTheTightCropsMeetsTheAccuracyBar(string variant)
    {
        var r = (await Facematch("eval", Path.Combine(_crops.Root, variant), "--json")).RootElement;
        AssertBar(r, tar: 0.95);
        // Every labelled photo of ../shared became one crop: the same 36 genuine and 342 impostor pairs.
        Assert.Equal((36, 342), (r.GetProperty("genuine_pairs").GetInt32(), r.GetProperty("impostor_pairs").GetInt32()));
    }

    [Fact]
    public async Task EvalComparesEmbeddersOnOneSetEachWithItsOwnThreshold()
    {
        var r = (await Facematch("eval", Path.Combine(_crops.Root, "tight"), "--embedder", "faceapi-recognition,faceplugin-mobilefacenet", "--far", "0.01")).RootElement;
        var runs = r.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(["faceapi-recognition", "faceplugin-mobilefacenet"], runs.Select(x => x.GetProperty("embedder").GetString()));
        Assert.NotEqual(runs[0].GetProperty("threshold").GetDouble(), runs[1].GetProperty("threshold").GetDouble());
        foreach (var run in runs)
        {
            Assert.Equal(0, run.GetProperty("failed_images").GetInt32());
            Assert.True(run.GetProperty("dprime").GetDouble() > 2, $"d' {run.GetProperty("dprime")}");
            // The printed threshold for the target FAR is the one TAR at 1e-2 is measured at.
            Assert.Equal(run.GetProperty("threshold_at_far_1e-2").GetDouble(), run.GetProperty("threshold_at_far").GetDouble(), 6);
        }
    }

    [Fact]
    public async Task EveryDetectorAndAlignmentOfTheManifestRunsTheTightCrops()
    {
        // The non-default choices stay selectable: BlazeFace with its own keypoints, and BlazeFace with 68-point alignment.
        foreach (var args in new[] { new[] { "--detector", "blazeface", "--landmarks", "none" }, ["--detector", "blazeface"] })
        {
            var r = (await Facematch(["eval", Path.Combine(_crops.Root, "tight"), .. args])).RootElement;
            Assert.Equal(0, r.GetProperty("failed_images").GetInt32());
            Assert.StartsWith("blazeface", r.GetProperty("detector").GetString());
            Assert.True(r.GetProperty("auc").GetDouble() >= 0.99, $"{string.Join(' ', args)}: AUC {r.GetProperty("auc")}");
        }
    }

    private static void AssertBar(JsonElement r, double tar)
    {
        double Get(string key) => r.GetProperty(key).GetDouble();
        Assert.Equal(0, r.GetProperty("failed_images").GetInt32());
        Assert.True(Get("auc") >= 0.995, $"AUC {Get("auc")}");
        Assert.True(Get("tar_at_far_1e-2") >= tar, $"TAR@FAR1e-2 {Get("tar_at_far_1e-2")}");
    }

    internal static async Task<JsonDocument> Facematch(params string[] args)
    {
        Assert.True(Directory.Exists(TestPaths.Faces), $"{TestPaths.Faces} missing: ../shared must sit beside the checkout");
        Assert.True(File.Exists(TestPaths.Executable), $"{TestPaths.Executable} missing: run `make build`");
        var start = new ProcessStartInfo(TestPaths.Executable, args)
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
        Assert.True(process.ExitCode == 0, $"facematch {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        return JsonDocument.Parse(await stdout);
    }

    /// <summary>
    /// The tight-crop set, generated once per run into a temporary folder (never into the repository) by
    /// `facematch dataset tight-crops`, from BlazeFace's boxes: the detector the crops were first measured with.
    /// </summary>
    public sealed class TightCrops : IAsyncLifetime
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("facematch-tight-").FullName;

        public async Task InitializeAsync()
        {
            var r = (await Facematch("dataset", "tight-crops", TestPaths.Faces, Root, "--detector", "blazeface", "--landmarks", "none")).RootElement;
            Assert.Equal(FaceMatch.Vision.Evaluation.EvaluationSet.FromFolder(TestPaths.Faces).Images.Count(), r.GetProperty("written").GetInt32());
        }

        public Task DisposeAsync()
        {
            Directory.Delete(Root, recursive: true);
            return Task.CompletedTask;
        }
    }
}
