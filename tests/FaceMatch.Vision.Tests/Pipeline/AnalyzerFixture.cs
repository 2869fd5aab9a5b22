using FaceMatch.Models.Manifest;
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
}

[CollectionDefinition(Name)]
public sealed class AnalyzerCollection : ICollectionFixture<AnalyzerFixture>
{
    public const string Name = "analyzer";
}
