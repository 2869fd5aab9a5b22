using System.Globalization;
using System.Numerics;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// One measured piece of liveness evidence. <see cref="Score"/> is 0..1 and calibrated so that 0.5 is the cue's own
/// pass point (a tenant's liveness threshold moves every cue's bar alike); <see cref="Value"/> is the raw measure.
/// </summary>
public sealed record LivenessCue(string Name, float Score, double Value)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}={Score:0.000}({Value:0.####})");
}

/// <summary>The session-level liveness verdict and the evidence behind it.</summary>
public sealed record LivenessVerdict(bool Live, float Score, string Reason, IReadOnlyList<LivenessCue> Cues)
{
    public LivenessCue? Cue(string name) => Cues.FirstOrDefault(c => c.Name == name);

    /// <summary>One log-safe line: the verdict and every cue's score (no image, embedding or identifier).</summary>
    public string Describe() =>
        $"live={Live} score={Score.ToString("0.000", CultureInfo.InvariantCulture)} {string.Join(' ', Cues)}{(Reason.Length > 0 ? $" ({Reason})" : "")}";
}

/// <summary>
/// Decides whether a session showed a live face, from the stream itself (docs/liveness.md says what each check stops
/// and what defeats it). Checks that must hold, in order:
/// <list type="bullet">
/// <item>enough frames, and a face in every one (a frame without one breaks the chain of evidence);</item>
/// <item>plausible capture times: increasing a frame interval apart, spanning no longer than the frames took to arrive;</item>
/// <item>face continuity: the face moves between frames no faster than a head can (a swapped photo jumps);</item>
/// <item>some motion to judge by.</item>
/// </list>
/// Then the scored cues, each 0.5 at its own pass point: <c>passive</c> (the frames' passive model scores),
/// <c>planar</c> (what the best plane homography leaves of the landmarks' motion: a print or a screen leaves almost
/// nothing, <see cref="PlanarMotion"/>) and <c>non_rigid</c> (a blink or the mouth moving, which no print does).
/// The session score is min(passive, max(planar, non_rigid)), and, in challenge mode, the challenge's result.
/// </summary>
public static class SessionLiveness
{
    /// <summary>Motion (RMS landmark displacement over face size) below which two frames tell nothing.</summary>
    public const double MinMotion = 0.02;
    /// <summary>
    /// Residual (over face size) at which the planar score is 0.5. Measured: this project's print attacks leave at most
    /// 0.0085 over FaceMesh's points, a head's own mesh turned in depth about 0.002 per degree (docs/liveness.md).
    /// </summary>
    public const double PlanarResidual = 0.012;
    /// <summary>
    /// Relative fall of the eye aspect ratio at which a blink scores 0.5: about twice the largest the mesh's noise gave on
    /// this project's print attacks (18 %); a blink's closed frame falls by well over half.
    /// </summary>
    public const double BlinkDrop = 0.5;
    /// <summary>
    /// Change of the mouth opening (inner lips' gap over mouth width) at which mouth movement scores 0.5: about 2.5 times the
    /// largest the mesh's noise gave on the print attacks (0.13, a photo with the mouth open in a smile).
    /// </summary>
    public const double MouthRange = 0.35;
    public const long MinFrameIntervalMs = 5;
    public const long MaxFrameIntervalMs = 5_000;
    /// <summary>How much longer the frames' capture times may span than their arrival at the server (network jitter, buffering).</summary>
    public const long CaptureSpanSlackMs = 1_000;

    /// <summary>Session score at or above which a session is live when the tenant sets no threshold of its own.</summary>
    public const float DefaultThreshold = 0.5f;

    /// <param name="threshold">the tenant's liveness threshold for the session score (0: <see cref="DefaultThreshold"/>).</param>
    /// <param name="passiveThreshold">the passive models' frame-level threshold (their manifest value).</param>
    /// <param name="challenge">in challenge mode, the challenge's outcome, a cue like the others (its score is 0 or 1).</param>
    public static LivenessVerdict Decide(IReadOnlyList<FrameObservation> frames, int minFrames, float threshold, float passiveThreshold,
        LivenessCue? challenge = null)
    {
        var faced = frames.Where(f => f.HasFace).ToList();
        var cues = new List<LivenessCue>();
        if (faced.Any(f => f.Liveness is not null))
        {
            var mean = faced.Where(f => f.Liveness is not null).Average(f => f.Liveness!.Value);
            cues.Add(new LivenessCue("passive", Calibrate(mean, passiveThreshold), mean));
        }
        if (challenge is not null) cues.Add(challenge);
        LivenessVerdict Fail(string reason) => new(false, 0, reason, cues);

        if (faced.Count < minFrames) return Fail($"needs {minFrames} frames with a face");
        if (faced.Count < frames.Count) return Fail("a frame without a face");
        if (!PlausibleTiming(frames)) return Fail("implausible capture times");
        if (!Continuous(faced)) return Fail("the face jumped between frames");

        var (motion, residual) = Planarity(faced);
        if (residual is { } r) cues.Add(new LivenessCue("planar", (float)(r / (r + PlanarResidual)), r));
        var nonRigid = NonRigid(faced);
        if (nonRigid is { } n) cues.Add(n);
        if (residual is null && nonRigid is not { Score: >= 0.5f }) return Fail("no motion to judge by");

        var movement = Math.Max(cues.FirstOrDefault(c => c.Name == "planar")?.Score ?? 0, nonRigid?.Score ?? 0);
        var score = movement;
        foreach (var c in cues.Where(c => c.Name is "passive" or "challenge")) score = Math.Min(score, c.Score);
        var bar = threshold > 0 ? threshold : DefaultThreshold;
        if (score >= bar) return new(true, score, "", cues);
        var weakest = cues.Where(c => c.Name is "passive" or "challenge").Append(new LivenessCue("motion", movement, motion)).MinBy(c => c.Score)!;
        return new(false, score, weakest.Name switch
        {
            "passive" => "looked like a print or a screen",
            "challenge" => "the challenge was not met",
            _ => "moved like a flat object",
        }, cues);
    }

    /// <summary>A frame-level passive mean onto the cues' scale: <paramref name="threshold"/> maps to 0.5, 0 and 1 stay.</summary>
    internal static float Calibrate(float value, float threshold)
    {
        threshold = Math.Clamp(threshold, 1e-3f, 1 - 1e-3f);
        var v = Math.Clamp(value, 0f, 1f);
        return v < threshold ? 0.5f * v / threshold : 0.5f + 0.5f * (v - threshold) / (1 - threshold);
    }

    /// <summary>
    /// Every later frame against the first: the largest motion, and the largest homography residual of the frames that moved
    /// enough to tell (null when none did).
    /// </summary>
    internal static (double Motion, double? Residual) Planarity(IReadOnlyList<FrameObservation> faced)
    {
        var first = faced[0];
        double maxMotion = 0;
        double? maxResidual = null;
        foreach (var frame in faced.Skip(1))
        {
            if (PlanarMotion.Measure(first.Points, frame.Points, (first.FaceSize + frame.FaceSize) / 2) is not { } fit) continue;
            maxMotion = Math.Max(maxMotion, fit.Motion);
            if (fit.Motion < MinMotion) continue;
            maxResidual = Math.Max(maxResidual ?? 0, fit.Residual);
        }
        return (maxMotion, maxResidual);
    }

    /// <summary>
    /// A blink or the mouth opening and closing, from FaceMesh's points; null without them. Each frame is compared with
    /// the session's reference frame (the one whose eyes are open the median amount) carried onto it by their best
    /// homography, so a print tilted in front of the camera, whose eyes and mouth foreshorten with it, shows nothing:
    /// only a change the plane's motion does not explain counts. Value: the larger of the eye aspect ratio's relative
    /// fall and the mouth opening's change, each over its own pass point.
    /// </summary>
    internal static LivenessCue? NonRigid(IReadOnlyList<FrameObservation> faced)
    {
        if (!faced.All(f => f.HasMesh)) return null;
        var reference = faced.OrderBy(f => FaceGeometry.EyeAspectRatio(f.Points)).ElementAt(faced.Count / 2);
        double x = 0;
        foreach (var frame in faced)
        {
            if (ReferenceEquals(frame, reference) || PlanarMotion.Flatten(reference.Points, frame.Points) is not { } flat) continue;
            var eyes = FaceGeometry.EyeAspectRatio(flat);
            var drop = eyes > 0 ? 1 - FaceGeometry.EyeAspectRatio(frame.Points) / eyes : 0;
            var mouth = Math.Abs(FaceGeometry.MouthOpening(frame.Points) - FaceGeometry.MouthOpening(flat));
            x = Math.Max(x, Math.Max(drop / BlinkDrop, mouth / MouthRange));
        }
        return new LivenessCue("non_rigid", (float)(x / (x + 1)), x);
    }

    private static bool PlausibleTiming(IReadOnlyList<FrameObservation> frames)
    {
        for (var i = 1; i < frames.Count; i++)
        {
            var gap = frames[i].CaptureTimeMs - frames[i - 1].CaptureTimeMs;
            if (gap is < MinFrameIntervalMs or > MaxFrameIntervalMs) return false;
        }
        // Frames streamed as they are captured cannot have been captured over a longer time than they took to arrive: a
        // recording sent in a burst with its original times can.
        return frames.Count < 2
            || frames[^1].CaptureTimeMs - frames[0].CaptureTimeMs <= frames[^1].ReceivedMs - frames[0].ReceivedMs + CaptureSpanSlackMs;
    }

    /// <summary>
    /// From each frame to the next the face's centre may move by half its size plus five sizes a second of the capture
    /// gap, and its size change by half plus two times a second: a head moves fast, but does not teleport.
    /// </summary>
    internal static bool Continuous(IReadOnlyList<FrameObservation> faced)
    {
        for (var i = 1; i < faced.Count; i++)
        {
            FrameObservation a = faced[i - 1], b = faced[i];
            var seconds = Math.Max(0, b.CaptureTimeMs - a.CaptureTimeMs) / 1000.0;
            var size = Math.Max(1e-3, (a.FaceSize + b.FaceSize) / 2.0);
            var jump = Vector2.Distance(Centre(a), Centre(b)) / size;
            var growth = Math.Max(a.FaceSize, b.FaceSize) / Math.Max(1e-3, Math.Min(a.FaceSize, b.FaceSize));
            if (jump > 0.5 + 5 * seconds || growth > 1.5 + 2 * seconds) return false;
        }
        return true;
    }

    private static Vector2 Centre(FrameObservation f) => new(f.Box.X + f.Box.Width / 2, f.Box.Y + f.Box.Height / 2);
}
