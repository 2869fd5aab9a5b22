using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Models.Manifest;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support.Attacks;
using FaceMatch.Tests;
using Xunit.Abstractions;

namespace FaceMatch.Server.Tests.Liveness;

/// <summary>
/// `facematch eval-liveness` as an operator runs it, on a set built in a temporary folder: live/ links to every photo
/// of ../shared/data/faces (all of them real people photographed directly, so all bona fide), spoof/ the frames of
/// this project's print attacks made from one photo of each person.
/// </summary>
public sealed class EvalLivenessTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fm-eval-liveness").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private int BuildSet()
    {
        var live = Path.Combine(_root, "live");
        var photos = Directory.EnumerateFiles(TestPaths.Faces, "*", SearchOption.AllDirectories).Where(p => p.EndsWith(".jpg") || p.EndsWith(".png")).ToList();
        foreach (var photo in photos)
        {
            var link = Path.Combine(live, Path.GetRelativePath(TestPaths.Faces, photo));
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, photo);
        }
        foreach (var (person, personPhotos) in ServiceFixture.People(photos: 1))
            foreach (var (attack, frames) in new[] { ("held-up-print", AttackStreams.HeldUpPrint(File.ReadAllBytes(personPhotos[0]), 3)), ("curved-print", AttackStreams.CurvedPrint(File.ReadAllBytes(personPhotos[0]), 3)) })
                for (var i = 0; i < frames.Count; i++)
                {
                    var path = Path.Combine(_root, "spoof", attack, $"{person}_{i}.jpg");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, frames[i]);
                }
        return photos.Count;
    }

    [Fact]
    public async Task EveryLivePhotoOfSharedIsClassedLiveAtTheDefaultThreshold()
    {
        var livePhotos = BuildSet();
        var r = (await Facematch("eval-liveness", _root, "--json", "--per-image")).RootElement;
        log.WriteLine(r.ToString());
        double Get(string key) => r.GetProperty(key).GetDouble();

        var manifest = ModelManifest.Load(TestPaths.ManifestPath);
        Assert.Equal(manifest.DefaultFor(ModelRole.Liveness)!.Threshold!.Value, Get("threshold"), 5);
        Assert.Equal(["faceplugin-liveness"], r.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(livePhotos, r.GetProperty("live_images").GetInt32() + r.GetProperty("failed").EnumerateArray().Count(f => f.GetString()!.Contains("/live/")));
        Assert.Equal(9 * 2 * 3, r.GetProperty("spoof_images").GetInt32() + r.GetProperty("failed").EnumerateArray().Count(f => f.GetString()!.Contains("/spoof/")));
        Assert.True(Get("bpcer") <= 0.05, $"BPCER {Get("bpcer")} at {Get("threshold")}");

        var images = r.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(r.GetProperty("live_images").GetInt32() + r.GetProperty("spoof_images").GetInt32(), images.Count);
        Assert.All(images, i => Assert.InRange(i.GetProperty("score").GetDouble(), 0, 1));
        // The rates are those of the listed scores, so the summary can be checked against the per-image list.
        var liveScores = images.Where(i => i.GetProperty("live").GetBoolean()).Select(i => i.GetProperty("score").GetDouble()).ToList();
        var spoofScores = images.Where(i => !i.GetProperty("live").GetBoolean()).Select(i => i.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(liveScores.Count(s => s < Get("threshold")) / (double)liveScores.Count, Get("bpcer"), 5);
        Assert.Equal(spoofScores.Count(s => s >= Get("threshold")) / (double)spoofScores.Count, Get("apcer"), 5);
        Assert.True(spoofScores.Count(s => s >= Get("threshold_at_apcer_1e-2")) <= spoofScores.Count / 100);
        Assert.InRange(Get("auc"), 0, 1);
        Assert.True(double.IsFinite(Get("dprime")));
        log.WriteLine($"BPCER {Get("bpcer")} APCER {Get("apcer")} AUC {Get("auc")} d' {Get("dprime")} BPCER@APCER1e-2 {Get("bpcer_at_apcer_1e-2")}");
    }

    [Fact]
    public async Task ABadFolderIsANamedError()
    {
        var (exit, stdout) = await Run("eval-liveness", Path.Combine(_root, "missing"), "--json");
        Assert.Equal(2, exit);
        Assert.Contains("liveness folder not found", stdout);
        (exit, stdout) = await Run("eval-liveness", _root, "--json");
        Assert.Equal(2, exit);
        Assert.Contains("no images under live/ or spoof/", stdout);
        Directory.CreateDirectory(Path.Combine(_root, "live"));
        File.WriteAllBytes(Path.Combine(_root, "live", "a.jpg"), [1, 2, 3]);
        (exit, stdout) = await Run("eval-liveness", _root, "--model", "faceapi-recognition");
        Assert.Equal(2, exit);
        Assert.Contains("no passive liveness model", stdout);
    }

    internal static async Task<JsonDocument> Facematch(params string[] args)
    {
        var (exit, stdout) = await Run(args);
        Assert.True(exit == 0, $"facematch {string.Join(' ', args)} exited {exit}: {stdout}");
        return JsonDocument.Parse(stdout);
    }

    private static async Task<(int Exit, string Stdout)> Run(params string[] args)
    {
        Assert.True(File.Exists(TestPaths.Executable), $"{TestPaths.Executable} missing: run `make build`");
        var start = new ProcessStartInfo(TestPaths.Executable, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        start.Environment["FACEMATCH_MODELS"] = TestPaths.Models;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
