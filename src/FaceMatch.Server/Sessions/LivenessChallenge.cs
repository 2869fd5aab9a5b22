using System.Security.Cryptography;
using FaceMatch.Api.V1;

namespace FaceMatch.Server.Sessions;

public enum ChallengeAction { TurnLeft, TurnRight, MoveCloser, Blink }

/// <summary>How a challenge is run and judged (docs/liveness.md#challenges says how the values were chosen).</summary>
public sealed record ChallengeOptions
{
    /// <summary>Frames with a face that set the neutral pose before the first action is asked for.</summary>
    public int BaselineFrames { get; init; } = 3;
    /// <summary>Time, on the server's clock, from asking for an action to the last frame that may show it (and for returning to neutral after it).</summary>
    public long TimeLimitMs { get; init; } = 5_000;
    /// <summary>Change of <see cref="FaceGeometry.Yaw"/> from the neutral pose that counts as a turn (about 10°).</summary>
    public double Turn { get; init; } = 0.25;
    /// <summary>Growth of the face's width over the neutral pose's that counts as moving closer.</summary>
    public double Closer { get; init; } = 1.25;
    /// <summary>Fall of the eye aspect ratio below the neutral pose's that counts as a blink (as <see cref="SessionLiveness.BlinkDrop"/>).</summary>
    public double BlinkDrop { get; init; } = SessionLiveness.BlinkDrop;
}

/// <summary>
/// A server-driven liveness challenge for one session: a sequence of 2 or 3 actions the server picked at random, asked
/// for one at a time in FrameFeedback, each checked from FaceMesh's points against the pose the face held when the
/// session began: head turns from <see cref="FaceGeometry.Yaw"/>, moving closer from the face's width, a blink from the
/// eye aspect ratio. An action must show in a frame that reaches the server within the time limit after it was asked,
/// before any other action does, and not before it was asked; after each, the face returns to its neutral pose before
/// the next is asked (so that coming back from one turn is never read as the other). A recording cannot know the
/// sequence in advance.
/// </summary>
public sealed class LivenessChallenge
{
    private enum Phase { Baseline, Asked, Returning, Passed, Failed }

    private readonly IReadOnlyList<ChallengeAction> _sequence;
    private readonly ChallengeOptions _options;
    private readonly List<Pose> _baseline = [];
    private Pose _neutral;
    private Phase _phase = Phase.Baseline;
    private int _step;
    private long _since;
    private readonly HashSet<ChallengeAction> _seenSinceLastStep = [];

    public LivenessChallenge(IReadOnlyList<ChallengeAction> sequence, ChallengeOptions? options = null)
    {
        if (sequence.Count == 0) throw new ArgumentException("a challenge needs at least one action", nameof(sequence));
        _sequence = sequence;
        _options = options ?? new ChallengeOptions();
    }

    public IReadOnlyList<ChallengeAction> Sequence => _sequence;
    public bool Finished => _phase is Phase.Passed or Phase.Failed;
    public bool Passed => _phase == Phase.Passed;
    public bool Failed => _phase == Phase.Failed;
    /// <summary>Why the challenge failed ("turn_left: not shown within 5000 ms"), or null.</summary>
    public string? Failure { get; private set; }
    /// <summary>Actions performed as asked.</summary>
    public int Met { get; private set; }

    /// <summary>The challenge as a liveness cue: 1 when every action was met, else 0.</summary>
    public LivenessCue Cue => new("challenge", Passed ? 1 : 0, Met);

    /// <summary>2 or 3 actions, each chosen uniformly by a cryptographic generator, never the same twice in a row.</summary>
    public static IReadOnlyList<ChallengeAction> RandomSequence()
    {
        var actions = Enum.GetValues<ChallengeAction>();
        var sequence = new List<ChallengeAction>();
        var length = RandomNumberGenerator.GetInt32(2, 4);
        while (sequence.Count < length)
        {
            var next = actions[RandomNumberGenerator.GetInt32(actions.Length)];
            if (sequence.Count == 0 || sequence[^1] != next) sequence.Add(next);
        }
        return sequence;
    }

    public static string Name(ChallengeAction action) => action switch
    {
        ChallengeAction.TurnLeft => "turn_left",
        ChallengeAction.TurnRight => "turn_right",
        ChallengeAction.MoveCloser => "move_closer",
        _ => "blink",
    };

