using System.Numerics;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// Measurements of one face from its 468 FaceMesh points (image positions), for the session's liveness cues and
/// challenges. MediaPipe's indices; "right" is the subject's right, on the image's left in an unmirrored frame.
/// </summary>
public static class FaceGeometry
{
    public const int PointCount = 468;
    public const int NoseTip = 1, Forehead = 10, Chin = 152, RightCheek = 234, LeftCheek = 454;
    public const int UpperLip = 13, LowerLip = 14, MouthRight = 61, MouthLeft = 291;

    /// <summary>Each eye's six contour points in the usual eye-aspect-ratio order: outer corner, two upper lid, inner corner, two lower lid.</summary>
    private static readonly int[] RightEye = [33, 160, 158, 133, 153, 144];
    private static readonly int[] LeftEye = [263, 387, 385, 362, 380, 373];

    public static bool IsMesh(ReadOnlySpan<Vector2> points) => points.Length == PointCount;

    /// <summary>
    /// Eye aspect ratio, the mean of both eyes: the lids' two openings over twice the corner-to-corner width. About 0.25–0.35
    /// open, under about 0.15 shut; it falls during a blink whatever the face's size.
    /// </summary>
    public static float EyeAspectRatio(ReadOnlySpan<Vector2> p) => (Eye(p, RightEye) + Eye(p, LeftEye)) / 2;

    private static float Eye(ReadOnlySpan<Vector2> p, int[] e) =>
        (Vector2.Distance(p[e[1]], p[e[5]]) + Vector2.Distance(p[e[2]], p[e[4]])) / (2 * Math.Max(Vector2.Distance(p[e[0]], p[e[3]]), 1e-3f));

    /// <summary>The inner lips' gap over the mouth's width: 0 closed, rising as the mouth opens.</summary>
    public static float MouthOpening(ReadOnlySpan<Vector2> p) =>
        Vector2.Distance(p[UpperLip], p[LowerLip]) / Math.Max(Vector2.Distance(p[MouthRight], p[MouthLeft]), 1e-3f);

    /// <summary>Cheek to cheek (the face's width at the cheekbones), in pixels.</summary>
    public static float FaceWidth(ReadOnlySpan<Vector2> p) => Vector2.Distance(p[RightCheek], p[LeftCheek]);

    /// <summary>
    /// Head turn from the nose tip's place between the cheeks: 0 facing the camera, towards +1 as the subject turns to
    /// their left (the nose moves towards the image's right), towards −1 to their right. About sin(yaw) times the
    /// nose's protrusion ratio; a turn of some 20° reads about ±0.3.
    /// </summary>
    public static float Yaw(ReadOnlySpan<Vector2> p)
    {
        var axis = p[LeftCheek] - p[RightCheek];
        var length = axis.Length();
        if (length < 1e-3f) return 0;
        var along = Vector2.Dot(p[NoseTip] - (p[RightCheek] + p[LeftCheek]) / 2, axis / length);
        return Math.Clamp(along / (length / 2), -1f, 1f);
    }

    /// <summary>
    /// How far the nose tip stands off the line from the forehead to the chin, signed, over the face's width. A real nose
    /// sticks out of the face, so this swings with the head's turn; on a print, flat or bent about its vertical axis,
    /// the midline's points keep their places on the paper.
    /// </summary>
    public static float NoseOffset(ReadOnlySpan<Vector2> p)
    {
        var line = p[Chin] - p[Forehead];
        var length = line.Length();
        if (length < 1e-3f) return 0;
        var d = p[NoseTip] - p[Forehead];
        var cross = (line.X * d.Y - line.Y * d.X) / length;   // signed distance from the line
        return -cross / Math.Max(FaceWidth(p), 1e-3f);
    }
}
