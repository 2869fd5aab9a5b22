using System.Numerics;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Alignment;

/// <summary>
/// 68 landmarks on a detector's box with face-api's landmark net (iBUG 300-W order): a square crop centred on the
/// box (side: the box's longer side × <see cref="CropScale"/>) warped to the net's 112×112 input; the net's points,
/// fractions of that input, are mapped back to frame pixels. Everything stays in floats.
/// </summary>
public sealed class FaceLandmarker : IAsyncDisposable
{
    public const int PointCount = 68;

    private readonly BatchedModel _model;
    private readonly ImageTensorFormat _format;

    public FaceLandmarker(BatchedModel model, float cropScale)
    {
        _model = model;
        _format = model.InputFormat;
        CropScale = cropScale;
        if (model.Entry.Outputs is not [{ Shape: [_, 2 * PointCount] }])
            throw new ModelManifestException($"landmarks '{model.Entry.Id}': one output of {2 * PointCount} values (68 points) is needed");
    }

    public float CropScale { get; }
    public BatchedModel Model => _model;

    /// <summary>The 68 points of the face in <paramref name="box"/>, in frame pixels.</summary>
    public async Task<Vector2[]> LocateAsync(RgbImage image, FaceBox box, CancellationToken cancellationToken)
    {
        var crop = CropFor(box);
        var output = (await _model.RunAsync(t => AffineWarp.ToTensor(image, crop, _format, t), cancellationToken).ConfigureAwait(false))[0];
        var back = crop.Invert();
        var points = new Vector2[PointCount];
        for (var i = 0; i < PointCount; i++)
            points[i] = back.Apply(new Vector2(output[2 * i] * _format.Width, output[2 * i + 1] * _format.Height));
        return points;
    }

    /// <summary>Frame → net input: the square around the box, resized to the input (non-square inputs scale each axis).</summary>
    public AffineMatrix CropFor(FaceBox box)
    {
        var side = Math.Max(box.Width, box.Height) * CropScale;
        double sx = _format.Width / (double)side, sy = _format.Height / (double)side;
        double cx = box.X + box.Width / 2.0, cy = box.Y + box.Height / 2.0;
        return new AffineMatrix(sx, 0, _format.Width / 2.0 - cx * sx, 0, sy, _format.Height / 2.0 - cy * sy);
    }

    /// <summary>
    /// The face with its landmarks and, from them, the pipeline's six keypoints: each eye's centre (mean of its six
    /// contour points), the nose tip (30), the mouth centre (midpoint of the corners 48 and 54), and the jaw's ends
    /// (0 and 16, beside the ears) for the ear tragions.
    /// </summary>
    public static FaceDetection WithLandmarks(FaceDetection face, Vector2[] landmarks)
    {
        var five = FivePoints(landmarks);
        Vector2[] keypoints = [five[0], five[1], five[2], (five[3] + five[4]) / 2, landmarks[0], landmarks[16]];
        return face with { Keypoints = keypoints, Landmarks = landmarks };
    }

    /// <summary>
    /// The five alignment points from 68 landmarks, in template order: the subject's right eye centre, left eye
    /// centre (means of points 36-41 and 42-47), nose tip (30), right and left mouth corners (48, 54).
    /// </summary>
    public static Vector2[] FivePoints(ReadOnlySpan<Vector2> landmarks)
    {
        if (landmarks.Length != PointCount) throw new ArgumentException($"{PointCount} landmarks needed, got {landmarks.Length}");
        return [Mean(landmarks[36..42]), Mean(landmarks[42..48]), landmarks[30], landmarks[48], landmarks[54]];

        static Vector2 Mean(ReadOnlySpan<Vector2> points)
        {
            var sum = Vector2.Zero;
            foreach (var p in points) sum += p;
            return sum / points.Length;
        }
    }

    public ValueTask DisposeAsync() => _model.DisposeAsync();
}

/// <summary>A detector followed by the landmark stage on every face it finds (the faces' landmark runs batch together).</summary>
public sealed class LandmarkedDetector(IFaceDetector detector, FaceLandmarker landmarker) : IFaceDetector
{
    public BatchedModel Model => detector.Model;
    public IFaceDetector Inner => detector;
    public FaceLandmarker Landmarker => landmarker;

    public async Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, CancellationToken cancellationToken)
    {
        var faces = await detector.DetectAsync(image, cancellationToken).ConfigureAwait(false);
        var points = await Task.WhenAll(faces.Select(f => landmarker.LocateAsync(image, f.Box, cancellationToken))).ConfigureAwait(false);
        return faces.Select((f, i) => FaceLandmarker.WithLandmarks(f, points[i])).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await detector.DisposeAsync();
        await landmarker.DisposeAsync();
    }
}