    /// <summary>
    /// Takes the session's next frame (in order, <see cref="FrameObservation.ReceivedMs"/> on the server's clock) and
    /// returns the step to ask for in this frame's feedback, or null when nothing new is due.
    /// </summary>
    public ChallengeStep? Observe(FrameObservation frame)
    {
        if (Finished) return null;
        var now = frame.ReceivedMs;
        if (_phase is Phase.Asked or Phase.Returning && now - _since > _options.TimeLimitMs)
            return Fail(_phase == Phase.Asked
                ? $"{Name(_sequence[_step])}: not shown within {_options.TimeLimitMs} ms"
                : $"{Name(_sequence[_step - 1])}: no return to the neutral pose within {_options.TimeLimitMs} ms");
        if (!frame.HasFace || !frame.HasMesh) return null;
        var pose = Pose.Of(frame);
        switch (_phase)
        {
            case Phase.Baseline:
                _baseline.Add(pose);
                if (_baseline.Count < _options.BaselineFrames) return null;
                _neutral = Pose.Median(_baseline);
                return Ask(now);
            case Phase.Asked:
                var shown = Shown(pose);
                var asked = _sequence[_step];
                if (shown.Contains(asked))
                {
                    if (_seenSinceLastStep.Contains(asked)) return Fail($"{Name(asked)}: shown before it was asked for");
                    Met++;
                    _step++;
                    if (_step == _sequence.Count) { _phase = Phase.Passed; return null; }
                    _phase = Phase.Returning;
                    _since = now;
                    _seenSinceLastStep.Clear();
                    return null;
                }
                // Blinking is involuntary, so only a deliberate movement other than the one asked for is an answer.
                var deliberate = shown.Where(a => a != ChallengeAction.Blink).ToList();
                return deliberate.Count > 0 ? Fail($"{Name(asked)}: asked for, {Name(deliberate[0])} shown") : null;
            case Phase.Returning:
                foreach (var a in Shown(pose)) _seenSinceLastStep.Add(a);
                if (!Neutral(pose)) return null;
                return Ask(now);
            default:
                return null;
        }
    }

    private ChallengeStep Ask(long now)
    {
        // Anything the face did before this moment that matches the coming action was done before it was asked.
        if (_phase == Phase.Baseline) foreach (var p in _baseline) foreach (var a in Shown(p)) _seenSinceLastStep.Add(a);
        _phase = Phase.Asked;
        _since = now;
        return new ChallengeStep
        {
            Action = Name(_sequence[_step]),
            Step = (uint)(_step + 1),
            Steps = (uint)_sequence.Count,
            TimeLimitMs = (uint)_options.TimeLimitMs,
        };
    }

    private ChallengeStep? Fail(string why)
    {
        _phase = Phase.Failed;
        Failure = why;
        return null;
    }

    /// <summary>The actions a pose shows against the neutral pose.</summary>
    private List<ChallengeAction> Shown(Pose p)
    {
        var shown = new List<ChallengeAction>();
        if (_phase == Phase.Baseline && _baseline.Count < _options.BaselineFrames) return shown;
        var neutral = _phase == Phase.Baseline ? Pose.Median(_baseline) : _neutral;
        if (p.Yaw - neutral.Yaw >= _options.Turn) shown.Add(ChallengeAction.TurnLeft);
        if (p.Yaw - neutral.Yaw <= -_options.Turn) shown.Add(ChallengeAction.TurnRight);
        if (p.Width >= neutral.Width * _options.Closer) shown.Add(ChallengeAction.MoveCloser);
        if (p.Eyes <= neutral.Eyes * (1 - _options.BlinkDrop)) shown.Add(ChallengeAction.Blink);
        return shown;
    }

    /// <summary>Back near the neutral pose: within half a turn, a tenth of its width, and the eyes open again.</summary>
    private bool Neutral(Pose p) =>
        Math.Abs(p.Yaw - _neutral.Yaw) < _options.Turn / 2
        && p.Width < _neutral.Width * (1 + (_options.Closer - 1) / 2)
        && p.Eyes > _neutral.Eyes * (1 - _options.BlinkDrop / 2);

    private readonly record struct Pose(double Yaw, double Width, double Eyes)
    {
        public static Pose Of(FrameObservation f) =>
            new(FaceGeometry.Yaw(f.Points), FaceGeometry.FaceWidth(f.Points), FaceGeometry.EyeAspectRatio(f.Points));

        public static Pose Median(IReadOnlyList<Pose> poses)
        {
            static double M(IEnumerable<double> v) { var s = v.Order().ToArray(); return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2; }
            return new(M(poses.Select(p => p.Yaw)), M(poses.Select(p => p.Width)), M(poses.Select(p => p.Eyes)));
        }
    }
}
