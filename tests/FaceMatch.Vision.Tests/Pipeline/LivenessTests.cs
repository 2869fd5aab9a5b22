using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Tests;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;
using FaceMatch.Vision.Liveness;
using Xunit.Abstractions;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>
/// The passive models' input conventions, pinned by measurement on real faces: face-api's demo photos and every photo
/// of ../shared/data/faces are real people photographed directly, so a model fed the way its weights were trained
/// finds them live. The wrong channel order, crop or class index does not (numbers in docs/liveness.md).
/// </summary>
[Collection(AnalyzerCollection.Name)]
public sealed class LivenessTests(AnalyzerFixture fixture, ITestOutputHelper log)
{
    private FaceAnalyzer Analyzer => fixture.Analyzer;
    private static readonly ModelManifest Manifest = ModelManifest.Load(TestPaths.ManifestPath);

    /// <summary>Every face of the six demo photos and the largest face of each ../shared photo, decoded once.</summary>
    private static readonly Lazy<Task<List<(RgbImage Image, FaceDetection Face)>>> RealFaces = new(LoadRealFacesAsync);

    private static async Task<List<(RgbImage, FaceDetection)>> LoadRealFacesAsync()
    {
        await using var analyzer = await FaceAnalyzer.CreateAsync(Manifest.WithPassive([]), new VisionOptions());
        var faces = new List<(RgbImage, FaceDetection)>();
        foreach (var path in Enumerable.Range(1, 6).Select(AnalyzerFixture.DemoPhoto))
        {
            var image = analyzer.Decode(await File.ReadAllBytesAsync(path));
            foreach (var face in await analyzer.DetectAsync(image)) faces.Add((image, face));
        }
        foreach (var path in Directory.EnumerateFiles(TestPaths.Faces, "*", SearchOption.AllDirectories).Where(p => p.EndsWith(".jpg") || p.EndsWith(".png")).Order())
        {
            var image = analyzer.Decode(await File.ReadAllBytesAsync(path));
            if (await analyzer.DetectAsync(image) is [var main, ..]) faces.Add((image, main));
        }
        return faces;
    }

    /// <summary>Scores of <paramref name="entry"/> (as given, not as the manifest has it) over the real faces.</summary>
    private static async Task<double[]> ScoresAsync(ModelEntry entry, Func<float[], float>? read = null)
    {
        var faces = await RealFaces.Value;
        await using var model = new BatchedModel(entry, new OnnxSessionFactory(ExecutionDevice.Cpu, 1), new BatcherOptions { MaxBatch = 16 });
        var passive = new PassiveLiveness(null, null, 1f);
        var scores = new double[faces.Count];
        for (var i = 0; i < faces.Count; i++)
        {
            var output = (await model.RunAsync(t => passive.WriteInput(model, faces[i].Image, faces[i].Face, t)))[0];
            scores[i] = read is null ? PassiveLiveness.Read(entry, output) : read(output);
        }
        return scores;
    }

    private static ModelEntry Entry(string id) => Manifest.Models.Single(m => m.Id == id);

    private void Report(string what, double[] s) =>
        log.WriteLine($"{what}: n {s.Length}, mean {s.Average():0.000}, min {s.Min():0.000}, below 0.5: {s.Count(v => v < 0.5)}");

    /// <summary>
    /// faceplugin's MiniFASNet: BGR, the box scaled 2.7× and kept inside the frame, raw 0..255, softmax index 0 = live.
    /// Fed RGB as the package's own JavaScript does, real faces lose their live score (the mean drops and some fall to
    /// near 0); so does a crop padded past the frame's edge, and the other two classes are not the live one.
    /// </summary>
    [Fact]
    public async Task FacepluginLivenessFollowsBgrAndItsClampedBoxCrop()
    {
        var entry = Entry("faceplugin-liveness");
        Assert.Equal(("BGR", 2.7f, "box", true), (entry.Input.ColorOrder, entry.Input.Crop!.Scale, entry.Input.Crop.Shape, entry.Input.Crop.Clamp));
        var bgr = await ScoresAsync(entry);
        var rgb = await ScoresAsync(entry with { Input = entry.Input with { ColorOrder = "RGB" } });
        var padded = await ScoresAsync(entry with { Input = entry.Input with { Crop = entry.Input.Crop with { Clamp = false } } });
        var unitRange = await ScoresAsync(entry with { Input = entry.Input with { Scale = [1 / 255f, 1 / 255f, 1 / 255f] } });
        var otherClasses = await ScoresAsync(entry, output => 1 - PassiveLiveness.Read(entry, output));
        Report("BGR (manifest)", bgr);
        Report("RGB", rgb);
        log.WriteLine("lowest BGR: " + string.Join(" ", bgr.Order().Take(6).Select(v => v.ToString("0.00000"))));
        Report("crop padded past the edge", padded);
        Report("0..1 input", unitRange);
        Report("classes 1+2", otherClasses);

        Assert.True(bgr.Length >= 50, $"{bgr.Length} real faces");
        // (The two BGR faces under 0.5 are from the demo's group photos, whose 2.7x crops take in the neighbours' faces.)
        Assert.True(bgr.Average() > 0.9, $"BGR mean {bgr.Average():0.000}");
        Assert.True(bgr.Count(s => s < 0.5) <= bgr.Length / 20, $"{bgr.Count(s => s < 0.5)} real faces under 0.5 with BGR");
        Assert.True(rgb.Average() < bgr.Average() - 0.1, $"RGB mean {rgb.Average():0.000} against BGR {bgr.Average():0.000}");
        Assert.True(rgb.Count(s => s < 0.5) >= bgr.Count(s => s < 0.5) + 6, $"{rgb.Count(s => s < 0.5)} real faces under 0.5 with RGB");
        Assert.True(padded.Average() < bgr.Average() - 0.1, $"padded crop mean {padded.Average():0.000}");
        Assert.True(unitRange.Average() < 0.2, $"0..1 input mean {unitRange.Average():0.000}");
        Assert.True(otherClasses.Average() < 0.1, $"classes 1 and 2 mean {otherClasses.Average():0.000}");
    }

