using System.Numerics;
using FaceMatch.Vision.Detection;

namespace FaceMatch.Vision.Alignment;

/// <summary>
/// Where an embedder expects the face's keypoints in its input crop. Alignment solves the
/// least-squares similarity transform (scale, rotation, translation) taking the detected
/// keypoints onto these targets, then warps the frame into a Width×Height crop.
/// </summary>
/// <param name="Keypoints">indices into <see cref="FaceDetection.Keypoints"/> paired with <paramref name="Targets"/>.</param>
public sealed record AlignmentTemplate(string Name, int Width, int Height, int[] Keypoints, Vector2[] Targets)
{
    private static readonly int[] EyesNoseMouth = [FaceDetection.RightEye, FaceDetection.LeftEye, FaceDetection.NoseTip, FaceDetection.Mouth];

    /// <summary>InsightFace's five ArcFace reference points (112×112, OpenCV pixel convention): eyes, nose tip, mouth corners.</summary>
    private static readonly Vector2[] ArcFaceFive =
        [new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f), new(41.5493f, 92.3655f), new(70.7299f, 92.2041f)];

    /// <summary>
    /// Targets for faces with 68 landmarks (<see cref="FaceLandmarker.FivePoints"/>): the subject's right eye centre,
    /// left eye centre, nose tip, right and left mouth corners. Null: the template has only the four keypoint targets.
    /// </summary>
    public Vector2[]? FivePointTargets { get; init; }

    /// <summary>
    /// The standard ArcFace 112×112 template (InsightFace's five reference points), with the two
    /// mouth corners replaced by their midpoint because BlazeFace gives the mouth centre. The published
    /// points use OpenCV's convention (pixel centres on integers); ours puts them at +0.5, hence the shift.
    /// </summary>
    public static AlignmentTemplate ArcFace112 { get; } = new("arcface-112", 112, 112, EyesNoseMouth,
        new[] { ArcFaceFive[0], ArcFaceFive[1], ArcFaceFive[2], (ArcFaceFive[3] + ArcFaceFive[4]) / 2 }.Select(p => p + new Vector2(0.5f)).ToArray())
    {
        FivePointTargets = ArcFaceFive.Select(p => p + new Vector2(0.5f)).ToArray(),
    };

    /// <summary>
    /// A 150×150 crop framed like dlib's face chips, which face-api's ResNet-34 descriptor was
    /// trained on: face-api's dlib-style alignment makes a square of side (eye-to-mouth distance
    /// / 0.45) whose point (0.5, 0.43) sits on the centroid of the two eyes and the mouth. With
    /// ArcFace's proportions between the eye spacing and the eye-to-mouth drop, that puts the
    /// eyes 53.7 px apart at y = 43.9, the mouth at y = 105.8 and the nose tip at y = 74.5. The mouth corners
    /// of the five-point targets are ArcFace's, carried over by the similarity that takes ArcFace's four
    /// points onto these. <paramref name="zoom"/> &gt; 1 shows less around the face.
    /// </summary>
    public static AlignmentTemplate DlibChip150(float zoom = 1f)
    {
        Vector2[] basis = [new(48.16f, 43.86f), new(101.84f, 43.86f), new(75f, 74.49f), new(75f, 105.78f)];
        var fromArcFace = SimilarityTransform.Estimate(ArcFace112.Targets, basis);
        Vector2[] five = [basis[0], basis[1], basis[2], fromArcFace.Apply(ArcFace112.FivePointTargets![3]), fromArcFace.Apply(ArcFace112.FivePointTargets[4])];
        var centre = new Vector2(75, 75);
        Vector2 Zoom(Vector2 p) => centre + (p - centre) * zoom;
        return new($"dlib-chip-150@{zoom:0.###}", 150, 150, EyesNoseMouth, basis.Select(Zoom).ToArray())
        {
            FivePointTargets = five.Select(Zoom).ToArray(),
        };
    }

    /// <summary>The template for an embedder input of this size: dlib-style for 150², ArcFace scaled for anything else.</summary>
    public static AlignmentTemplate ForInput(int width, int height)
    {
        if (width == 150 && height == 150) return DlibChip150();
        if (width == 112 && height == 112) return ArcFace112;
        var s = new Vector2(width / 112f, height / 112f);
        return ArcFace112 with
        {
            Name = $"arcface-{width}x{height}", Width = width, Height = height, Targets = ArcFace112.Targets.Select(t => t * s).ToArray(),
            FivePointTargets = ArcFace112.FivePointTargets!.Select(t => t * s).ToArray(),
        };
    }
}
