using System.Numerics;
using BenchmarkDotNet.Attributes;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Bench.Vision;

/// <summary>
/// The vision pipeline's cost per stage and as a whole. Bare model runs (one ONNX Runtime call on a
/// prepared batch) are the floor; the whole pipeline (decode → detect → align + embed ‖ liveness →
/// quality) runs <see cref="Batch"/> frames concurrently so the batchers can group them, and its
/// time per frame over the sum of the bare models' per-frame times is the pipeline's overhead.
/// Each frame is a 640×640 JPEG portrait cut from face-api's demo photos.
/// Run: dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*PipelineBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    [Params(1, 8)]
    public int Batch { get; set; }

    private FaceAnalyzer _analyzer = null!;
    private byte[][] _frames = null!;
    private float[][] _detectorItems = null!, _embedderItems = null!, _antispoofItems = null!, _livenessItems = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = FindRepoRoot();
        var manifest = ModelManifest.Load(Path.Combine(root, "models", "manifest.json"));
        _analyzer = FaceAnalyzer.CreateAsync(manifest, new VisionOptions()).GetAwaiter().GetResult();
        var portraits = Enumerable.Range(1, 6).Select(i => Portrait(Path.Combine(root, ".deps", "face-api", "package", "demo", $"sample{i}.jpg"))).ToArray();
        _frames = Enumerable.Range(0, Batch).Select(i => portraits[i % portraits.Length]).ToArray();
        _detectorItems = Items(_analyzer.Detector.Model);
        _embedderItems = Items(_analyzer.Embedder.Model);
        _antispoofItems = _analyzer.Liveness.Antispoof is { } a ? Items(a) : [];
        _livenessItems = _analyzer.Liveness.LivenessModel is { } l ? Items(l) : [];
    }

    [GlobalCleanup]
    public void Cleanup() => _analyzer.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "detector (bare model)")]
    public object Detector() => _analyzer.Detector.Model.RunBatch(_detectorItems);

    [Benchmark(Description = "embedder (bare model)")]
    public object Embedder() => _analyzer.Embedder.Model.RunBatch(_embedderItems);

    [Benchmark(Description = "antispoof (bare model)")]
    public object Antispoof() => _analyzer.Liveness.Antispoof!.RunBatch(_antispoofItems);

    [Benchmark(Description = "liveness (bare model)")]
    public object LivenessModel() => _analyzer.Liveness.LivenessModel!.RunBatch(_livenessItems);

    [Benchmark(Description = "decode 640x640 JPEG")]
    public int Decode()
    {
        var n = 0;
        foreach (var f in _frames) { using var img = _analyzer.Decode(f); n += img.Width; }
        return n;
    }

    [Benchmark(Description = "whole pipeline")]
    public async Task<int> WholePipeline()
    {
        var results = await Task.WhenAll(_frames.Select(f => Task.Run(() => _analyzer.AnalyzeAsync(f))));
        return results.Count(r => r.Embedding is not null);
    }

    private float[][] Items(BatchedModel model) =>
        Enumerable.Range(0, Batch).Select(i => Enumerable.Range(0, model.ItemLength).Select(j => (float)((i * 31 + j) % 255) / 255f).ToArray()).ToArray();

    private byte[] Portrait(string path)
    {
        using var image = _analyzer.Decode(File.ReadAllBytes(path));
        var face = _analyzer.DetectAsync(image).GetAwaiter().GetResult()[0];
        var side = Math.Max(face.Box.Width, face.Box.Height) * 2.4f;
        var centre = new Vector2(face.Box.X + face.Box.Width / 2, face.Box.Y + face.Box.Height / 2);
        const int size = 640;
        var s = size / side;
        using var crop = AffineWarp.ToRgb(image, new AffineMatrix(s, 0, size / 2f - centre.X * s, 0, s, size / 2f - centre.Y * s), size, size);
        return JpegEncoder.Encode(crop, quality: 90);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FaceMatch.sln"))) return dir.FullName;
        throw new InvalidOperationException("run from inside the FaceMatch checkout");
    }
}
