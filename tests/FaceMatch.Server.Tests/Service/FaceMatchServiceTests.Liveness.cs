using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Server.Tests.Support.Attacks;

namespace FaceMatch.Server.Tests.Service;

/// <summary>
/// Liveness through `facematch serve`: each attack generator's stream against REQUIRED and CHALLENGE tenants, the same
/// people's genuine photos against an ADVISORY one. The server logs every session's cue scores (no identifiers); the
/// tests print them, which is where docs/liveness.md's per-attack numbers come from.
/// </summary>
public sealed partial class FaceMatchServiceTests
{
    /// <summary>People whose prints the passive model scores live as well as some it does not (docs/liveness.md).</summary>
    private static readonly string[] AttackedPeople = ["rose_leslie", "obama", "kit_harington"];

    /// <summary>The server's log line of the session's liveness cues (its output is read asynchronously, so it may lag the result).</summary>
    private string LivenessLine(string sessionId)
    {
        for (var wait = 0; wait < 50; wait++)
        {
            if (fixture.Serve.Lines.LastOrDefault(l => l.Contains($"session {sessionId} liveness")) is { } line) return line[line.IndexOf("liveness", StringComparison.Ordinal)..];
            Thread.Sleep(100);
        }
        return "(no liveness line)";
    }

    [Fact]
    public async Task Every_attack_generators_stream_fails_a_required_session()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Required);
        foreach (var person in AttackedPeople)
        {
            var photo = File.ReadAllBytes(ServiceFixture.People(photos: 1).Single(p => p.Person == person).Photos[0]);
            foreach (var (attack, make) in AttackStreams.All)
            {
                var session = await Enroll(token, make(photo, 5));
                output.WriteLine($"{person} {attack}: {session.Result.Reason} score {session.Result.LivenessScore:0.000} | {LivenessLine(session.Result.SessionId)}");
                Assert.True(session.Result.Reason == "not_live", $"{person} {attack}: {session.Result.Reason} | {LivenessLine(session.Result.SessionId)}");
                Assert.False(session.Result.Live);
                Assert.False(session.Result.Enrolled);
                Assert.All(session.Feedback, f => Assert.True(f.FaceFound, $"{person} {attack}: frame {f.FrameIndex} without a face"));
            }
        }
    }

    [Fact]
    public async Task The_attacked_peoples_genuine_photos_pass_an_advisory_session()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        foreach (var person in AttackedPeople)
        {
            var photos = ServiceFixture.People(photos: 1).Single(p => p.Person == person).Photos;
            var session = await Enroll(token, photos.Select(File.ReadAllBytes));
            output.WriteLine($"{person} genuine photos: '{session.Result.Reason}' live {session.Result.Live} score {session.Result.LivenessScore:0.000} | {LivenessLine(session.Result.SessionId)}");
            Assert.True(session.Result.Enrolled, $"{person}: {session.Result.Reason}");
            Assert.Equal("", session.Result.Reason);
            Assert.InRange(session.Result.LivenessScore, 0f, 1f);
        }
    }

    [Fact]
    public async Task A_challenge_is_asked_for_in_the_feedback_and_a_print_cannot_meet_it()
    {
        var (tenantId, token, _) = await fixture.NewTenantAsync(LivenessMode.Challenge);
        Assert.Equal(LivenessMode.Challenge, (await fixture.Admin.GetPolicyAsync(new GetPolicyRequest { TenantId = tenantId }, fixture.AsAdmin())).Policy.Liveness);
        var photo = File.ReadAllBytes(ServiceFixture.People(photos: 1).Single(p => p.Person == "rose_leslie").Photos[0]);
        foreach (var (attack, frames) in new[] { ("held-up-print", AttackStreams.HeldUpPrint(photo, 10)), ("still-photo", AttackStreams.StillPhoto(photo, 10)) })
        {
            var session = await Enroll(token, frames);
            output.WriteLine($"challenge {attack}: {session.Result.Reason} | {LivenessLine(session.Result.SessionId)}");
            // The session stays open past the usual five good frames while the challenge is undecided.
            Assert.Equal(10, session.Feedback.Count);
            var asked = session.Feedback.Where(f => f.Challenge is not null).ToList();
            var first = Assert.Single(asked);   // the print never does the first action, so no second is asked for
            Assert.Equal(2u, first.FrameIndex);  // after three frames of neutral pose
            Assert.Contains(first.Challenge.Action, new[] { "turn_left", "turn_right", "move_closer", "blink" });
            Assert.Equal(1u, first.Challenge.Step);
            Assert.InRange(first.Challenge.Steps, 2u, 3u);
            Assert.Equal(5_000u, first.Challenge.TimeLimitMs);
            Assert.Equal("not_live", session.Result.Reason);
            Assert.False(session.Result.Enrolled);
            Assert.Contains("challenge=0.000", LivenessLine(session.Result.SessionId));
        }
    }
}
