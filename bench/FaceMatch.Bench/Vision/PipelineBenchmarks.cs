using System.Numerics;
using BenchmarkDotNet.Attributes;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision;
using FaceMatch.Vision.Alignment;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Bench.Vision;

/// <summary>
/// The vision pipeline's cost per stage and as a whole, for <see cref="Batch"/> frames. Bare model runs (one ONNX
/// Runtime call on the batch of the inputs these very frames produce) are the floor; the other stages are the
/// pipeline's own work, each timed alone on the same frames; the whole pipeline runs the frames concurrently so
/// the batchers can group them. Whole-pipeline time over the sum of the bare model times is the overhead.
/// Each frame is a 640×640 JPEG portrait cut from face-api's demo photos. <see cref="Detector"/> picks the manifest's
/// detector (RFB-320, the default, or BlazeFace); both run the 68-point landmark stage the manifest enables.
/// Run: dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*PipelineBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    [Params(1, 8)]
    public int Batch { get; set; }

    [Params("ultraface-rfb320", "blazeface")]
    public string Detector { get; set; } = "ultraface-rfb320";

    private FaceAnalyzer _analyzer = null!;
    private byte[][] _frames = null!;
    private RgbImage[] _images = null!;
    private FaceDetection[] _faces = null!;
    private RgbImage[] _crops = null!;
    private float[][] _detectorItems = null!, _embedderItems = null!, _antispoofItems = null!, _livenessItems = null!, _landmarkItems = null!, _meshItems = null!;
    private FaceLandmarker? _landmarker;
    private float[] _scratch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = BenchPaths.RepoRoot;
        var manifest = ModelManifest.Load(Path.Combine(root, "models", "manifest.json")).WithDefault(ModelRole.Detector, Detector);
        _analyzer = FaceAnalyzer.CreateAsync(manifest, VisionOptions.FromEnvironment()).GetAwaiter().GetResult();
        var portraits = Portraits(_analyzer, root);
        _frames = Enumerable.Range(0, Batch).Select(i => portraits[i % portraits.Length]).ToArray();
        _images = _frames.Select(f => _analyzer.Decode(f)).ToArray();
        _faces = _images.Select(i => _analyzer.DetectAsync(i).GetAwaiter().GetResult()[0]).ToArray();
        _crops = _images.Select((img, i) => _analyzer.Embedder.AlignedCrop(img, _faces[i])).ToArray();

        // The models' inputs for these frames, exactly as the pipeline writes them.
        var detector = _analyzer.Detector.Model;
        _landmarker = (_analyzer.Detector as LandmarkedDetector)?.Landmarker;
        _landmarkItems = _landmarker is { } lm
            ? _faces.Select((f, i) => Item(lm.Model, t => AffineWarp.ToTensor(_images[i], lm.CropFor(f.Box), lm.Model.InputFormat, t))).ToArray()
            : [];
        var detectorFormat = detector.InputFormat;
        _detectorItems = _images.Select(img => Item(detector, t => Letterbox.ToTensor(img, detectorFormat, t))).ToArray();
        var embedderFormat = _analyzer.Embedder.Model.InputFormat;
        _embedderItems = _crops.Select(c => Item(_analyzer.Embedder.Model, t => ImageTensor.Write(c, embedderFormat, t))).ToArray();
        var liveness = _analyzer.Liveness;
        _antispoofItems = liveness.Antispoof is { } a ? _images.Select((img, i) => Item(a, t => liveness.WriteInput(a, img, _faces[i], t))).ToArray() : [];
        _livenessItems = liveness.LivenessModel is { } l ? _images.Select((img, i) => Item(l, t => liveness.WriteInput(l, img, _faces[i], t))).ToArray() : [];
        _meshItems = _analyzer.Mesh is { } mesh
            ? _faces.Select((f, i) => Item(mesh.Model, t => AffineWarp.ToTensor(_images[i], mesh.CropFor(f.Box), mesh.Model.InputFormat, t))).ToArray()
            : [];
        _scratch = new float[new[] { detector, _analyzer.Embedder.Model, liveness.Antispoof, liveness.LivenessModel }.OfType<BatchedModel>().Max(m => m.ItemLength)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var c in _crops) c.Dispose();
        foreach (var i in _images) i.Dispose();
        _analyzer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "model: detector (bare)")]
    public object DetectorModel() => _analyzer.Detector.Model.RunBatch(_detectorItems);

    [Benchmark(Description = "model: 68 landmarks (bare)")]
    public object LandmarkModel() => _landmarker?.Model.RunBatch(_landmarkItems) ?? (object)0;

    [Benchmark(Description = "model: embedder (bare)")]
    public object Embedder() => _analyzer.Embedder.Model.RunBatch(_embedderItems);

    // The manifest's default passive models only (faceplugin-liveness; the antispoof role has no default): a role
    // without one measures nothing.
    [Benchmark(Description = "model: antispoof (bare)")]
    public object Antispoof() => _analyzer.Liveness.Antispoof?.RunBatch(_antispoofItems) ?? (object)0;

    [Benchmark(Description = "model: liveness (bare)")]
    public object LivenessModel() => _analyzer.Liveness.LivenessModel?.RunBatch(_livenessItems) ?? (object)0;

    [Benchmark(Description = "model: facemesh (bare; sessions only)")]
    public object MeshModel() => _analyzer.Mesh?.Model.RunBatch(_meshItems) ?? (object)0;

    [Benchmark(Description = "stage: decode 640x640 JPEG")]
    public int Decode()
    {
        var n = 0;
        foreach (var f in _frames) { using var img = _analyzer.Decode(f); n += img.Width; }
        return n;
    }

    [Benchmark(Description = "stage: letterbox for detector")]
    public float LetterboxStage()
    {
        var format = _analyzer.Detector.Model.InputFormat;
        var sum = 0f;
        foreach (var img in _images) sum += Letterbox.ToTensor(img, format, _scratch).ScaleX;
        return sum;
    }

    [Benchmark(Description = "stage: crop for landmarks")]
    public float LandmarkCrop()
    {
        if (_landmarker is not { } lm) return 0;
        for (var i = 0; i < _images.Length; i++) AffineWarp.ToTensor(_images[i], lm.CropFor(_faces[i].Box), lm.Model.InputFormat, _scratch);
        return _scratch[0];
    }

    [Benchmark(Description = "stage: align (warp to crop)")]
    public int Align()
    {
        var n = 0;
        for (var i = 0; i < _images.Length; i++) { using var crop = _analyzer.Embedder.AlignedCrop(_images[i], _faces[i]); n += crop.Width; }
        return n;
    }

    [Benchmark(Description = "stage: crops for liveness models")]
    public float LivenessCrops()
    {
        var liveness = _analyzer.Liveness;
        for (var i = 0; i < _images.Length; i++)
        {
            foreach (var model in new[] { liveness.Antispoof, liveness.LivenessModel }.OfType<BatchedModel>())
                liveness.WriteInput(model, _images[i], _faces[i], _scratch);
        }
        return _scratch[0];
    }

    [Benchmark(Description = "stage: quality")]
    public float Quality()
    {
        var sum = 0f;
        for (var i = 0; i < _images.Length; i++) sum += _analyzer.AssessQuality(_faces[i], 1, _crops[i]).Overall;
        return sum;
    }

    [Benchmark(Description = "whole pipeline")]
    public async Task<int> WholePipeline()
    {
        var results = await Task.WhenAll(_frames.Select(f => Task.Run(() => _analyzer.AnalyzeAsync(f))));
        return results.Count(r => r.Embedding is not null);
    }

    private static float[] Item(BatchedModel model, Action<Span<float>> write)
    {
        var item = new float[model.ItemLength];
        write(item);
        return item;
    }

    /// <summary>640×640 JPEG head-and-shoulders portraits around the largest face of each of face-api's six demo photos.</summary>
    internal static byte[][] Portraits(FaceAnalyzer analyzer, string root) =>
        Enumerable.Range(1, 6).Select(i => Portrait(analyzer, Path.Combine(root, ".deps", "face-api", "package", "demo", $"sample{i}.jpg"))).ToArray();

    private static byte[] Portrait(FaceAnalyzer analyzer, string path)
    {
        using var image = analyzer.Decode(File.ReadAllBytes(path));
        var face = analyzer.DetectAsync(image).GetAwaiter().GetResult()[0];
        var side = Math.Max(face.Box.Width, face.Box.Height) * 2.4f;
        var centre = new Vector2(face.Box.X + face.Box.Width / 2, face.Box.Y + face.Box.Height / 2);
        const int size = 640;
        var s = size / side;
        using var crop = AffineWarp.ToRgb(image, new AffineMatrix(s, 0, size / 2f - centre.X * s, 0, s, size / 2f - centre.Y * s), size, size);
        return JpegEncoder.Encode(crop, quality: 90);
    }
}
