using System.Numerics;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>
/// The group photos shipped in @vladmandic/face-api's demo folder: available on every machine, so
/// these tests need nothing from ../shared. Face counts were counted by eye.
/// </summary>
[Collection(AnalyzerCollection.Name)]
public sealed class DemoPhotoTests(AnalyzerFixture fixture)
{
    private FaceAnalyzer Analyzer => fixture.Analyzer;

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    [InlineData(5, 5)]
    [InlineData(6, 4)]
    public async Task FindsEveryFaceInTheGroupPhoto(int sample, int faces)
    {
        using var image = Analyzer.Decode(await File.ReadAllBytesAsync(AnalyzerFixture.DemoPhoto(sample)));
        var found = await Analyzer.DetectAsync(image);
        Assert.Equal(faces, found.Count);
        // Distinct people: no two boxes cover the same face.
        foreach (var a in found)
            foreach (var b in found.Where(b => b != a))
                Assert.True(a.Box.IntersectionOverUnion(b.Box) < 0.2f);
    }

    [Fact]
    public async Task BlazeFaceStillFindsEveryFaceWhenChosenInTheManifest()
    {
        var manifest = FaceMatch.Models.Manifest.ModelManifest.Load(FaceMatch.Tests.TestPaths.ManifestPath)
            .WithDefault(FaceMatch.Models.Manifest.ModelRole.Detector, "blazeface");
        await using var blazeface = await FaceAnalyzer.CreateAsync(manifest, new VisionOptions());
        Assert.Equal("blazeface+faceapi-landmark68", blazeface.DetectorId);
        int[] counted = [3, 3, 3, 4, 5, 4];
        for (var sample = 1; sample <= 6; sample++)
        {
            using var image = blazeface.Decode(await File.ReadAllBytesAsync(AnalyzerFixture.DemoPhoto(sample)));
            Assert.Equal(counted[sample - 1], (await blazeface.DetectAsync(image)).Count);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task DifferentPeopleInOnePhotoScoreBelowTheThreshold(int sample)
    {
        using var image = Analyzer.Decode(await File.ReadAllBytesAsync(AnalyzerFixture.DemoPhoto(sample)));
        var faces = await Analyzer.DetectAsync(image);
        var embeddings = await Task.WhenAll(faces.Select(f => Analyzer.EmbedAsync(image, f)));
        for (var i = 0; i < embeddings.Length; i++)
            for (var j = i + 1; j < embeddings.Length; j++)
                Assert.True(FaceAnalyzer.Similarity(embeddings[i], embeddings[j]) < Analyzer.MatchThreshold,
                    $"sample{sample}: faces {i} and {j} score {FaceAnalyzer.Similarity(embeddings[i], embeddings[j]):0.000}");
    }

    public static TheoryData<string> Augmentations => new() { "jpeg-q40", "rotate+10", "rotate-10", "scale-0.6", "brighter-30%", "darker-30%" };

    [Theory]
    [MemberData(nameof(Augmentations))]
    public async Task AFaceMatchesItsOwnAugmentations(string augmentation)
    {
        foreach (var sample in new[] { 3, 6 })
        {
            using var portrait = await fixture.PortraitAsync(sample, 480);
            var original = await Analyzer.EmbedLargestFaceAsync(PngEncoder.Encode(portrait));
            var altered = await Analyzer.EmbedLargestFaceAsync(Augment(portrait, augmentation));
            Assert.NotNull(original);
            Assert.NotNull(altered);
            var score = FaceAnalyzer.Similarity(original, altered);
            Assert.True(score >= Analyzer.MatchThreshold, $"sample{sample} {augmentation}: {score:0.000}");
        }
    }

    private static byte[] Augment(RgbImage portrait, string augmentation)
    {
        var centre = new Vector2(portrait.Width / 2f, portrait.Height / 2f);
        switch (augmentation)
        {
            case "jpeg-q40":
                return JpegEncoder.Encode(portrait, quality: 40);
            case "rotate+10":
            case "rotate-10":
                using (var rotated = AffineWarp.ToRgb(portrait, AffineMatrix.Rotation(augmentation.EndsWith("+10") ? 10 : -10, centre), portrait.Width, portrait.Height))
                    return PngEncoder.Encode(rotated);
            case "scale-0.6":
                var w = (int)(portrait.Width * 0.6);
                using (var small = AffineWarp.ToRgb(portrait, AffineMatrix.Scaling(0.6, 0.6), w, w))
                    return PngEncoder.Encode(small);
            default:
                var factor = augmentation.StartsWith("brighter") ? 1.3f : 0.7f;
                using (var copy = portrait.Clone())
                {
                    var px = copy.Pixels;
                    for (var i = 0; i < px.Length; i++) px[i] = (byte)Math.Clamp(px[i] * factor, 0, 255);
                    return PngEncoder.Encode(copy);
                }
        }
    }
}
