using FaceMatch.Api.V1;
using FaceMatch.Client.Tests.Support;
using Grpc.Core;

namespace FaceMatch.Client.Tests;

/// <summary>
/// Retries, tokens and deadlines as a server sees them: the product host serving scripted services that refuse on
/// cue, over real HTTP/2 on loopback.
/// </summary>
public sealed class RetryBehaviourTests : IAsyncLifetime
{
    private ScriptedServer _server = null!;

    public async Task InitializeAsync() => _server = await ScriptedServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private FaceMatchClientOptions Options(FaceMatchRetryOptions? retry = null, string? token = "fm_scripted_token") => new()
    {
        Address = _server.Address,
        Token = token,
        // Short waits: these tests count attempts, not time.
        Retry = retry ?? new FaceMatchRetryOptions { InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(50) },
    };

    private static async IAsyncEnumerable<SessionFrame> TwoFrames()
    {
        await Task.Yield();
        yield return new SessionFrame(new byte[] { 1 }, TimeSpan.FromMilliseconds(100));
        yield return new SessionFrame(new byte[] { 2 }, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Compare_is_retried_on_unavailable_until_it_succeeds()
    {
        _server.Script.FailNext("Compare", 2, StatusCode.Unavailable);
        using var client = new FaceMatchClient(Options());

        var answer = await client.CompareAsync(new byte[3], new byte[4]);

        Assert.Equal(7, answer.Score);
        Assert.Equal(3, _server.Script.Attempts("Compare").Count);
    }

    [Fact]
    public async Task Retries_stop_at_the_attempt_limit_with_the_servers_status()
    {
        _server.Script.FailNext("Compare", 10, StatusCode.Unavailable);
        using var client = new FaceMatchClient(Options(new FaceMatchRetryOptions { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20) }));

        var e = await Assert.ThrowsAsync<RpcException>(() => client.CompareAsync(new byte[1], new byte[1]));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(3, _server.Script.Attempts("Compare").Count);
    }

    [Fact]
    public async Task Other_statuses_are_not_retried_unless_named()
    {
        _server.Script.FailNext("Compare", 1, StatusCode.ResourceExhausted);
        using (var client = new FaceMatchClient(Options()))
            Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<RpcException>(() => client.CompareAsync(new byte[1], new byte[1]))).StatusCode);
        Assert.Single(_server.Script.Attempts("Compare"));

