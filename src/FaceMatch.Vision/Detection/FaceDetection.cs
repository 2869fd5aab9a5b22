using System.Numerics;

namespace FaceMatch.Vision.Detection;

/// <summary>An axis-aligned box: top-left corner and size, in pixels.</summary>
public readonly record struct FaceBox(float X, float Y, float Width, float Height)
{
    public float Right => X + Width;
    public float Bottom => Y + Height;
    public float Area => Math.Max(0, Width) * Math.Max(0, Height);

    public float IntersectionOverUnion(FaceBox other)
    {
        var w = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        var h = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        if (w <= 0 || h <= 0) return 0;
        var inter = w * h;
        return inter / (Area + other.Area - inter);
    }
}

/// <summary>
/// One detected face in image pixel coordinates. Keypoints, in order (BlazeFace's six): the subject's
/// right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (the
/// subject's right eye appears on the image's left in an unmirrored photo). A detector without keypoints
/// (RFB-320) gives none until the landmark stage fills them in from its 68 points.
/// </summary>
public sealed record FaceDetection(FaceBox Box, float Score, Vector2[] Keypoints)
{
    public const int RightEye = 0, LeftEye = 1, NoseTip = 2, Mouth = 3, RightEar = 4, LeftEar = 5;

    /// <summary>68 points in iBUG 300-W order (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67), when the landmark stage ran.</summary>
    public Vector2[]? Landmarks { get; init; }

    public bool HasKeypoints => Keypoints.Length > Mouth;

    public FaceDetection Map(Func<Vector2, Vector2> toImage)
    {
        var a = toImage(new Vector2(Box.X, Box.Y));
        var b = toImage(new Vector2(Box.Right, Box.Bottom));
        return new FaceDetection(new FaceBox(a.X, a.Y, b.X - a.X, b.Y - a.Y), Score, Keypoints.Select(toImage).ToArray())
        {
            Landmarks = Landmarks?.Select(toImage).ToArray(),
        };
    }
}
