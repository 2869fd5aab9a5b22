using System.Numerics;
using FaceMatch.Vision;

namespace FaceMatch.Server.Sessions;

/// <summary>What one frame of a session showed; only what the session's decisions need (no pixels).</summary>
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

    public static FrameObservation From(int index, long captureTimeMs, FrameAnalysis analysis)
    {
        var face = analysis.MainFace;
        var points = face is null ? [] : face.Landmarks ?? face.Keypoints;
        return new FrameObservation(index, captureTimeMs, analysis.Faces.Count, analysis.Embedding,
            analysis.Quality?.Overall ?? 0, analysis.Liveness?.Combined, points,
            face is null ? 0 : MathF.Max(face.Box.Width, face.Box.Height));
    }
}