        _server.Script.FailNext("Compare", 1, StatusCode.ResourceExhausted);
        using (var client = new FaceMatchClient(Options(new FaceMatchRetryOptions
               {
                   InitialBackoff = TimeSpan.FromMilliseconds(10),
                   RetryableStatusCodes = [StatusCode.Unavailable, StatusCode.ResourceExhausted],
               })))
            await client.CompareAsync(new byte[1], new byte[1]);
        Assert.Equal(3, _server.Script.Attempts("Compare").Count);
    }

    [Fact]
    public async Task Retries_can_be_turned_off()
    {
        _server.Script.FailNext("DeleteTemplate", 1, StatusCode.Unavailable);
        using var client = new FaceMatchClient(Options(new FaceMatchRetryOptions { MaxAttempts = 1 }));
        await Assert.ThrowsAsync<RpcException>(() => client.DeleteTemplateAsync("t"));
        Assert.Single(_server.Script.Attempts("DeleteTemplate"));
    }

    [Fact]
    public async Task Calls_that_are_unsafe_to_repeat_are_tried_once()
    {
        using var admin = new FaceMatchAdminClient(Options());
        _server.Script.FailNext("CreateTenant", 1, StatusCode.Unavailable);
        _server.Script.FailNext("IssueToken", 1, StatusCode.Unavailable);
        _server.Script.FailNext("SetPolicy", 1, StatusCode.Unavailable);

        await Assert.ThrowsAsync<RpcException>(() => admin.CreateTenantAsync("x"));
        await Assert.ThrowsAsync<RpcException>(() => admin.IssueTokenAsync("t", TokenMode.Production));
        await admin.SetPolicyAsync("t", new Policy());

        Assert.Single(_server.Script.Attempts("CreateTenant"));
        Assert.Single(_server.Script.Attempts("IssueToken"));
        Assert.Equal(2, _server.Script.Attempts("SetPolicy").Count);
    }

    [Fact]
    public async Task A_session_is_never_retried()
    {
        _server.Script.FailNext("Enroll", 1, StatusCode.Unavailable);
        using var client = new FaceMatchClient(Options());

        var e = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(TwoFrames()));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Single(_server.Script.Attempts("Enroll"));
    }

    [Fact]
    public async Task Every_attempt_carries_the_bearer_token_and_the_configured_deadline()
    {
        _server.Script.FailNext("Compare", 1, StatusCode.Unavailable);
        var options = new FaceMatchClientOptions
        {
            Address = _server.Address,
            Token = "fm_scripted_token",
            CallTimeout = TimeSpan.FromSeconds(123),
            SessionTimeout = TimeSpan.FromSeconds(97),
            Retry = new FaceMatchRetryOptions { InitialBackoff = TimeSpan.FromMilliseconds(10) },
        };
        using var client = new FaceMatchClient(options);

        var before = DateTime.UtcNow;
        await client.CompareAsync(new byte[1], new byte[1]);
        var session = await client.EnrollAsync(TwoFrames());
        var after = DateTime.UtcNow;

        Assert.Equal("scripted", session.TemplateId);
        var compares = _server.Script.Attempts("Compare");
        Assert.Equal(2, compares.Count);
        Assert.All(compares, a => Assert.Equal("Bearer fm_scripted_token", a.Authorization));
        // One deadline for the call, the retry included: the configured timeout from when the call began.
        Assert.All(compares, a => Assert.InRange(a.Deadline, before.AddSeconds(122), after.AddSeconds(124)));
        var enroll = Assert.Single(_server.Script.Attempts("Enroll"));
        Assert.Equal("Bearer fm_scripted_token", enroll.Authorization);
        Assert.InRange(enroll.Deadline, before.AddSeconds(96), after.AddSeconds(98));
    }

    [Fact]
    public async Task Without_a_token_no_authorization_is_sent()
    {
        using var client = new FaceMatchClient(Options(token: null));
        await client.CompareAsync(new byte[1], new byte[1]);
        Assert.Null(Assert.Single(_server.Script.Attempts("Compare")).Authorization);
    }

    [Fact]
    public async Task Cancelling_a_call_is_an_operation_cancelled_exception()
    {
        using var client = new FaceMatchClient(Options());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CompareAsync(new byte[1], new byte[1], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.EnrollAsync(TwoFrames(), cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task Feedback_comes_per_frame_in_order_then_the_result()
    {
        using var client = new FaceMatchClient(Options());
        var seen = new List<uint>();

        var result = await client.EnrollAsync(TwoFrames(), f => seen.Add(f.FrameIndex));

        Assert.Equal([0u, 1u], seen);
        Assert.True(result.Enrolled);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_source_is_read_only_as_fast_as_feedback_comes_back(int window)
    {
        var answeredAtPull = new List<int>();
        async IAsyncEnumerable<SessionFrame> Counted()
        {
            for (var i = 0; i < 8; i++)
            {
                await Task.Yield();
                answeredAtPull.Add(_server.Script.Answered);
                yield return new SessionFrame(new byte[] { (byte)i }, TimeSpan.FromMilliseconds(100 * i));
            }
        }
        using var paced = new FaceMatchClient(new FaceMatchClientOptions { Address = _server.Address, Token = "fm_scripted_token", MaxFramesInFlight = window });

        var seen = 0;
        await paced.IdentifyAsync(Counted(), _ => seen++);

        Assert.Equal(8, seen);
        // Frame k is asked for only once the server began answering frame k - window: never more than window ahead.
        for (var k = 0; k < answeredAtPull.Count; k++)
            Assert.True(answeredAtPull[k] >= k - window + 1, $"frame {k} pulled with {answeredAtPull[k]} answered (window {window})");
    }
}
