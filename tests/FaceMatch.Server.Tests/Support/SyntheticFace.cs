using System.Numerics;
using FaceMatch.Server.Sessions;
using FaceMatch.Vision.Detection;

namespace FaceMatch.Server.Tests.Support;

/// <summary>How a synthetic face is held: yaw in degrees (positive: the subject turns to their left), distance as a factor.</summary>
public sealed record HeadPose(double Yaw = 0, double Pitch = 0, double Distance = 1, double ShiftX = 0, double ShiftY = 0, double EyesOpen = 1, double Mouth = 0);

/// <summary>
/// A face as FaceMesh's 468 points, for liveness tests without pixels: a dome about 140 units wide with the points the
/// cues read placed where MediaPipe's indices put them (eye corners and lids, nose tip standing out, cheeks, forehead,
/// chin, lips), seen by a pinhole camera. <see cref="Print"/> is the same face as a flat photo of it.
/// </summary>
public static class SyntheticFace
{
    private const double Focal = 600, CameraDistance = 500, CentreX = 320, CentreY = 240;

    /// <summary>The face's points in 3-D (x right on the image, y down, z towards the camera) for the given eyes and mouth.</summary>
    public static Vector3[] Model(double eyesOpen = 1, double mouth = 0)
    {
        var p = new Vector3[FaceGeometry.PointCount];
        var golden = Math.PI * (3 - Math.Sqrt(5));
        for (var i = 0; i < p.Length; i++)
        {
            var r = Math.Sqrt((i + 0.5) / p.Length);
            var phi = i * golden;
            p[i] = new Vector3((float)(70 * r * Math.Cos(phi)), (float)(95 * r * Math.Sin(phi)), (float)(45 * (1 - r * r)));
        }
        void Set(int i, double x, double y, double z) => p[i] = new Vector3((float)x, (float)y, (float)z);
        Set(FaceGeometry.NoseTip, 0, 10, 75);
        Set(FaceGeometry.Forehead, 0, -85, 20);
        Set(FaceGeometry.Chin, 0, 90, 25);
        Set(FaceGeometry.RightCheek, -70, 0, 0);
        Set(FaceGeometry.LeftCheek, 70, 0, 0);
        var lid = 6 * eyesOpen + 0.3;
        foreach (var side in new[] { -1, 1 })
        {
            // Outer corner, two upper lid points, inner corner, two lower lid points (FaceGeometry's order).
            int[] eye = side < 0 ? [33, 160, 158, 133, 153, 144] : [263, 387, 385, 362, 380, 373];
            Set(eye[0], side * 50, -25, 25);
            Set(eye[1], side * 40, -25 - lid, 28);
            Set(eye[2], side * 25, -25 - lid, 29);
            Set(eye[3], side * 15, -25, 30);
            Set(eye[4], side * 25, -25 + lid, 29);
            Set(eye[5], side * 40, -25 + lid, 28);
        }
        Set(FaceGeometry.UpperLip, 0, 50 - 12 * mouth, 38);
        Set(FaceGeometry.LowerLip, 0, 50 + 12 * mouth, 38);
        Set(FaceGeometry.MouthRight, -25, 50, 30);
        Set(FaceGeometry.MouthLeft, 25, 50, 30);
        return p;
    }

    /// <summary>The live face at <paramref name="pose"/>, as image points.</summary>
    public static Vector2[] Head(HeadPose pose) => Project(Model(pose.EyesOpen, pose.Mouth), pose);

    /// <summary>A flat photo of the frontal face (every point on one plane), held at <paramref name="pose"/>: its eyes and mouth never change.</summary>
    public static Vector2[] Print(HeadPose pose)
    {
        var flat = Model().Select(q => new Vector3(q.X * (float)(CameraDistance / (CameraDistance - q.Z)), q.Y * (float)(CameraDistance / (CameraDistance - q.Z)), 0)).ToArray();
        return Project(flat, pose with { EyesOpen = 1, Mouth = 0 });
    }

    private static Vector2[] Project(Vector3[] points, HeadPose pose)
    {
        // In camera space z grows away from the camera, so the model's z (towards it) flips; a turn to the subject's left
        // (positive yaw) then carries the nose towards +x.
        var rotation = Matrix4x4.CreateRotationY((float)(-pose.Yaw * Math.PI / 180)) * Matrix4x4.CreateRotationX((float)(pose.Pitch * Math.PI / 180));
        return points.Select(q =>
        {
            var turned = Vector3.Transform(new Vector3(q.X, q.Y, -q.Z), rotation);
            var depth = CameraDistance * pose.Distance + turned.Z;
            return new Vector2((float)(CentreX + pose.ShiftX + Focal * turned.X / depth), (float)(CentreY + pose.ShiftY + Focal * turned.Y / depth));
        }).ToArray();
    }

    /// <summary>One frame's observation of <paramref name="points"/>: a face, one embedding, the given passive score; received when captured.</summary>
    public static FrameObservation Frame(int index, Vector2[] points, float passive = 0.95f, long captureMs = -1, long receivedMs = -1)
    {
        var capture = captureMs >= 0 ? captureMs : 1_000 + 200L * index;
        float minX = points.Min(p => p.X), maxX = points.Max(p => p.X), minY = points.Min(p => p.Y), maxY = points.Max(p => p.Y);
        return new FrameObservation(index, capture, 1, [1f], 0.9f, passive, points, Math.Max(maxX - minX, maxY - minY))
        {
            ReceivedMs = receivedMs >= 0 ? receivedMs : capture - 1_000,
            Box = new FaceBox(minX, minY, maxX - minX, maxY - minY),
            FrameWidth = 640,
            FrameHeight = 480,
        };
    }
}
