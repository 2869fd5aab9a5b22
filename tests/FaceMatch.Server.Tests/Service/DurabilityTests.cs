using System.Collections.Concurrent;
using FaceMatch.Api.V1;
using FaceMatch.Server.Security;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using FaceMatchClient = FaceMatch.Api.V1.FaceMatch.FaceMatchClient;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FaceMatch.Server.Tests.Service;

/// <summary>
/// What a client was told is what the vault keeps: a real `facematch serve` is SIGKILLed during an enrolment load,
/// and SIGTERMed during sessions, then restarted on the same data directory; every template whose SessionResult
/// reached the client must still authenticate with its photo and be identified by the gallery rebuilt at start.
/// </summary>
public sealed class DurabilityTests(RestartFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RestartFixture>
{
    private sealed record Enrolment(string Photo, string TemplateId);

    private static readonly string[] Photos = [.. ServiceFixture.People(photos: 1).SelectMany(p => p.Photos)];
    private static readonly ConcurrentDictionary<string, byte[]> PhotoBytes = new();

    private static IEnumerable<byte[]> Still(string photo, int frames = 3) => Enumerable.Repeat(PhotoBytes.GetOrAdd(photo, File.ReadAllBytes), frames);

    [Fact]
    public async Task Sigkill_during_an_enrolment_load_loses_no_acknowledged_template()
    {
        var (tenantId, token) = await fixture.NewTenantAsync();
        var client = fixture.Client;
        var acknowledged = new ConcurrentQueue<Enrolment>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int workers = 4, killAfter = 12, maxSessions = 60;
        int started = 0, inFlight = 0;
        // Sessions are counted in and out, so the kill is known to land while some are running.
        var load = Enumerable.Range(0, workers).Select(w => Task.Run(() => EnrolUntilFailureAsync(client, token, w,
            () => Interlocked.Increment(ref started) <= maxSessions, acknowledged,
            () => { if (acknowledged.Count >= killAfter) enough.TrySetResult(); },
            () => Interlocked.Increment(ref inFlight), () => Interlocked.Decrement(ref inFlight)))).ToList();
        await Task.WhenAny(enough.Task, Task.WhenAll(load)).WaitAsync(TimeSpan.FromMinutes(3));
        Assert.All(load, t => Assert.False(t.IsCompleted, $"a load worker stopped before the kill: {(t.IsCompletedSuccessfully ? t.Result : t.Exception)}"));

        var runningAtKill = Volatile.Read(ref inFlight);
        await fixture.Serve.KillAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(load).WaitAsync(TimeSpan.FromMinutes(1));
        output.WriteLine($"{runningAtKill} running at kill; {acknowledged.Count} acknowledged");
        Assert.True(runningAtKill > 0, "no session was running when the process was killed");

        await fixture.RestartAsync();
        await AssertEveryTemplateKeptAsync(tenantId, token, [.. acknowledged]);
    }

    [Fact]
    public async Task Sigterm_stops_taking_sessions_ends_running_ones_cleanly_and_keeps_every_acknowledged_template()
    {
        var (tenantId, token) = await fixture.NewTenantAsync();
        var serve = fixture.Serve;
        var client = fixture.Client;
        var acknowledged = new ConcurrentQueue<Enrolment>();
        var loadRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var load = Enumerable.Range(0, 2).Select(w => Task.Run(() => EnrolUntilFailureAsync(client, token, w, () => true, acknowledged,
            () => { if (acknowledged.Count >= 4) loadRunning.TrySetResult(); }))).ToList();

        // A client slow to send its frames (it resumes during the grace period) and one that stops sending altogether.
        var slowPhoto = Photos[0];
        using var slow = client.Enroll(ServiceFixture.As(token, 120));
        await SendStartAndOneFrameAsync(slow, slowPhoto);
        using var stalled = client.Enroll(ServiceFixture.As(token, 120));
        await SendStartAndOneFrameAsync(stalled, Photos[1]);
        await Task.WhenAny(loadRunning.Task, Task.WhenAll(load)).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.All(load, t => Assert.False(t.IsCompleted, $"a load worker stopped before SIGTERM: {(t.IsCompletedSuccessfully ? t.Result : t.Exception)}"));

        // A trace for whoever reads a failure: what happened when, after the signal.
        var sinceSigterm = System.Diagnostics.Stopwatch.StartNew();
        void Trace(string what) => output.WriteLine($"{sinceSigterm.ElapsedMilliseconds,6} ms after SIGTERM: {what}");
        await serve.SignalAsync("TERM");
        var health = new Health.HealthClient(fixture.Channel);
        await WaitUntilAsync(async () => (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10))).Status == ServingStatus.NotServing,
            TimeSpan.FromSeconds(30), "health NOT_SERVING after SIGTERM");
        Trace("health NOT_SERVING");
        var refused = await Assert.ThrowsAsync<RpcException>(() => SessionDriver.RunAsync(client.Enroll(ServiceFixture.As(token)), new SessionStart(), Still(slowPhoto)));
        Trace($"new session: {refused.Status}");
        // Refused by the server itself, which still listens during the grace period, not by a closed port.
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(ReadinessInterceptor.ShuttingDown, refused.Status.Detail);

        // The slow client's session was running when the stop began: it finishes within the grace period, with its result.
        var finished = await SendRestAndFinishAsync(slow, slowPhoto, frames: 2);
        Trace($"slow session: enrolled {finished.Enrolled} {finished.Reason}");
        Assert.True(finished.Enrolled, $"the slow session ended '{finished.Reason}'");
        acknowledged.Enqueue(new Enrolment(slowPhoto, finished.TemplateId));

        // The stalled one is ended with a clear status once the grace period is over (its deadline is far later).
        var cut = await Assert.ThrowsAsync<RpcException>(async () => { while (await stalled.ResponseStream.MoveNext(CancellationToken.None)) { } });
        Trace($"stalled session: {cut.Status}");
        Assert.True(cut.StatusCode == StatusCode.Unavailable && cut.Status.Detail == ReadinessInterceptor.ShuttingDown, $"the stalled session ended {cut.StatusCode}: {cut.Status.Detail}");

        // Every load worker's sessions ran to their results until the next one was refused.
        var ends = await Task.WhenAll(load).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.All(ends, status => Assert.Equal(StatusCode.Unavailable, status));

        var exit = await serve.WaitForExitAsync(TimeSpan.FromSeconds(RestartFixture.ShutdownSeconds + 30));
        Trace($"exit {exit}, {acknowledged.Count} templates acknowledged; the server's log:\n{string.Join("\n", serve.Lines)}");
        Assert.True(exit == 0, $"exit {exit}: {await serve.Stderr}");
        Assert.Contains("facematch: stopped", serve.Lines);
        // Every call ended with a status the server chose: none was cut by a closed connection (logged as a failure).
        Assert.DoesNotContain(serve.Lines, l => l.StartsWith("fail:") || l.Contains("ended Internal"));

        await fixture.RestartAsync();
        await AssertEveryTemplateKeptAsync(tenantId, token, [.. acknowledged]);
    }

    /// <summary>
    /// Enrols photos one session after another until a session fails (the server went away or refused it) or
    /// <paramref name="mayStart"/> says no more; every template whose result arrived goes into
    /// <paramref name="acknowledged"/>. Returns the status that ended it (null: <paramref name="mayStart"/> did).
    /// </summary>
    private static async Task<StatusCode?> EnrolUntilFailureAsync(FaceMatchClient client, string token, int worker, Func<bool> mayStart,
        ConcurrentQueue<Enrolment> acknowledged, Action onAcknowledged, Action? enter = null, Action? exit = null)
    {
        for (var i = worker * 7; mayStart(); i++)
        {
            var photo = Photos[i % Photos.Length];
            enter?.Invoke();
            try
            {
                var outcome = await SessionDriver.RunAsync(client.Enroll(ServiceFixture.As(token)), new SessionStart(), Still(photo));
                if (!outcome.Result.Enrolled) continue;   // a photo under the quality bar: no template, nothing acknowledged
                acknowledged.Enqueue(new Enrolment(photo, outcome.Result.TemplateId));
                onAcknowledged();
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
            finally { exit?.Invoke(); }
        }
        return null;
    }

    private static async Task SendStartAndOneFrameAsync(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, string photo)
    {
        await call.RequestStream.WriteAsync(new SessionRequest { Start = new SessionStart() });
        await call.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(Still(photo, 1).Single()), CaptureTimeMs = 1_000 } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SessionEvent.KindOneofCase.Feedback, call.ResponseStream.Current.KindCase);
    }

    private static async Task<SessionResult> SendRestAndFinishAsync(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, string photo, int frames)
    {
        for (var i = 1; i <= frames; i++)
        {
            await call.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(Still(photo, 1).Single()), CaptureTimeMs = 1_000 + 100 * i } });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(SessionEvent.KindOneofCase.Feedback, call.ResponseStream.Current.KindCase);
        }
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SessionEvent.KindOneofCase.Result, call.ResponseStream.Current.KindCase);
        return call.ResponseStream.Current.Result;
    }

    /// <summary>
    /// The restarted server (its gallery loaded from the vault at start) has every acknowledged template: each
    /// authenticates with the photo it was enrolled from, and identifying that photo returns it.
    /// </summary>
    private async Task AssertEveryTemplateKeptAsync(string tenantId, string token, IReadOnlyList<Enrolment> acknowledged)
    {
        Assert.NotEmpty(acknowledged);
        Assert.True(acknowledged.Count <= SessionEnding.MaxTopK, "more templates than one Identify can list");
        var usage = await fixture.Admin.GetUsageAsync(new GetUsageRequest { TenantId = tenantId }, ServiceFixture.As(fixture.AdminTokenValue));
        // At least: a template written and committed just before the stop may never have reached its client.
        Assert.True(usage.Templates >= (ulong)acknowledged.Count, $"{usage.Templates} templates stored, {acknowledged.Count} acknowledged");

        var client = fixture.Client;
        foreach (var (photo, templateId) in acknowledged)
        {
            SessionResult result;
            try
            {
                result = (await SessionDriver.RunAsync(client.Authenticate(ServiceFixture.As(token)), new SessionStart { TemplateId = templateId }, Still(photo, 1))).Result;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                throw new Xunit.Sdk.XunitException($"acknowledged template {templateId} ({Path.GetFileName(photo)}) is gone after the restart: {e.Status.Detail}");
            }
            Assert.True(result.Match, $"{templateId} vs {Path.GetFileName(photo)}: {result.MatchScore} {result.Reason}");
        }
        foreach (var byPhoto in acknowledged.GroupBy(e => e.Photo))
        {
            var found = await SessionDriver.RunAsync(client.Identify(ServiceFixture.As(token)), new SessionStart { TopK = SessionEnding.MaxTopK }, Still(byPhoto.Key, 1));
            var ids = found.Result.Candidates.Select(c => c.TemplateId).ToHashSet();
            Assert.All(byPhoto, e => Assert.True(ids.Contains(e.TemplateId), $"Identify with {Path.GetFileName(e.Photo)} does not return {e.TemplateId}"));
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"no {what} within {timeout}");
            await Task.Delay(50);
        }
    }
}
