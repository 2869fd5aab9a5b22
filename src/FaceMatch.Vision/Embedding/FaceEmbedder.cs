using System.Numerics;
using FaceMatch.Vision.Alignment;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Embedding;

/// <summary>
/// Aligns a face onto the embedder's template (least-squares similarity from the detector's
/// keypoints, bilinear warp straight into the model's input tensor) and returns the model's
/// descriptor, L2-normalised so that cosine similarity is a dot product.
/// </summary>
public sealed class FaceEmbedder : IAsyncDisposable
{
    private readonly BatchedModel _model;
    private readonly ImageTensorFormat _format;

    public FaceEmbedder(BatchedModel model, AlignmentTemplate? template = null, bool flipAverage = false)
    {
        _model = model;
        _format = model.InputFormat;
        Template = template ?? AlignmentTemplate.ForInput(_format.Width, _format.Height);
        FlipAverage = flipAverage;
    }

    public AlignmentTemplate Template { get; }
    /// <summary>Embed the crop and its mirror image and take the normalised sum of the two outputs.</summary>
    public bool FlipAverage { get; }
    public BatchedModel Model => _model;
    public string Id => _model.Entry.Id;

    /// <summary>
    /// The transform taking frame pixels to template pixels for this face: from the five points of its 68 landmarks
    /// when it has them (and the template has five-point targets), else from the detector's keypoints.
    /// </summary>
    public AffineMatrix AlignmentFor(FaceDetection face)
    {
        if (face.Landmarks is { Length: FaceLandmarker.PointCount } landmarks && Template.FivePointTargets is { } five)
            return SimilarityTransform.Estimate(FaceLandmarker.FivePoints(landmarks), five).Matrix;
        if (!face.HasKeypoints)
            throw new InvalidOperationException($"embedder '{Id}': the face has neither keypoints nor landmarks to align it by");
        Span<Vector2> source = stackalloc Vector2[Template.Keypoints.Length];
        for (var i = 0; i < source.Length; i++) source[i] = face.Keypoints[Template.Keypoints[i]];
        return SimilarityTransform.Estimate(source, Template.Targets).Matrix;
    }

    /// <summary>
    /// The aligned crop: exactly what the embedder sees, so the quality gate, debug output and development
    /// captures look at the same pixels. The caller disposes it.
    /// </summary>
    public RgbImage AlignedCrop(RgbImage image, FaceDetection face) =>
        AffineWarp.ToRgb(image, AlignmentFor(face), Template.Width, Template.Height);

    public async Task<float[]> EmbedAsync(RgbImage image, FaceDetection face, CancellationToken cancellationToken)
    {
        using var crop = AlignedCrop(image, face);
        return await EmbedCropAsync(crop, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The embedding of a crop made by <see cref="AlignedCrop"/> (the pipeline warps each face once).</summary>
    public async Task<float[]> EmbedCropAsync(RgbImage alignedCrop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alignedCrop);
        if (alignedCrop.Width != Template.Width || alignedCrop.Height != Template.Height)
            throw new ArgumentException(
                $"embedder '{Id}' takes {Template.Width}x{Template.Height} aligned crops, got {alignedCrop.Width}x{alignedCrop.Height}");
        var outputs = _model.RunAsync(tensor => ImageTensor.Write(alignedCrop, _format, tensor), cancellationToken);
        if (!FlipAverage) return Normalise((await outputs.ConfigureAwait(false))[0]);
        using var mirrored = alignedCrop.MirrorHorizontally();
        var flipped = _model.RunAsync(tensor => ImageTensor.Write(mirrored, _format, tensor), cancellationToken);
        var a = (await outputs.ConfigureAwait(false))[0];
        var b = (await flipped.ConfigureAwait(false))[0];
        for (var i = 0; i < a.Length; i++) a[i] += b[i];
        return Normalise(a);
    }

    internal static float[] Normalise(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm < 1e-12f) return v;
        return v.Select(x => x / norm).ToArray();
    }

    public ValueTask DisposeAsync() => _model.DisposeAsync();
}
