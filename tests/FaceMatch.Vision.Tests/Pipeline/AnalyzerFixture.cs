using System.Numerics;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision.Imaging;
using FaceMatch.Tests;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>One analyzer over the converted models (`make models`), shared by the pipeline tests.</summary>
public sealed class AnalyzerFixture : IAsyncLifetime
{
    public FaceAnalyzer Analyzer { get; private set; } = null!;

    public static string DemoPhoto(int n) => Path.Combine(TestPaths.Deps, "face-api", "package", "demo", $"sample{n}.jpg");

    public async Task InitializeAsync()
    {
        if (!File.Exists(TestPaths.ManifestPath))
            throw new InvalidOperationException($"{TestPaths.ManifestPath} missing: run `make models` (make test does)");
        Analyzer = await FaceAnalyzer.CreateAsync(ModelManifest.Load(TestPaths.ManifestPath), new VisionOptions());
    }

    public async Task DisposeAsync() => await Analyzer.DisposeAsync();

    /// <summary>A size × size head-and-shoulders crop around the demo photo's largest face, like a selfie frame.</summary>
    public async Task<RgbImage> PortraitAsync(int sample, int size)
    {
        using var image = Analyzer.Decode(await File.ReadAllBytesAsync(DemoPhoto(sample)));
        var face = (await Analyzer.DetectAsync(image))[0];
        var side = Math.Max(face.Box.Width, face.Box.Height) * 2.4f;
        var centre = new Vector2(face.Box.X + face.Box.Width / 2, face.Box.Y + face.Box.Height / 2);
        var s = size / side;
        var crop = new AffineMatrix(s, 0, size / 2f - centre.X * s, 0, s, size / 2f - centre.Y * s);
        return AffineWarp.ToRgb(image, crop, size, size);
    }
}

[CollectionDefinition(Name)]
public sealed class AnalyzerCollection : ICollectionFixture<AnalyzerFixture>
{
    public const string Name = "analyzer";
}
