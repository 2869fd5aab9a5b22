using FaceMatch.Api.V1;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Support;

namespace FaceMatch.Server.Tests.Sessions;

/// <summary>
/// The challenge protocol end to end on synthetic FaceMesh tracks, frame by frame as a session feeds it: each frame is
/// observed, its feedback may ask for the next action, and a simulated subject (or a replay that cannot see the
/// feedback) answers in the frames that follow. 200 ms between frames, on the server's clock.
/// </summary>
public sealed class LivenessChallengeTests
{
    private const long FrameMs = 200;

    /// <summary>A subject who does what each step asks, <paramref name="delayFrames"/> frames after it is asked, for two frames, then returns.</summary>
    private sealed class Subject(Func<string, HeadPose>? perform = null, int delayFrames = 2)
    {
        private string? _asked;
        private int _askedAt = int.MaxValue;

        public List<ChallengeStep> Asked { get; } = [];

        public HeadPose Pose(int frame)
        {
            if (_asked is null || frame < _askedAt + delayFrames || frame >= _askedAt + delayFrames + 2) return new HeadPose();
            return (perform ?? Perform)(_asked);
        }

        public void Hear(ChallengeStep? step, int frame)
        {
            if (step is null) return;
            Asked.Add(step);
            _asked = step.Action;
            _askedAt = frame;
        }
    }

    private static HeadPose Perform(string action) => action switch
    {
        "turn_left" => new HeadPose(Yaw: 20),
        "turn_right" => new HeadPose(Yaw: -20),
        "move_closer" => new HeadPose(Distance: 0.7),
        "blink" => new HeadPose(EyesOpen: 0.05),
        _ => throw new ArgumentException(action),
    };

    /// <summary>Runs frames through the challenge until it is decided or <paramref name="frames"/> have passed.</summary>
    private static LivenessChallenge Run(IReadOnlyList<ChallengeAction> sequence, Subject subject, int frames = 40, Func<int, HeadPose?>? overridePose = null)
    {
        var challenge = new LivenessChallenge(sequence);
        for (var i = 0; i < frames && !challenge.Finished; i++)
        {
            var pose = overridePose?.Invoke(i) ?? subject.Pose(i);
            subject.Hear(challenge.Observe(SyntheticFace.Frame(i, SyntheticFace.Head(pose), captureMs: 1_000 + i * FrameMs, receivedMs: i * FrameMs)), i);
        }
        return challenge;
    }

    public static TheoryData<ChallengeAction[]> Sequences => new()
    {
        { [ChallengeAction.TurnLeft, ChallengeAction.Blink] },
        { [ChallengeAction.TurnRight, ChallengeAction.TurnLeft, ChallengeAction.MoveCloser] },
        { [ChallengeAction.MoveCloser, ChallengeAction.TurnRight, ChallengeAction.Blink] },
        { [ChallengeAction.Blink, ChallengeAction.TurnLeft, ChallengeAction.TurnRight] },
    };

    [Theory]
    [MemberData(nameof(Sequences))]
    public void The_right_actions_in_time_pass_and_each_is_asked_for_in_turn(ChallengeAction[] sequence)
    {
        var subject = new Subject();
        var challenge = Run(sequence, subject);
        Assert.True(challenge.Passed, challenge.Failure);
        Assert.Equal(sequence.Select(LivenessChallenge.Name), subject.Asked.Select(s => s.Action));
        Assert.Equal(Enumerable.Range(1, sequence.Length).Select(i => (uint)i), subject.Asked.Select(s => s.Step));
        Assert.All(subject.Asked, s => Assert.Equal((uint)sequence.Length, s.Steps));
        Assert.Equal(1f, challenge.Cue.Score);
        Assert.Equal(sequence.Length, challenge.Met);
    }

    [Fact]
    public void The_first_action_is_asked_for_only_after_the_neutral_pose_is_known()
    {
        var subject = new Subject();
        var challenge = new LivenessChallenge([ChallengeAction.TurnLeft, ChallengeAction.Blink]);
        var asked = Enumerable.Range(0, 3).Select(i => challenge.Observe(SyntheticFace.Frame(i, SyntheticFace.Head(new HeadPose()), receivedMs: i * FrameMs))).ToList();
        Assert.Null(asked[0]);
        Assert.Null(asked[1]);
        Assert.Equal("turn_left", asked[2]!.Action);
        Assert.Equal(5_000u, asked[2]!.TimeLimitMs);
    }

