using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Support;

namespace FaceMatch.Server.Tests.Sessions;

/// <summary>The session verdict's cues on synthetic FaceMesh tracks: what each stops, and that a live head passes them all.</summary>
public sealed class SessionLivenessTests
{
    private const float PassiveThreshold = 0.5f;

    private static LivenessVerdict Decide(IEnumerable<FrameObservation> frames, float threshold = 0) =>
        SessionLiveness.Decide(frames.ToList(), 3, threshold, PassiveThreshold);

    private static IEnumerable<FrameObservation> Track(Func<int, HeadPose> pose, Func<HeadPose, System.Numerics.Vector2[]> face, int frames = 5, float passive = 0.95f) =>
        Enumerable.Range(0, frames).Select(i => SyntheticFace.Frame(i, face(pose(i)), passive));

    private static HeadPose Turning(int i) => new(Yaw: -8 + 4 * i, ShiftX: 3 * i);

    [Fact]
    public void A_head_turning_a_little_is_live_and_each_cue_says_so()
    {
        var verdict = Decide(Track(Turning, SyntheticFace.Head));
        Assert.True(verdict.Live, verdict.Describe());
        Assert.True(verdict.Cue("planar")!.Score >= 0.5f, verdict.Describe());
        Assert.True(verdict.Cue("passive")!.Score >= 0.5f, verdict.Describe());
        Assert.Equal("", verdict.Reason);
    }

    [Fact]
    public void A_print_moved_shifted_and_tilted_moves_like_a_flat_object()
    {
        var verdict = Decide(Track(i => new HeadPose(Yaw: 10 * Math.Sin(i), Pitch: 8 * Math.Cos(i), Distance: 1 + 0.05 * i, ShiftX: 10 * i), SyntheticFace.Print));
        Assert.False(verdict.Live, verdict.Describe());
        Assert.Equal("moved like a flat object", verdict.Reason);
        Assert.True(verdict.Cue("planar")!.Value < 0.001, verdict.Describe());
    }

    [Fact]
    public void A_live_looking_motion_with_a_print_like_passive_score_is_not_live()
    {
        var verdict = Decide(Track(Turning, SyntheticFace.Head, passive: 0.2f));
        Assert.False(verdict.Live, verdict.Describe());
        Assert.Equal("looked like a print or a screen", verdict.Reason);
        Assert.Equal(0.2f, verdict.Cue("passive")!.Score, 3);   // under the threshold the score scales to 0.5 at it
    }

    [Fact]
    public void A_still_stream_has_no_motion_to_judge_by_but_a_blink_is_motion_no_print_makes()
    {
        Assert.Equal("no motion to judge by", Decide(Track(_ => new HeadPose(), SyntheticFace.Head)).Reason);
        var blink = Decide(Track(i => new HeadPose(EyesOpen: i == 2 ? 0.1 : 1), SyntheticFace.Head));
        Assert.True(blink.Live, blink.Describe());
        Assert.True(blink.Cue("non_rigid")!.Score >= 0.5f, blink.Describe());
        // A mouth opening and closing counts too.
        var speaking = Decide(Track(i => new HeadPose(Mouth: i % 2 == 1 ? 0.9 : 0), SyntheticFace.Head));
        Assert.True(speaking.Live, speaking.Describe());
    }

    [Fact]
    public void Capture_times_must_step_forward_plausibly_and_not_span_longer_than_the_frames_took_to_arrive()
    {
        var frames = Track(Turning, SyntheticFace.Head).ToList();
        Assert.True(Decide(frames).Live);
        Assert.Equal("implausible capture times", Decide(frames.Select(f => f with { CaptureTimeMs = 1000 })).Reason);
        Assert.Equal("implausible capture times", Decide(frames.Select((f, i) => f with { CaptureTimeMs = 1000 + 6_000L * i })).Reason);
        // A recording sent in one burst with its original times: 2 s of capture arriving within 20 ms.
        var burst = frames.Select((f, i) => f with { CaptureTimeMs = 1000 + 500L * i, ReceivedMs = 5L * i }).ToList();
        Assert.Equal("implausible capture times", Decide(burst).Reason);
    }

    [Fact]
    public void A_face_that_jumps_between_frames_breaks_continuity()
    {
        var frames = Track(Turning, SyntheticFace.Head).ToList();
        // Frame 3 is another photo swapped in: the face is suddenly at the other side of the frame.
        frames[3] = SyntheticFace.Frame(3, SyntheticFace.Head(Turning(3) with { ShiftX = 400 }));
        Assert.Equal("the face jumped between frames", Decide(frames).Reason);
        // The same displacement spread over 4 s is a person walking across the picture.
        var slow = frames.Select((f, i) => f with { CaptureTimeMs = 1000 + 1000L * i, ReceivedMs = 1000L * i }).ToList();
        Assert.NotEqual("the face jumped between frames", Decide(slow).Reason);
    }

    [Fact]
    public void Missing_faces_and_too_few_frames_fail_first()
    {
        Assert.Equal("needs 3 frames with a face", Decide(Track(Turning, SyntheticFace.Head, frames: 2)).Reason);
        var frames = Track(Turning, SyntheticFace.Head).ToList();
        frames[2] = frames[2] with { Faces = 0, Embedding = null };
        Assert.Equal("a frame without a face", Decide(frames).Reason);
    }

    [Fact]
    public void A_tenant_threshold_raises_every_cues_bar()
    {
        var small = Track(i => new HeadPose(Yaw: 2.5 * i), SyntheticFace.Head).ToList();
        var verdict = Decide(small);
        Assert.True(verdict.Live, verdict.Describe());
        Assert.False(Decide(small, threshold: Math.Min(0.99f, verdict.Score + 0.05f)).Live);
    }

    [Fact]
    public void A_failed_challenge_fails_a_live_head()
    {
        var frames = Track(Turning, SyntheticFace.Head).ToList();
        var verdict = SessionLiveness.Decide(frames, 3, 0, PassiveThreshold, new LivenessCue("challenge", 0, 1));
        Assert.False(verdict.Live);
        Assert.Equal("the challenge was not met", verdict.Reason);
    }

    [Fact]
    public void The_passive_calibration_puts_the_models_threshold_at_one_half()
    {
        Assert.Equal(0.5f, SessionLiveness.Calibrate(0.8f, 0.8f), 5);
        Assert.Equal(0.25f, SessionLiveness.Calibrate(0.4f, 0.8f), 5);
        Assert.Equal(0.75f, SessionLiveness.Calibrate(0.9f, 0.8f), 5);
        Assert.Equal(1f, SessionLiveness.Calibrate(1f, 0.8f), 5);
    }
}
