namespace FaceMatch.Server.Sessions;

/// <summary>
/// Per-session limits and end conditions. Defaults fit a phone SDK streaming a few seconds of camera frames:
/// a session sends a handful of frames (the SDK picks its best), each a compressed phone photo.
/// </summary>
public sealed record SessionOptions
{
    /// <summary>Most frames in one session; one more is RESOURCE_EXHAUSTED.</summary>
    public int MaxFrames { get; init; } = 30;
    /// <summary>Largest encoded frame.</summary>
    public int MaxFrameBytes { get; init; } = 3 * 1024 * 1024;
    /// <summary>Encoded bytes over the whole session.</summary>
    public long MaxSessionBytes { get; init; } = 48L * 1024 * 1024;
    /// <summary>Wall time from the start message; later the session ends DEADLINE_EXCEEDED.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Good frames (one face, quality at least <see cref="MinQuality"/>) after which the server ends the session itself.</summary>
    public int GoodFramesToFinish { get; init; } = 5;
    /// <summary>Good frames an enrolment needs at the least.</summary>
    public int MinGoodFrames { get; init; } = 1;
    public float MinQuality { get; init; } = 0.3f;
    /// <summary>Frames with a face the liveness decision needs under REQUIRED (one frame shows no motion).</summary>
    public int MinFramesForLiveness { get; init; } = 3;

    public void Validate()
    {
        if (MaxFrames < 1) throw new ArgumentException("MaxFrames must be at least 1");
        if (MaxFrameBytes < 1024) throw new ArgumentException("MaxFrameBytes must be at least 1024");
        if (MaxSessionBytes < MaxFrameBytes) throw new ArgumentException("MaxSessionBytes must be at least MaxFrameBytes");
        if (MaxDuration <= TimeSpan.Zero) throw new ArgumentException("MaxDuration must be positive");
        if (GoodFramesToFinish < 1 || MinGoodFrames < 1 || MinGoodFrames > GoodFramesToFinish)
            throw new ArgumentException("need 1 <= MinGoodFrames <= GoodFramesToFinish");
        if (MinFramesForLiveness < 2) throw new ArgumentException("MinFramesForLiveness must be at least 2");
    }
}
