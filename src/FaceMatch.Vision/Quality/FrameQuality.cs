using System.Numerics;
using FaceMatch.Vision.Detection;

namespace FaceMatch.Vision.Quality;

/// <summary>Hint strings sent to the client with a frame's feedback.</summary>
public static class QualityHints
{
    public const string MoveCloser = "move_closer";
    public const string TooDark = "too_dark";
    public const string TooBright = "too_bright";
    public const string Blurry = "blurry";
    public const string TurnToCamera = "turn_to_camera";
    public const string StraightenHead = "straighten_head";
    public const string MultipleFaces = "multiple_faces";
    public const string NoFace = "no_face";
}

/// <summary>Measurements of one frame's main face, as the imaging layer produced them.</summary>
/// <param name="Face">the main face, in frame pixels.</param>
/// <param name="FacesInFrame">how many faces the detector kept.</param>
/// <param name="MeanLuminance">mean grey level (0..255) over the face region.</param>
/// <param name="LaplacianVariance">variance of the Laplacian of the grey aligned crop.</param>
public readonly record struct QualityInputs(FaceDetection Face, int FacesInFrame, float MeanLuminance, float LaplacianVariance);

/// <summary>Each factor in 0..1 (1 = no problem), the overall score, and what the user should change.</summary>
public sealed record QualityReport(float Overall, float Size, float Exposure, float Sharpness, float Pose, float Uniqueness, IReadOnlyList<string> Hints);

/// <summary>Scores a frame's main face for size, exposure, sharpness, pose and company.</summary>
public sealed class FrameQuality(QualityOptions options)
{
    public QualityOptions Options { get; } = options;

    public QualityReport Assess(in QualityInputs input)
    {
        var hints = new List<string>();
        var k = input.Face.Keypoints;
        var rightEye = k[FaceDetection.RightEye];
        var leftEye = k[FaceDetection.LeftEye];
        var eyeLine = leftEye - rightEye;
        var iod = eyeLine.Length();

        var size = Ramp(iod, Options.MinInterocularPixels, Options.GoodInterocularPixels);
        if (iod < Options.MinInterocularPixels) hints.Add(QualityHints.MoveCloser);

        float exposure;
        if (input.MeanLuminance < Options.DarkLuminance)
        {
            exposure = Ramp(input.MeanLuminance, Options.DarkLuminance / 3, Options.DarkLuminance);
            hints.Add(QualityHints.TooDark);
        }
        else if (input.MeanLuminance > Options.BrightLuminance)
        {
            exposure = Ramp(255 - input.MeanLuminance, (255 - Options.BrightLuminance) / 3, 255 - Options.BrightLuminance);
            hints.Add(QualityHints.TooBright);
        }
        else exposure = 1;

        var sharpness = Ramp(input.LaplacianVariance, Options.BlurryLaplacianVariance / 2, Options.SharpLaplacianVariance);
        if (input.LaplacianVariance < Options.BlurryLaplacianVariance) hints.Add(QualityHints.Blurry);

        var pose = PoseScore(k, eyeLine, iod, hints);

        var uniqueness = input.FacesInFrame > 1 ? 0.5f : 1f;
        if (input.FacesInFrame > 1) hints.Add(QualityHints.MultipleFaces);

        // The weakest factor limits what the embedding can be trusted for, so it bounds the whole.
        var overall = MathF.Min(MathF.Min(size, exposure), MathF.Min(MathF.Min(sharpness, pose), uniqueness));
        return new QualityReport(overall, size, exposure, sharpness, pose, uniqueness, hints);
    }

    private float PoseScore(Vector2[] k, Vector2 eyeLine, float iod, List<string> hints)
    {
        if (iod < 1e-3f) { hints.Add(QualityHints.TurnToCamera); return 0; }
        var eyeMid = (k[FaceDetection.RightEye] + k[FaceDetection.LeftEye]) / 2;
        // Work in the face's own frame so a rolled head does not read as yaw or pitch.
        var across = eyeLine / iod;
        var down = new Vector2(-across.Y, across.X);
        var nose = k[FaceDetection.NoseTip] - eyeMid;
        var mouthDepth = Vector2.Dot(k[FaceDetection.Mouth] - eyeMid, down);

        var yaw = MathF.Abs(Vector2.Dot(nose, across)) / iod;
        var pitch = mouthDepth > 1e-3f ? Vector2.Dot(nose, down) / mouthDepth : 0;
        var roll = MathF.Abs(MathF.Atan2(eyeLine.Y, eyeLine.X)) * 180 / MathF.PI;

        var yawScore = 1 - Ramp(yaw, Options.MaxYawRatio / 2, Options.MaxYawRatio * 1.5f);
        var pitchMid = (Options.MinPitchRatio + Options.MaxPitchRatio) / 2;
        var pitchHalf = (Options.MaxPitchRatio - Options.MinPitchRatio) / 2;
        var pitchScore = 1 - Ramp(MathF.Abs(pitch - pitchMid), pitchHalf / 2, pitchHalf * 1.5f);
        var rollScore = 1 - Ramp(roll, Options.MaxRollDegrees / 2, Options.MaxRollDegrees * 1.5f);

        if (yaw > Options.MaxYawRatio || pitch < Options.MinPitchRatio || pitch > Options.MaxPitchRatio)
            hints.Add(QualityHints.TurnToCamera);
        if (roll > Options.MaxRollDegrees) hints.Add(QualityHints.StraightenHead);
        return MathF.Min(yawScore, MathF.Min(pitchScore, rollScore));
    }

    /// <summary>0 at or below <paramref name="low"/>, 1 at or above <paramref name="high"/>, linear between.</summary>
    private static float Ramp(float value, float low, float high) =>
        high <= low ? (value >= high ? 1 : 0) : Math.Clamp((value - low) / (high - low), 0, 1);
}
