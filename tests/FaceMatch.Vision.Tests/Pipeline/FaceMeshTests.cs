using System.Numerics;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Tests;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Inference;
using FaceMatch.Vision.Liveness;
using Xunit.Abstractions;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>
/// FaceMesh's crop, measured: on ../shared's photos its points must land where face-api's 68 landmarks put the same
/// features (eye corners, nose tip, mouth corners, chin), and the crop scale the pipeline uses must be the one that
/// agrees best among the candidates.
/// </summary>
[Collection(AnalyzerCollection.Name)]
public sealed class FaceMeshTests(AnalyzerFixture fixture, ITestOutputHelper log)
{
    /// <summary>(mesh index, 68-point index): right eye outer corner, left eye outer corner, nose tip, mouth corners, chin.</summary>
    private static readonly (int Mesh, int Ibug)[] Pairs = [(33, 36), (263, 45), (1, 30), (61, 48), (291, 54), (152, 8), (133, 39), (362, 42)];

    [Fact]
    public async Task MeshPointsAgreeWithTheLandmarksAtThePipelinesCropScale()
    {
        var manifest = ModelManifest.Load(TestPaths.ManifestPath);
        var entry = manifest.DefaultFor(ModelRole.Mesh)!;
        await using var model = new BatchedModel(entry, new OnnxSessionFactory(ExecutionDevice.Cpu, 1), new BatcherOptions { MaxBatch = 16 });
        var errors = new Dictionary<float, List<double>>();
        float[] scales = [1.0f, 1.1f, 1.2f, 1.35f, 1.5f, 1.7f];
        foreach (var path in Directory.EnumerateFiles(TestPaths.Faces, "*", SearchOption.AllDirectories).Where(p => p.EndsWith(".jpg") || p.EndsWith(".png")).Order())
        {
            using var image = fixture.Analyzer.Decode(await File.ReadAllBytesAsync(path));
            if (await fixture.Analyzer.DetectAsync(image) is not [var face, ..] || face.Landmarks is not { } lm) continue;
            var eyes = Vector2.Distance(lm[36], lm[45]);
            foreach (var scale in scales)
            {
                var mesh = await new FaceMesh(model, scale).LocateAsync(image, face.Box, CancellationToken.None);
                var error = Pairs.Average(p => Vector2.Distance(new Vector2(mesh.Points[p.Mesh].X, mesh.Points[p.Mesh].Y), lm[p.Ibug])) / eyes;
                (errors.TryGetValue(scale, out var list) ? list : errors[scale] = []).Add(error);
            }
        }
        foreach (var (scale, list) in errors) log.WriteLine($"crop x{scale}: mean error {list.Average():0.000} of the eye distance, worst {list.Max():0.000}, n {list.Count}");
        var chosen = new VisionOptions().MeshCropScale;
        var best = errors.MinBy(e => e.Value.Average()).Key;
        Assert.True(errors[chosen].Average() <= errors[best].Average() + 0.01, $"x{chosen} agrees less than x{best}");
        Assert.True(errors[chosen].Average() < 0.1, $"mean error {errors[chosen].Average():0.000} of the eye distance");
    }
}
