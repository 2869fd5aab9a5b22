using System.Numerics;
using FaceMatch.Vision;
using FaceMatch.Vision.Detection;

namespace FaceMatch.Server.Sessions;

/// <summary>What one frame of a session showed; only what the session's decisions need (no pixels).</summary>
/// <param name="Points">the main face's landmarks in frame pixels: FaceMesh's 468 when that stage runs, else the 68 (or the detector's keypoints).</param>
/// <param name="ReceivedMs">when the server read the frame, in milliseconds since the session started (the server's clock).</param>
public sealed record FrameObservation(
    int Index,
    long CaptureTimeMs,
    int Faces,
    float[]? Embedding,
    float Quality,
    float? Liveness,
    Vector2[] Points,
    float FaceSize)
{
    public bool HasFace => Faces > 0 && Embedding is not null;

    public long ReceivedMs { get; init; }
    public FaceBox Box { get; init; }
    public int FrameWidth { get; init; }
    public int FrameHeight { get; init; }

    /// <summary>Whether <see cref="Points"/> are FaceMesh's 468, which the eye, mouth and pose measures need.</summary>
    public bool HasMesh => FaceGeometry.IsMesh(Points);

    public static FrameObservation From(int index, long captureTimeMs, FrameAnalysis analysis, long receivedMs = 0)
    {
        var face = analysis.MainFace;
        var points = face is null ? [] : analysis.Mesh?.Image ?? face.Landmarks ?? face.Keypoints;
        return new FrameObservation(index, captureTimeMs, analysis.Faces.Count, analysis.Embedding,
            analysis.Quality?.Overall ?? 0, analysis.Liveness?.Combined, points,
            face is null ? 0 : MathF.Max(face.Box.Width, face.Box.Height))
        {
            ReceivedMs = receivedMs,
            Box = face?.Box ?? default,
            FrameWidth = analysis.Width,
            FrameHeight = analysis.Height,
        };
    }
}
