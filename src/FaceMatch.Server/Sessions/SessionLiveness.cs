namespace FaceMatch.Server.Sessions;

/// <summary>The session-level liveness verdict and the evidence behind it.</summary>
public sealed record LivenessVerdict(bool Live, float Score, string Reason, float? Passive, double? PlanarResidual, double? Motion);

/// <summary>
/// Decides whether a session showed a live face, from the stream itself:
/// <list type="bullet">
/// <item>a face in every frame (a frame without one breaks the chain of evidence);</item>
/// <item>capture times that increase, a plausible frame interval apart (a replayed file often carries none);</item>
/// <item>motion a flat object cannot make: over the frames that moved enough to tell, the landmarks' best plane
/// homography must leave a residual (<see cref="PlanarMotion"/>); a held-up photo or screen leaves almost none;</item>
/// </list>
/// The passive models' mean is reported beside the verdict; it does not decide it (docs/liveness.md says why).
/// docs/liveness.md says what this stops and what it does not.
/// </summary>
public static class SessionLiveness
{
    /// <summary>Motion (RMS landmark displacement over face size) below which two frames tell nothing.</summary>
    public const double MinMotion = 0.02;
    /// <summary>Residual (over face size) at which the planar score is 0.5: below, the motion looks like a flat object's.</summary>
    public const double PlanarResidual = 0.012;
    public const long MinFrameIntervalMs = 5;
    public const long MaxFrameIntervalMs = 5_000;

    /// <summary>Session score at or above which a session is live when the tenant sets no threshold of its own.</summary>
    public const float DefaultThreshold = 0.5f;

    /// <param name="threshold">the tenant's liveness threshold for the session score (0: <see cref="DefaultThreshold"/>).</param>
    public static LivenessVerdict Decide(IReadOnlyList<FrameObservation> frames, int minFrames, float threshold)
    {
        var faced = frames.Where(f => f.HasFace).ToList();
        float? passive = faced.Any(f => f.Liveness is not null) ? faced.Where(f => f.Liveness is not null).Average(f => f.Liveness!.Value) : null;
        if (faced.Count < minFrames) return new(false, 0, $"needs {minFrames} frames with a face", passive, null, null);
        if (faced.Count < frames.Count) return new(false, 0, "a frame without a face", passive, null, null);
        if (!PlausibleTiming(frames)) return new(false, 0, "implausible capture times", passive, null, null);

        // Every later frame against the first: residuals of the frames that moved enough to tell.
        var first = faced[0];
        double maxMotion = 0, maxResidual = 0;
        var informative = 0;
        foreach (var frame in faced.Skip(1))
        {
            if (PlanarMotion.Measure(first.Points, frame.Points, (first.FaceSize + frame.FaceSize) / 2) is not { } fit) continue;
            maxMotion = Math.Max(maxMotion, fit.Motion);
            if (fit.Motion < MinMotion) continue;
            informative++;
            maxResidual = Math.Max(maxResidual, fit.Residual);
        }
        if (informative == 0) return new(false, 0, "no motion to judge by", passive, null, maxMotion);

        // The session score is the planar evidence alone: the passive models are reported beside it but were measured to
        // carry no information on print attacks (docs/liveness.md).
        var planarScore = (float)(maxResidual / (maxResidual + PlanarResidual));
        var score = planarScore;
        if (planarScore < (threshold > 0 ? threshold : DefaultThreshold)) return new(false, score, "moved like a flat object", passive, maxResidual, maxMotion);
        return new(true, score, "", passive, maxResidual, maxMotion);
    }

    private static bool PlausibleTiming(IReadOnlyList<FrameObservation> frames)
    {
        for (var i = 1; i < frames.Count; i++)
        {
            var gap = frames[i].CaptureTimeMs - frames[i - 1].CaptureTimeMs;
            if (gap is < MinFrameIntervalMs or > MaxFrameIntervalMs) return false;
        }
        return true;
    }
}