    [Fact]
    public void The_wrong_action_fails()
    {
        var challenge = Run([ChallengeAction.TurnLeft, ChallengeAction.Blink], new Subject(_ => new HeadPose(Yaw: -20)));
        Assert.True(challenge.Failed);
        Assert.Equal("turn_left: asked for, turn_right shown", challenge.Failure);
        Assert.Equal(0f, challenge.Cue.Score);
        Assert.False(Run([ChallengeAction.Blink, ChallengeAction.TurnLeft], new Subject(_ => new HeadPose(Distance: 0.7))).Passed);
    }

    [Fact]
    public void A_missing_action_fails_once_its_time_is_up()
    {
        var challenge = Run([ChallengeAction.MoveCloser, ChallengeAction.Blink], new Subject(_ => new HeadPose()));
        Assert.True(challenge.Failed);
        Assert.Equal("move_closer: not shown within 5000 ms", challenge.Failure);
        // Too late is missing too: the subject answers 6 s after being asked.
        var late = Run([ChallengeAction.TurnRight, ChallengeAction.Blink], new Subject(delayFrames: 30), frames: 60);
        Assert.Equal("turn_right: not shown within 5000 ms", late.Failure);
    }

    [Fact]
    public void An_action_done_before_it_was_asked_for_fails()
    {
        // A replay that turns left while the neutral pose is being taken, then again once asked: it cannot see when it is asked.
        HeadPose? Replay(int frame) => frame is 1 or 4 or 5 ? new HeadPose(Yaw: 20) : new HeadPose();
        var challenge = Run([ChallengeAction.TurnLeft, ChallengeAction.Blink], new Subject(), overridePose: Replay);
        Assert.True(challenge.Failed);
        Assert.Equal("turn_left: shown before it was asked for", challenge.Failure);
        // Between steps too: the second action (turn right) done while coming back from the first.
        HeadPose? Eager(int frame) => frame switch { 5 or 6 => new HeadPose(Yaw: 20), 7 => new HeadPose(Yaw: -20), >= 9 and <= 10 => new HeadPose(Yaw: -20), _ => new HeadPose() };
        var eager = Run([ChallengeAction.TurnLeft, ChallengeAction.TurnRight], new Subject(), overridePose: Eager);
        Assert.Equal("turn_right: shown before it was asked for", eager.Failure);
    }

    [Fact]
    public void A_print_cannot_do_any_of_it()
    {
        foreach (var action in Enum.GetValues<ChallengeAction>())
        {
            // Held up and waved about: tilting a print can even shift its apparent yaw, but no blink, no depth.
            var challenge = new LivenessChallenge([action, action == ChallengeAction.Blink ? ChallengeAction.TurnLeft : ChallengeAction.Blink]);
            for (var i = 0; i < 40 && !challenge.Finished; i++)
                challenge.Observe(SyntheticFace.Frame(i, SyntheticFace.Print(new HeadPose(Yaw: 6 * Math.Sin(i), ShiftX: 5 * i)), receivedMs: i * FrameMs));
            Assert.False(challenge.Passed, $"{action}: {challenge.Failure}");
        }
    }

    [Fact]
    public void Random_sequences_have_two_or_three_actions_never_the_same_twice_in_a_row_and_cover_every_action()
    {
        var seen = new HashSet<(int, ChallengeAction)>();
        var lengths = new HashSet<int>();
        for (var n = 0; n < 400; n++)
        {
            var s = LivenessChallenge.RandomSequence();
            Assert.InRange(s.Count, 2, 3);
            lengths.Add(s.Count);
            for (var i = 0; i < s.Count; i++)
            {
                if (i > 0) Assert.NotEqual(s[i - 1], s[i]);
                seen.Add((i, s[i]));
            }
        }
        Assert.Equal([2, 3], lengths.Order());
        Assert.Equal(3 * 4, seen.Count);   // every action in every position
    }

    [Fact]
    public void The_tracker_keeps_a_challenge_session_open_until_the_challenge_is_decided()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var tracker = new SessionLivenessTracker(FaceMatch.Vault.Tenants.LivenessMode.Challenge, clock, new LivenessChallenge([ChallengeAction.Blink, ChallengeAction.TurnLeft]));
        Assert.False(tracker.Complete(goodFrames: 10, goodFramesToFinish: 5));
        Assert.True(tracker.Blocks);
        var required = new SessionLivenessTracker(FaceMatch.Vault.Tenants.LivenessMode.Required, clock);
        Assert.Null(required.Challenge);
        Assert.True(required.Complete(5, 5));
        Assert.False(new SessionLivenessTracker(FaceMatch.Vault.Tenants.LivenessMode.Advisory, clock).Blocks);
        clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(1500, tracker.Now());
    }
}
