using FaceMatch.Server.Admission;
using Grpc.Core;

namespace FaceMatch.Server.Tests.Admission;

public sealed class AdmissionTests
{
    private static AdmissionOptions Options(int concurrent = 2, int queued = 2, int congested = 2, int sessions = 4, int perTenant = 2) => new()
    {
        MaxConcurrentFrames = concurrent,
        MaxQueuedFrames = queued,
        CongestedQueuedFrames = congested,
        MaxSessions = sessions,
        MaxSessionsPerTenant = perTenant,
    };

    private static void AssertShed(RpcException e, string reason)
    {
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains(reason, e.Status.Detail);
        var hint = e.Trailers.GetValue(Overload.PushbackTrailer);
        Assert.NotNull(hint);
        var ms = long.Parse(hint!);
        Assert.InRange(ms, 1, 10_000);
    }

    [Fact]
    public async Task The_gate_runs_at_most_its_slots_queues_at_most_its_queue_and_refuses_the_rest()
    {
        using var gate = new AnalysisGate(Options(concurrent: 2, queued: 2));
        var a = await gate.EnterAsync(default);
        var b = await gate.EnterAsync(default);
        var c = gate.EnterAsync(default).AsTask();
        var d = gate.EnterAsync(default).AsTask();
        Assert.False(c.IsCompleted);
        Assert.False(d.IsCompleted);
        Assert.Equal(2, gate.Waiting);
        AssertShed(await Assert.ThrowsAsync<RpcException>(() => gate.EnterAsync(default).AsTask()), "frames already waiting");

        a.Dispose();
        a.Dispose();   // released once, however often disposed
        await Task.WhenAny(c, d);
        Assert.Equal(1, gate.Waiting);
        b.Dispose();
        await Task.WhenAll(c, d);
        Assert.Equal(0, gate.Waiting);
        (await c).Dispose();
        (await d).Dispose();
        (await gate.EnterAsync(default)).Dispose();
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue()
    {
        using var gate = new AnalysisGate(Options(concurrent: 1, queued: 1));
        using var held = await gate.EnterAsync(default);
        using var cancel = new CancellationTokenSource();
        var waiting = gate.EnterAsync(cancel.Token).AsTask();
        Assert.Equal(1, gate.Waiting);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, gate.Waiting);
        // Its place is free again: one more may wait.
        var next = gate.EnterAsync(default).AsTask();
        Assert.Equal(1, gate.Waiting);
        held.Dispose();
        (await next).Dispose();
    }

    [Fact]
    public async Task Sessions_are_capped_per_tenant_and_server_wide_and_freed_on_dispose()
    {
        using var gate = new AnalysisGate(Options());
        var admission = new SessionAdmission(Options(sessions: 3, perTenant: 2), gate);
        var a1 = admission.AdmitSession("a");
        var a2 = admission.AdmitSession("a");
        AssertShed(Assert.Throws<RpcException>(() => admission.AdmitSession("a")), "this tenant is at its limit of 2");
        var b1 = admission.AdmitSession("b");
        AssertShed(Assert.Throws<RpcException>(() => admission.AdmitSession("c")), "limit of 3 concurrent sessions");
        Assert.Equal(3, admission.Sessions);

        a1.Dispose();
        a1.Dispose();
        Assert.Equal(2, admission.Sessions);
        using var a3 = admission.AdmitSession("a");   // the tenant's refused attempt did not keep a place
        b1.Dispose();
        a2.Dispose();
        using var c1 = admission.AdmitSession("c");
        Assert.Equal(2, admission.Sessions);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task New_work_is_refused_while_frames_queue_and_admitted_again_once_they_drain()
    {
        using var gate = new AnalysisGate(Options(concurrent: 1, queued: 4, congested: 2));
        var admission = new SessionAdmission(Options(concurrent: 1, queued: 4, congested: 2), gate);
        var running = await gate.EnterAsync(default);
        var w1 = gate.EnterAsync(default).AsTask();
        admission.AdmitCall();   // one waiting: not congested yet
        var w2 = gate.EnterAsync(default).AsTask();
        AssertShed(Assert.Throws<RpcException>(() => admission.AdmitSession("a")), "frames are queueing");
        AssertShed(Assert.Throws<RpcException>(admission.AdmitCall), "frames are queueing");

        running.Dispose();
        (await w1).Dispose();
        (await w2).Dispose();
        admission.AdmitCall();
        admission.AdmitSession("a").Dispose();
    }

    [Theory]
    [InlineData("FACEMATCH_MAX_TENANT_SESSIONS", "500", "must be 1..FACEMATCH_MAX_SESSIONS (256)")]
    [InlineData("FACEMATCH_MAX_CONCURRENT_FRAMES", "0", "out of range")]
    [InlineData("FACEMATCH_CONGESTED_FRAMES", "100000", "must be at most FACEMATCH_MAX_QUEUED_FRAMES")]
    public void Bad_settings_name_their_variable(string variable, string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => AdmissionOptions.FromVariables(new System.Collections.Hashtable { [variable] = value }));
        Assert.StartsWith(variable, e.Message);
        Assert.Contains(message, e.Message);
    }
}
