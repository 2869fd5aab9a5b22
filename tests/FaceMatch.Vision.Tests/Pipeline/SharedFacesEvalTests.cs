using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Tests;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>
/// Accuracy on ../shared/data/faces (labelled photos of 9 people) and on its tight-crop version (every face cut to its
/// detector box, grey, 150×150, losslessly and as JPEG q50), measured by the real `facematch` executable exactly as an
/// operator would run it, with the default pipeline; and `facematch bench embed`, which times the same pipeline over
/// the same pairs (bench/compare's FaceMatch rows).
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

    [Fact]
    public async Task BenchEmbedTimesEveryPhotoAndScoresEveryPairOfTheFolder()
    {
        var set = FaceMatch.Vision.Evaluation.EvaluationSet.FromFolder(TestPaths.Faces);
        var scores = Path.Combine(_crops.Root, "bench-embed-scores.csv");
        var r = (await Facematch("bench", "embed", TestPaths.Faces, "--passes", "2", "--warmup", "1", "--scores-out", scores, "--json")).RootElement;
        var photos = set.Images.Count();
        Assert.Equal(photos, r.GetProperty("photos").GetInt32());
        Assert.Equal(2 * photos, r.GetProperty("timed_photos").GetInt32());
        Assert.Empty(r.GetProperty("failed").EnumerateArray());
        Assert.True(r.GetProperty("photos_per_sec").GetDouble() > 0 && r.GetProperty("cpu_ms_per_photo").GetDouble() > 0);

        // The CSV holds exactly the folder's pairs, labelled as eval labels them, and the printed accuracy is theirs.
        string Rel(string path) => Path.GetRelativePath(TestPaths.Faces, path).Replace('\\', '/');
        var expected = set.Pairs.ToDictionary(p => (Rel(p.PathA), Rel(p.PathB)), p => p.Same);
        var rows = File.ReadAllLines(scores).Skip(1).Select(line => line.Split(',')).ToArray();
        Assert.Equal(expected.Count, rows.Length);
        foreach (var row in rows) Assert.Equal(expected[(row[0], row[1])], row[2] == "1");
        var score = (string[] row) => double.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture);
        var metrics = FaceMatch.Vision.Evaluation.VerificationMetrics.Compute(
            rows.Where(x => x[2] == "1").Select(score).ToArray(), rows.Where(x => x[2] == "0").Select(score).ToArray());
        Assert.Equal(metrics.Auc, r.GetProperty("auc").GetDouble(), 5);
        Assert.Equal(metrics.DPrime, r.GetProperty("dprime").GetDouble(), 3);
        Assert.True(metrics.Auc >= 0.995 && metrics.TarAtFar1e2 >= 0.97, $"AUC {metrics.Auc}, TAR@FAR1e-2 {metrics.TarAtFar1e2}");
    }

    [Fact]
    public async Task BenchEmbedRefusesAMissingFolderWithExitCode2()
    {
        var (exit, _, stderr) = await Run("bench", "embed", Path.Combine(_crops.Root, "no-such-folder"));
        Assert.Equal(2, exit);
        Assert.Contains("folder not found", stderr);
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
        var (exit, stdout, stderr) = await Run(args);
        Assert.True(exit == 0, $"facematch {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return JsonDocument.Parse(stdout);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
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
        return (process.ExitCode, await stdout, await stderr);
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
