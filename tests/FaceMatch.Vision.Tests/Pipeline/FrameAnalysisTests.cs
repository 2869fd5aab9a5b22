using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>AnalyzeAsync as a whole: its overlapped stages give what the separate calls give, frame by frame.</summary>
[Collection(AnalyzerCollection.Name)]
public sealed class FrameAnalysisTests(AnalyzerFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);
    private FaceAnalyzer Analyzer => fixture.Analyzer;

    [Fact]
    public async Task AnalysisAgreesWithTheSeparateSteps()
    {
        var frame = await PortraitAsync(3, brightness: 1f);
        var analysis = await Analyzer.AnalyzeAsync(frame).WaitAsync(Bound);
        using var image = Analyzer.Decode(frame);
        var faces = await Analyzer.DetectAsync(image);
        Assert.Equal(faces.Count, analysis.Faces.Count);
        Assert.Equal(faces[0].Box, analysis.MainFace!.Box);
        Assert.Equal(await Analyzer.EmbedAsync(image, faces[0]), analysis.Embedding);
        Assert.Equal(await Analyzer.Liveness.ScoreAsync(image, faces[0], CancellationToken.None), analysis.Liveness);
        Assert.Equal(Analyzer.AssessQuality(image, faces[0], faces.Count).Overall, analysis.Quality!.Overall);
    }

    [Fact]
    public async Task ConcurrentFramesEachGetTheirOwnResults()
    {
        // Frames share batched runs and pooled buffers; a mix-up would hand one frame another's embedding.
        var frames = new List<byte[]>();
        for (var sample = 1; sample <= 6; sample++) frames.Add(await PortraitAsync(sample, brightness: 1f));
        var alone = new List<float[]>();
        foreach (var f in frames) alone.Add((await Analyzer.AnalyzeAsync(f)).Embedding!);
        var together = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() => Analyzer.AnalyzeAsync(frames[i % 6])))).WaitAsync(Bound);
        for (var i = 0; i < 24; i++)
            Assert.True(FaceAnalyzer.Similarity(alone[i % 6], together[i].Embedding!) > 0.9999f, $"frame {i}");
    }

    [Fact]
    public async Task QualityHintsFollowTheFrame()
    {
        var normal = (await Analyzer.AnalyzeAsync(await PortraitAsync(6, brightness: 1f))).Quality!;
        var dark = (await Analyzer.AnalyzeAsync(await PortraitAsync(6, brightness: 0.25f))).Quality!;
        var bright = (await Analyzer.AnalyzeAsync(await PortraitAsync(6, brightness: 3f))).Quality!;
        Assert.DoesNotContain("too_dark", normal.Hints);
        Assert.DoesNotContain("too_bright", normal.Hints);
        Assert.Contains("too_dark", dark.Hints);
        Assert.Contains("too_bright", bright.Hints);
        Assert.True(dark.Exposure < normal.Exposure && bright.Exposure < normal.Exposure);
    }

    /// <summary>A 640×640 portrait JPEG of the demo photo's largest face, brightness scaled.</summary>
    private async Task<byte[]> PortraitAsync(int sample, float brightness)
    {
        using var portrait = await fixture.PortraitAsync(sample, 640);
        var px = portrait.Pixels;
        for (var i = 0; i < px.Length; i++) px[i] = (byte)Math.Clamp(px[i] * brightness, 0, 255);
        return JpegEncoder.Encode(portrait, quality: 90);
    }
}

/// <summary>Which threshold the analyzer decides with: the embedder's from the manifest unless the options set one.</summary>
public sealed class MatchThresholdTests
{
    private static FaceMatch.Models.Manifest.ModelManifest Manifest => FaceMatch.Models.Manifest.ModelManifest.Load(FaceMatch.Tests.TestPaths.ManifestPath);

    [Fact]
    public async Task EachEmbedderBringsItsOwnThresholdAndTheOptionsOverrideIt()
    {
        foreach (var id in new[] { "faceapi-recognition", "faceplugin-mobilefacenet" })
        {
            var manifest = Manifest.WithDefault(FaceMatch.Models.Manifest.ModelRole.Embedder, id);
            var own = manifest.ForRole(FaceMatch.Models.Manifest.ModelRole.Embedder)!.Threshold!.Value;
            await using (var a = await FaceAnalyzer.CreateAsync(manifest, new VisionOptions())) Assert.Equal(own, a.MatchThreshold);
            await using (var b = await FaceAnalyzer.CreateAsync(manifest, new VisionOptions { MatchThreshold = 0.25f })) Assert.Equal(0.25f, b.MatchThreshold);
        }
    }

    [Fact]
    public async Task AnEmbedderWithoutAThresholdIsRefusedUnlessTheOptionsSetOne()
    {
        var manifest = Manifest.WithDefault(FaceMatch.Models.Manifest.ModelRole.Embedder, "mobileface");
        var e = await Assert.ThrowsAsync<FaceMatch.Models.Manifest.ModelManifestException>(() => FaceAnalyzer.CreateAsync(manifest, new VisionOptions()));
        Assert.Contains("FACEMATCH_MATCH_THRESHOLD", e.Message);
        await using var ok = await FaceAnalyzer.CreateAsync(manifest, new VisionOptions { MatchThreshold = 0.5f });
    }
}
