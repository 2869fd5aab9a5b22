using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Vision.Alignment;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Embedding;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;
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
    /// <summary>The main face's aligned crop as PNG, only when the caller asked for it (development captures).</summary>
    public byte[]? AlignedCropPng { get; init; }

    /// <summary>The main face's 468 FaceMesh points, when the manifest has a default mesh model.</summary>
    public MeshPoints? Mesh { get; init; }

    public FaceDetection? MainFace => Faces.Count > 0 ? Faces[0] : null;
}

/// <summary>
/// The vision pipeline behind one object: decode → detect → align and embed ‖ passive liveness →
/// quality. Thread-safe: concurrent calls share batched model runs.
/// </summary>
public sealed class FaceAnalyzer : IAsyncDisposable
{
    private readonly ImageDecoder _decoder;
    private readonly IFaceDetector _detector;
    private readonly FaceEmbedder _embedder;
    private readonly PassiveLiveness _liveness;
    private readonly FaceMesh? _mesh;
    private readonly FrameQuality _quality;
    private readonly VisionOptions _options;

    private FaceAnalyzer(VisionOptions options, float matchThreshold, IFaceDetector detector, FaceEmbedder embedder, PassiveLiveness liveness, FaceMesh? mesh)
    {
        _mesh = mesh;
        _options = options;
        MatchThreshold = matchThreshold;
        _decoder = new ImageDecoder(options.Decode);
        _detector = detector;
        _embedder = embedder;
        _liveness = liveness;
        _quality = new FrameQuality(options.Quality);
    }

    /// <summary>FACEMATCH_MATCH_THRESHOLD when set, else the embedder's threshold from the manifest.</summary>
    public float MatchThreshold { get; }
    public string EmbedderId => _embedder.Id;
    public FaceEmbedder Embedder => _embedder;
    /// <summary>The detector, with the landmark stage after it when the manifest has a default landmarks model.</summary>
    public IFaceDetector Detector => _detector;
    /// <summary>The detection model's id, and the landmark model's when that stage runs ("ultraface-rfb320+faceapi-landmark68").</summary>
    public string DetectorId => _detector is LandmarkedDetector l ? $"{l.Model.Entry.Id}+{l.Landmarker.Model.Entry.Id}" : _detector.Model.Entry.Id;
    public PassiveLiveness Liveness => _liveness;
    /// <summary>FaceMesh on the main face of each analysed frame (the session's liveness cues), or null without a default mesh model.</summary>
    public FaceMesh? Mesh => _mesh;

