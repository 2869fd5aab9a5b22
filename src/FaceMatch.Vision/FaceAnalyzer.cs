using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Embedding;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;
using FaceMatch.Vision.Liveness;
using FaceMatch.Vision.Quality;

namespace FaceMatch.Vision;

/// <summary>Everything one frame tells about its main (largest) face.</summary>
public sealed record FrameAnalysis(
    int Width,
    int Height,
    IReadOnlyList<FaceDetection> Faces,
    float[]? Embedding,
    LivenessScore? Liveness,
    QualityReport? Quality)
{
    public FaceDetection? MainFace => Faces.Count > 0 ? Faces[0] : null;
}

/// <summary>
/// The vision pipeline behind one object: decode → detect → align and embed ‖ passive liveness →
/// quality. Thread-safe: concurrent calls share batched model runs.
/// </summary>
public sealed class FaceAnalyzer : IAsyncDisposable
{
    private readonly ImageDecoder _decoder;
    private readonly BlazeFaceDetector _detector;
    private readonly FaceEmbedder _embedder;
    private readonly PassiveLiveness _liveness;
    private readonly FrameQuality _quality;
    private readonly VisionOptions _options;

    private readonly bool _parallelModels;

    private FaceAnalyzer(VisionOptions options, BlazeFaceDetector detector, FaceEmbedder embedder, PassiveLiveness liveness, bool parallelModels)
    {
        _parallelModels = parallelModels;
        _options = options;
        _decoder = new ImageDecoder(options.Decode);
        _detector = detector;
        _embedder = embedder;
        _liveness = liveness;
        _quality = new FrameQuality(options.Quality);
    }

    public float MatchThreshold => _options.MatchThreshold;
    public string EmbedderId => _embedder.Id;
    public FaceEmbedder Embedder => _embedder;
    public BlazeFaceDetector Detector => _detector;
    public PassiveLiveness Liveness => _liveness;

    /// <summary>Loads the manifest's detector, embedder and liveness models (sessions are created off the caller's thread).</summary>
    public static Task<FaceAnalyzer> CreateAsync(ModelManifest manifest, VisionOptions options, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            var sessions = new OnnxSessionFactory(ExecutionDevice.FromEnvironment());
            var detector = Require(manifest, ModelRole.Detector);
            var embedder = Require(manifest, ModelRole.Embedder);
            BatchedModel? Optional(ModelRole role) =>
                manifest.ForRole(role) is { } e ? new BatchedModel(e, sessions, options.LivenessBatching) : null;
            return new FaceAnalyzer(options,
                new BlazeFaceDetector(new BatchedModel(detector, sessions, options.DetectorBatching), options),
                new FaceEmbedder(new BatchedModel(embedder, sessions, options.EmbedderBatching)),
                new PassiveLiveness(Optional(ModelRole.Antispoof), Optional(ModelRole.Liveness), options.LivenessCropScale),
                parallelModels: sessions.Device.IsCuda);
        }, cancellationToken);

    private static ModelEntry Require(ModelManifest manifest, ModelRole role) =>
        manifest.ForRole(role) ?? throw new ModelManifestException($"the model manifest has no {role.ToString().ToLowerInvariant()}");

    /// <summary>Decodes a JPEG or PNG, scaled down while it stays comfortably larger than the models need.</summary>
    /// <exception cref="ImageDecodeException">the bytes are no decodable image within the limits.</exception>
    public RgbImage Decode(ReadOnlySpan<byte> encoded) =>
        _decoder.Decode(encoded, new DecodeTarget(MinLongSide: _options.DecodeMinLongSide));

    public Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, CancellationToken cancellationToken = default) =>
        _detector.DetectAsync(image, cancellationToken);

    public Task<float[]> EmbedAsync(RgbImage image, FaceDetection face, CancellationToken cancellationToken = default) =>
        _embedder.EmbedAsync(image, face, cancellationToken);

    /// <summary>The L2-normalised embedding of the largest face, or null when there is none.</summary>
    public async Task<float[]?> EmbedLargestFaceAsync(ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken = default)
    {
        using var image = Decode(encoded.Span);
        var faces = await DetectAsync(image, cancellationToken).ConfigureAwait(false);
        return faces.Count == 0 ? null : await EmbedAsync(image, faces[0], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Decode, detect, and for the main face: embedding, passive liveness and quality in parallel.</summary>
    public async Task<FrameAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken = default)
    {
        using var image = Decode(encoded.Span);
        var faces = await DetectAsync(image, cancellationToken).ConfigureAwait(false);
        if (faces.Count == 0) return new FrameAnalysis(image.Width, image.Height, faces, null, null, null);
        var main = faces[0];
        // One warp per frame: the aligned crop feeds both the quality gate and the embedder.
        using var crop = _embedder.AlignedCrop(image, main);
        var quality = AssessQuality(image, main, faces.Count, crop);
        if (_parallelModels)
        {
            // A GPU overlaps the models' runs.
            var embedding = _embedder.EmbedCropAsync(crop, cancellationToken);
            var liveness = _liveness.Available ? _liveness.ScoreAsync(image, main, cancellationToken) : null;
            return new FrameAnalysis(image.Width, image.Height, faces, await embedding.ConfigureAwait(false),
                liveness is null ? null : await liveness.ConfigureAwait(false), quality);
        }
        // On the CPU every ONNX Runtime run already uses all cores: overlapping runs only oversubscribe them.
        var cpuEmbedding = await _embedder.EmbedCropAsync(crop, cancellationToken).ConfigureAwait(false);
        LivenessScore? cpuLiveness = _liveness.Available ? await _liveness.ScoreAsync(image, main, cancellationToken).ConfigureAwait(false) : null;
        return new FrameAnalysis(image.Width, image.Height, faces, cpuEmbedding, cpuLiveness, quality);
    }

    /// <summary>Quality of one face: exposure over its box, sharpness over its aligned crop.</summary>
    public QualityReport AssessQuality(RgbImage image, FaceDetection face, int facesInFrame)
    {
        using var crop = _embedder.AlignedCrop(image, face);
        return AssessQuality(image, face, facesInFrame, crop);
    }

    /// <summary>Quality of one face whose aligned crop (<see cref="FaceEmbedder.AlignedCrop"/>) is already made.</summary>
    public QualityReport AssessQuality(RgbImage image, FaceDetection face, int facesInFrame, RgbImage alignedCrop)
    {
        var box = face.Box;
        var region = new PixelRect((int)Math.Max(0, box.X), (int)Math.Max(0, box.Y),
            (int)Math.Max(1, Math.Min(box.Width, image.Width - box.X)), (int)Math.Max(1, Math.Min(box.Height, image.Height - box.Y)));
        var exposure = ImageStatistics.Measure(image, region);
        var sharpness = ImageStatistics.Measure(alignedCrop);
        return _quality.Assess(new QualityInputs(face, facesInFrame, (float)exposure.MeanLuma, (float)sharpness.LaplacianVariance));
    }

    /// <summary>Cosine similarity of two L2-normalised embeddings.</summary>
    public static float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("embeddings of different models cannot be compared");
        return System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
    }

    public async ValueTask DisposeAsync()
    {
        await _detector.DisposeAsync();
        await _embedder.DisposeAsync();
        await _liveness.DisposeAsync();
    }
}
