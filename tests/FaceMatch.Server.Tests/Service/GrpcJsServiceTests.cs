using System.Runtime.CompilerServices;
using System.Text.Json;
using FaceMatch.Server.Tests.Support;
using FaceMatch.Tests;
using Grpc.Core;

namespace FaceMatch.Server.Tests.Service;

/// <summary>
/// The facematch.v1 service driven by grpc-js 1.14.7, an independent client, over loopback: tests/interop/node/facematch.mjs
/// loads the server's own proto and runs one scenario (tenant and tokens, a several-photo enrolment, genuine and
/// impostor authentication, identification, erasure, the contract's statuses) against the class's `facematch serve`.
/// It runs once per fixture; each test below judges one part of what it printed.
/// </summary>
public sealed class GrpcJsServiceTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private static readonly ConditionalWeakTable<ServiceFixture, Task<JsonElement>> Runs = new();

    /// <summary>Five photos, every pair of which matches on the default embedder (0.95–0.999), so three of them make one
    /// enrolment session (the session's identity check compares every frame with the first) and two stay probes.</summary>
    private const string Person = "obama";

    private static readonly string Proto = Path.Combine(TestPaths.RepoRoot, "src", "FaceMatch.Server", "Protos", "facematch.proto");

    private Task<JsonElement> Scenario => Runs.GetValue(fixture, RunScenarioAsync);

    private static Task<JsonElement> RunScenarioAsync(ServiceFixture fixture)
    {
        var people = ServiceFixture.People(photos: 3);
        var person = people.Single(p => p.Person == Person).Photos;
        var others = people.Where(p => p.Person != Person).ToList();
        var input = JsonSerializer.Serialize(new
        {
            admin_token = fixture.AdminTokenValue,
            person = new { enroll = person[..3], genuine = person[3..] },
            // The rest of the gallery: each from their first two photos; their last photo is an impostor probe.
            others = others.Select(o => new { name = o.Person, photos = o.Photos[..2] }),
            impostors = others.Select(o => o.Photos[^1]),
        });
        return PeerProcess.RunWithInputAsync("facematch.mjs", input, TimeSpan.FromMinutes(5),
            "--target", $"127.0.0.1:{fixture.Serve.Port}", "--proto", Proto);
    }

    private async Task<JsonElement> Result()
    {
        var r = await Scenario;
        Assert.False(r.TryGetProperty("error", out var error), $"grpc-js scenario stopped: {error}");
        return r;
    }

    private static StatusCode Code(JsonElement call) => (StatusCode)call.GetProperty("code").GetInt32();

    private static string[] Order(JsonElement session) => session.GetProperty("order").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static JsonElement SessionResult(JsonElement session)
    {
        Assert.Equal(StatusCode.OK, Code(session));
        return session.GetProperty("result");
    }

    /// <summary>What true bidirectional streaming looks like from the client: frame i's feedback came before frame i+1 was sent.</summary>
    private static void AssertFeedbackBeforeNextFrame(JsonElement session, int frames)
    {
        var order = Order(session);
        for (var i = 0; i < frames; i++)
        {
            var feedback = Array.IndexOf(order, $"feedback {i}");
            Assert.True(feedback > Array.IndexOf(order, $"send frame {i}"), $"no feedback for frame {i} after it was sent: {string.Join(", ", order)}");
            if (i + 1 < frames)
                Assert.True(feedback < Array.IndexOf(order, $"send frame {i + 1}"), $"frame {i + 1} sent before frame {i}'s feedback: {string.Join(", ", order)}");
        }
        Assert.Equal(Enumerable.Range(0, frames), session.GetProperty("feedback").EnumerateArray().Select(f => f.GetProperty("frame_index").GetInt32()));
    }

    private static IEnumerable<JsonElement> Sessions(JsonElement r, string kind, string group) => r.GetProperty(kind).GetProperty(group).EnumerateArray();

    [Fact]
    public async Task Enrolment_from_several_photos_answers_each_frame_before_the_next_is_sent()
    {
        var r = await Result();
        var enroll = r.GetProperty("enroll");
        var frames = enroll.GetProperty("photos").GetArrayLength();
        Assert.True(frames >= 3);
        var expected = new List<string> { "send start" };
        for (var i = 0; i < frames; i++) expected.AddRange([$"send frame {i}", $"feedback {i}"]);
        expected.AddRange(["half_close", "result", "status OK"]);
        Assert.Equal(expected, Order(enroll));
        AssertFeedbackBeforeNextFrame(enroll, frames);
        Assert.All(enroll.GetProperty("feedback").EnumerateArray(), f => Assert.True(f.GetProperty("face_found").GetBoolean()));

        var result = SessionResult(enroll);
        Assert.True(result.GetProperty("enrolled").GetBoolean(), result.GetProperty("reason").GetString());
        Assert.Equal("", result.GetProperty("reason").GetString());
        Assert.NotEqual("", result.GetProperty("template_id").GetString());
        Assert.All(r.GetProperty("gallery").EnumerateArray(), g => Assert.True(g.GetProperty("enrolled").GetBoolean(), $"{g}"));

        // Every probe session, one frame each, streamed the same way.
        foreach (var session in Sessions(r, "authenticate", "genuine").Concat(Sessions(r, "authenticate", "impostor")).Concat(r.GetProperty("identify").EnumerateArray()))
            AssertFeedbackBeforeNextFrame(session, 1);
    }

    [Fact]
    public async Task Genuine_photos_match_the_template_and_impostors_do_not()
    {
        var r = await Result();
        var templateId = SessionResult(r.GetProperty("enroll")).GetProperty("template_id").GetString();
        var threshold = r.GetProperty("threshold").GetSingle();
        Assert.InRange(threshold, 0.5f, 1f);
        var compare = r.GetProperty("compare");
        Assert.True(compare.GetProperty("match").GetBoolean());
        Assert.True(compare.GetProperty("score").GetSingle() >= threshold);

        Assert.NotEmpty(Sessions(r, "authenticate", "genuine"));
        foreach (var probe in Sessions(r, "authenticate", "genuine"))
        {
            var result = SessionResult(probe);
            var score = result.GetProperty("match_score").GetSingle();
            Assert.Equal(templateId, result.GetProperty("template_id").GetString());
            Assert.True(result.GetProperty("match").GetBoolean(), $"{probe.GetProperty("photo")}: {score} {result.GetProperty("reason")}");
            Assert.True(score >= threshold, $"{probe.GetProperty("photo")}: {score} < {threshold}");
            Assert.Equal("", result.GetProperty("reason").GetString());
        }
        Assert.NotEmpty(Sessions(r, "authenticate", "impostor"));
        foreach (var probe in Sessions(r, "authenticate", "impostor"))
        {
            var result = SessionResult(probe);
            var score = result.GetProperty("match_score").GetSingle();
            Assert.False(result.GetProperty("match").GetBoolean(), $"{probe.GetProperty("photo")}: {score}");
            Assert.True(score < threshold, $"{probe.GetProperty("photo")}: {score} >= {threshold}");
            Assert.Equal("no_match", result.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task Identify_puts_the_person_first_among_everyone_enrolled()
    {
        var r = await Result();
        var templateId = SessionResult(r.GetProperty("enroll")).GetProperty("template_id").GetString();
        Assert.True(r.GetProperty("gallery").GetArrayLength() >= 2);
        Assert.NotEmpty(r.GetProperty("identify").EnumerateArray());
        foreach (var probe in r.GetProperty("identify").EnumerateArray())
        {
            var candidates = SessionResult(probe).GetProperty("candidates").EnumerateArray().ToArray();
            Assert.NotEmpty(candidates);
            Assert.Equal(templateId, candidates[0].GetProperty("template_id").GetString());
            var scores = candidates.Select(c => c.GetProperty("score").GetSingle()).ToArray();
            Assert.Equal(scores.OrderDescending(), scores);
        }
    }

    [Fact]
    public async Task An_erased_template_is_not_found_and_no_longer_identified()
    {
        var r = await Result();
        var templateId = SessionResult(r.GetProperty("enroll")).GetProperty("template_id").GetString();
        var erasure = r.GetProperty("erasure");
        Assert.Equal(StatusCode.OK, Code(erasure.GetProperty("delete")));
        Assert.True(erasure.GetProperty("delete").GetProperty("response").GetProperty("deleted").GetBoolean());

        var authenticate = erasure.GetProperty("authenticate");
        Assert.Equal(StatusCode.NotFound, Code(authenticate));
        Assert.Equal(JsonValueKind.Null, authenticate.GetProperty("result").ValueKind);
        // The same message however a template is missing: erased, or never there (the second delete).
        Assert.Equal(StatusCode.NotFound, Code(erasure.GetProperty("delete_again")));
        Assert.Equal(erasure.GetProperty("delete_again").GetProperty("details").GetString(), authenticate.GetProperty("details").GetString());

        var identify = SessionResult(erasure.GetProperty("identify"));
        Assert.DoesNotContain(identify.GetProperty("candidates").EnumerateArray(), c => c.GetProperty("template_id").GetString() == templateId);
    }

    /// <summary>The contract's status table (../shared/docs/api-contract.md), row by row, as grpc-js sees it.</summary>
    [Theory]
    [InlineData("no_token", StatusCode.Unauthenticated)]
    [InlineData("no_token_session", StatusCode.Unauthenticated)]
    [InlineData("unknown_token", StatusCode.Unauthenticated)]
    [InlineData("revoked_token", StatusCode.Unauthenticated)]
    [InlineData("tenant_token_on_admin", StatusCode.PermissionDenied)]
    [InlineData("admin_token_on_facematch", StatusCode.PermissionDenied)]
    [InlineData("admin_token_on_session", StatusCode.PermissionDenied)]
    [InlineData("first_message_not_start", StatusCode.InvalidArgument)]
    [InlineData("non_image_frame", StatusCode.InvalidArgument)]
    public async Task Refused_calls_get_the_contract_status(string situation, StatusCode expected)
    {
        var call = (await Result()).GetProperty("statuses").GetProperty(situation);
        Assert.Equal(expected, Code(call));
        Assert.NotEqual("", call.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Invalid_sessions_say_why()
    {
        var statuses = (await Result()).GetProperty("statuses");
        Assert.Contains("start", statuses.GetProperty("first_message_not_start").GetProperty("details").GetString());
        Assert.StartsWith("image not decodable", statuses.GetProperty("non_image_frame").GetProperty("details").GetString());
        // Refused at the door: no session result, no feedback, whatever the client had sent.
        foreach (var name in new[] { "no_token_session", "admin_token_on_session", "first_message_not_start", "non_image_frame" })
            Assert.DoesNotContain(Order(statuses.GetProperty(name)), e => e == "result" || e.StartsWith("feedback"));
    }

    [Fact]
    public async Task The_tenant_lifecycle_is_counted_and_ends_deleted()
    {
        var r = await Result();
        Assert.Equal("LIVENESS_MODE_ADVISORY", r.GetProperty("tenant").GetProperty("liveness").GetString());
        Assert.Equal("TOKEN_MODE_PRODUCTION", r.GetProperty("tokens").GetProperty("production_mode").GetString());
        Assert.True(r.GetProperty("tokens").GetProperty("revoked").GetBoolean());
        var gallery = r.GetProperty("gallery").GetArrayLength();
        var usage = r.GetProperty("usage");
        // uint64 counters come as strings (proto-loader's longs: String).
        Assert.Equal((1 + gallery).ToString(), usage.GetProperty("enrollments").GetString());
        Assert.Equal(gallery.ToString(), usage.GetProperty("templates").GetString());   // the person's was erased
        Assert.True(r.GetProperty("tenant").GetProperty("deleted").GetBoolean());
    }
}