    /// <summary>Loads the manifest's detector, embedder and liveness models (sessions are created off the caller's thread).</summary>
    public static Task<FaceAnalyzer> CreateAsync(ModelManifest manifest, VisionOptions options, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            var sessions = new OnnxSessionFactory(ExecutionDevice.FromEnvironment(), options.IntraOpThreads);
            var embedder = Require(manifest, ModelRole.Embedder);
            var threshold = options.MatchThreshold ?? embedder.Threshold?.Value
                ?? throw new ModelManifestException(
                    $"embedder '{embedder.Id}' has no threshold in the model manifest: add one measured with `facematch eval`, or set FACEMATCH_MATCH_THRESHOLD");
            // A passive model runs only when the manifest marks it default: which ones score a frame is a measured choice.
            BatchedModel? Optional(ModelRole role) =>
                manifest.DefaultFor(role) is { } e ? new BatchedModel(e, sessions, options.LivenessBatching) : null;
            return new FaceAnalyzer(options, threshold,
                CreateDetector(manifest, options, sessions),
                new FaceEmbedder(new BatchedModel(embedder, sessions, options.EmbedderBatching), flipAverage: options.FlipAverage),
                new PassiveLiveness(Optional(ModelRole.Antispoof), Optional(ModelRole.Liveness), options.LivenessCropScale),
                manifest.DefaultFor(ModelRole.Mesh) is { } mesh ? new FaceMesh(new BatchedModel(mesh, sessions, options.LandmarkBatching), options.MeshCropScale) : null);
        }, cancellationToken);

    /// <summary>
    /// The manifest's detector (BlazeFace, or RFB-320 recognised by its two heads), followed by the 68-point landmark
    /// stage when a landmarks model is marked default. A detector without keypoints cannot do without that stage.
    /// </summary>
    private static IFaceDetector CreateDetector(ModelManifest manifest, VisionOptions options, OnnxSessionFactory sessions)
    {
        var model = new BatchedModel(Require(manifest, ModelRole.Detector), sessions, options.DetectorBatching);
        IFaceDetector detector = UltraFaceDetector.Recognises(model) ? new UltraFaceDetector(model, options) : new BlazeFaceDetector(model, options);
        if (manifest.Models.FirstOrDefault(m => m.Role == ModelRole.Landmarks && m.Default) is { } landmarks)
            return new LandmarkedDetector(detector, new FaceLandmarker(new BatchedModel(landmarks, sessions, options.LandmarkBatching), options.LandmarkCropScale));
        if (detector is UltraFaceDetector)
            throw new ModelManifestException($"detector '{model.Entry.Id}' gives no keypoints: mark a 68-point landmarks model default in the manifest");
        return detector;
    }

    private static ModelEntry Require(ModelManifest manifest, ModelRole role) =>
        manifest.ForRole(role) ?? throw new ModelManifestException($"the model manifest has no {role.ToString().ToLowerInvariant()}");

    /// <summary>Decodes a JPEG, PNG or WebP, scaled down while it stays comfortably larger than the models need.</summary>
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

    /// <summary>The passive liveness score (<see cref="LivenessScore.Combined"/>) of the largest face, or null when there is none.</summary>
    public async Task<double?> ScoreLargestFaceLivenessAsync(ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken = default)
    {
        using var image = Decode(encoded.Span);
        var faces = await DetectAsync(image, cancellationToken).ConfigureAwait(false);
        return faces.Count == 0 ? null : (await _liveness.ScoreAsync(image, faces[0], cancellationToken).ConfigureAwait(false)).Combined;
    }

    /// <summary>Decode, detect, and for the main face: embedding, passive liveness and quality, overlapped.</summary>
    public Task<FrameAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken = default) =>
        AnalyzeAsync(encoded, encodeAlignedCrop: false, cancellationToken);

    /// <summary>
    /// <see cref="AnalyzeAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, and with <paramref name="encodeAlignedCrop"/>
    /// the main face's aligned crop encoded as PNG (<see cref="FrameAnalysis.AlignedCropPng"/>); otherwise no pixels
    /// outlive the call.
    /// </summary>
    public async Task<FrameAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> encoded, bool encodeAlignedCrop, CancellationToken cancellationToken = default)
    {
        using var image = Decode(encoded.Span);
        var faces = await DetectAsync(image, cancellationToken).ConfigureAwait(false);
        if (faces.Count == 0) return new FrameAnalysis(image.Width, image.Height, faces, null, null, null);
        var main = faces[0];
        // The liveness models run on another thread while this one aligns the face and runs the embedder: each run
        // takes one core (VisionOptions.IntraOpThreads), so the overlap is what fills a second core. (An idle
        // batcher runs a model on its caller's thread, so the branch gets a thread of its own.)
        var liveness = _liveness.Available || _mesh is not null ? Task.Run(() => LivenessEvidenceAsync(image, main, cancellationToken), cancellationToken) : null;
        try
        {
            // One warp per frame: the aligned crop feeds both the embedder and the quality gate.
            using var crop = _embedder.AlignedCrop(image, main);
            var embedding = _embedder.EmbedCropAsync(crop, cancellationToken);
            var quality = AssessQuality(main, faces.Count, crop);
            var png = encodeAlignedCrop ? PngEncoder.Encode(crop) : null;
            var evidence = liveness is null ? default : await liveness.ConfigureAwait(false);
            return new FrameAnalysis(image.Width, image.Height, faces, await embedding.ConfigureAwait(false), evidence.Passive, quality)
            {
                AlignedCropPng = png,
                Mesh = evidence.Mesh,
            };
        }
        catch when (liveness is not null)
        {
            // Leave nothing running behind a failed frame (it reads the image); the first failure is the one reported.
            await Task.WhenAny(liveness).ConfigureAwait(false);
            _ = liveness.Exception;
            throw;
        }
    }

    /// <summary>The passive score and the mesh of the main face, both cut from the image before this returns its task.</summary>
    private async Task<(LivenessScore? Passive, MeshPoints? Mesh)> LivenessEvidenceAsync(RgbImage image, FaceDetection face, CancellationToken ct)
    {
        var passive = _liveness.Available ? _liveness.ScoreAsync(image, face, ct) : null;
        var mesh = _mesh?.LocateAsync(image, face.Box, ct);
        return (passive is null ? null : await passive.ConfigureAwait(false), mesh is null ? null : await mesh.ConfigureAwait(false));
    }

    /// <summary>Quality of one face: exposure and sharpness over its aligned crop, size and pose from its keypoints.</summary>
    public QualityReport AssessQuality(RgbImage image, FaceDetection face, int facesInFrame)
    {
        using var crop = _embedder.AlignedCrop(image, face);
        return AssessQuality(face, facesInFrame, crop);
    }

    /// <summary>Quality of one face whose aligned crop (<see cref="FaceEmbedder.AlignedCrop"/>) is already made.</summary>
    public QualityReport AssessQuality(FaceDetection face, int facesInFrame, RgbImage alignedCrop)
    {
        // The crop is the face as the embedder sees it, at one fixed size: its mean luma is the face's exposure, and
        // its Laplacian variance compares across frames whatever the face's size in the photo.
        var stats = ImageStatistics.Measure(alignedCrop);
        return _quality.Assess(new QualityInputs(face, facesInFrame, (float)stats.MeanLuma, (float)stats.LaplacianVariance));
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
        if (_mesh is not null) await _mesh.DisposeAsync();
    }
}
