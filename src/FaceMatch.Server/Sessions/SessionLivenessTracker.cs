using FaceMatch.Api.V1;
using VaultLiveness = FaceMatch.Vault.Tenants.LivenessMode;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// What one session's liveness needs while its frames arrive: the server's clock for each frame (the capture-time cue
/// compares against it), and in challenge mode the challenge, which asks for actions through the frames' feedback and
/// keeps the session open until it is decided. The verdict itself is <see cref="SessionLiveness.Decide"/>.
/// </summary>
public sealed class SessionLivenessTracker
{
    private readonly TimeProvider _clock;
    private readonly long _started;

    public SessionLivenessTracker(VaultLiveness mode, TimeProvider clock, LivenessChallenge? challenge = null)
    {
        Mode = mode;
        _clock = clock;
        _started = clock.GetTimestamp();
        Challenge = mode == VaultLiveness.Challenge ? challenge ?? new LivenessChallenge(LivenessChallenge.RandomSequence()) : null;
    }

    public VaultLiveness Mode { get; }
    public LivenessChallenge? Challenge { get; }

    /// <summary>Whether a session that is not live ends with reason not_live (everything but ADVISORY).</summary>
    public bool Blocks => Mode is not VaultLiveness.Advisory;

    /// <summary>Milliseconds since the session started, on the server's clock: a frame's <see cref="FrameObservation.ReceivedMs"/>.</summary>
    public long Now() => (long)_clock.GetElapsedTime(_started).TotalMilliseconds;

    /// <summary>The challenge step to ask for in this frame's feedback, if one is due.</summary>
    public ChallengeStep? Observe(FrameObservation frame) => Challenge?.Observe(frame);

    /// <summary>
    /// Whether the server has what it needs: enough good frames and, in challenge mode, a decided challenge (a failed one
    /// ends the session at once: more frames cannot mend it).
    /// </summary>
    public bool Complete(int goodFrames, int goodFramesToFinish) =>
        Challenge is null ? goodFrames >= goodFramesToFinish : Challenge.Failed || (Challenge.Passed && goodFrames >= goodFramesToFinish);

    public LivenessVerdict Decide(IReadOnlyList<FrameObservation> frames, int minFrames, float threshold, float passiveThreshold)
    {
        var verdict = SessionLiveness.Decide(frames, minFrames, threshold, passiveThreshold, Challenge?.Cue);
        return Challenge?.Failure is { } why && verdict.Reason.Length > 0 && verdict.Cue("challenge") is { Score: 0 }
            ? verdict with { Reason = $"{verdict.Reason}: {why}" }
            : verdict;
    }
}