    /// <summary>
    /// human's liveness model (selectable, not default): RGB with index 0 live is how its weights behave; BGR drops the
    /// mean to about 0.5 or below (the measurement its manifest entry cites).
    /// </summary>
    [Fact]
    public async Task HumanLivenessFollowsRgbIndexZero()
    {
        var entry = Entry("liveness");
        var rgb = await ScoresAsync(entry);
        var bgr = await ScoresAsync(entry with { Input = entry.Input with { ColorOrder = "BGR" } });
        Report("human liveness RGB (manifest)", rgb);
        Report("human liveness BGR", bgr);
        Assert.True(rgb.Average() > 0.75, $"RGB mean {rgb.Average():0.000}");
        Assert.True(bgr.Average() < rgb.Average() - 0.2, $"BGR mean {bgr.Average():0.000}");
    }

    [Fact]
    public async Task TheDefaultPassiveModelIsFacepluginsAloneAndScoresRealFacesLive()
    {
        Assert.Equal(["faceplugin-liveness"], Analyzer.Liveness.ModelIds);
        using var image = Analyzer.Decode(await File.ReadAllBytesAsync(AnalyzerFixture.DemoPhoto(1)));
        var face = (await Analyzer.DetectAsync(image))[0];
        var score = await Analyzer.Liveness.ScoreAsync(image, face, CancellationToken.None);
        Assert.Null(score.Antispoof);
        Assert.Equal(score.Liveness, score.Combined);
        Assert.True(score.Combined >= Analyzer.Liveness.Threshold, $"{score.Combined} under {Analyzer.Liveness.Threshold}");
    }

    [Fact]
    public void SquareCropCentresTheFaceBox()
    {
        var m = PassiveLiveness.SquareCrop(new FaceBox(100, 200, 40, 80), 1f, 32);
        var centre = m.Apply(new System.Numerics.Vector2(120, 240));
        Assert.Equal(16f, centre.X, 3);
        Assert.Equal(16f, centre.Y, 3);
        Assert.Equal(32f / 80f, (float)m.A, 5);  // the longer side fills the crop
    }

    /// <summary>The clamped box crop: the scale shrinks to fit the frame, then the crop moves inward; a frame-wide crop is fine.</summary>
    [Fact]
    public void ClampedBoxCropStaysInsideTheFrame()
    {
        var crop = new ModelCrop { Scale = 2.7f, Shape = "box", Clamp = true };
        // 2.7 × 100 = 270 wide fits a 640 frame; the box sits 20 px from the left edge, so the crop moves right to start at 0.
        var m = PassiveLiveness.CropFor(new FaceBox(20, 100, 100, 120), crop, 640, 480, 128, 128);
        Assert.Equal(0, m.Apply(new System.Numerics.Vector2(0, 0)).X, 3);
        Assert.Equal(128f / 270f, (float)m.A, 4);
        Assert.Equal(128f / 324f, (float)m.E, 4);     // width and height each scaled: the crop is stretched, not squared
        // A box whose 2.7× would outgrow the frame: the scale shrinks to the frame's height (480 / 200 = 2.4).
        var big = PassiveLiveness.CropFor(new FaceBox(200, 140, 180, 200), crop, 640, 480, 128, 128);
        Assert.Equal(128f / 480f, (float)big.E, 4);
        Assert.Equal(0, big.Apply(new System.Numerics.Vector2(0, 0)).Y, 3);
        // A crop exactly the frame's size.
        var whole = PassiveLiveness.CropFor(new FaceBox(0, 0, 640, 480), crop, 640, 480, 128, 128);
        Assert.Equal(0, whole.Apply(new System.Numerics.Vector2(0, 0)).X, 3);
        Assert.Equal(128, whole.Apply(new System.Numerics.Vector2(640, 480)).X, 3);
    }
}
