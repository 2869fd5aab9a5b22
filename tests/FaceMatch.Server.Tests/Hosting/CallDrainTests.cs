using FaceMatch.Server.Hosting;

namespace FaceMatch.Server.Tests.Hosting;

public sealed class CallDrainTests
{
    [Fact]
    public async Task A_stop_waits_for_the_admitted_calls_and_admits_no_more()
    {
        var drain = new CallDrain();
        var call = drain.TryEnter()!;
        var draining = drain.DrainAsync(CancellationToken.None);
        Assert.Null(drain.TryEnter());
        Assert.False(draining.IsCompleted);
        call.Dispose();
        Assert.Equal(0, await draining.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(drain.GraceOver.IsCancellationRequested);
    }

    [Fact]
    public async Task At_the_end_of_the_grace_period_the_running_calls_are_told_to_end()
    {
        var drain = new CallDrain();
        var call = drain.TryEnter()!;
        // The call ends as soon as it is told to, as a session waiting for frames does.
        drain.GraceOver.Register(call.Dispose);
        using var grace = new CancellationTokenSource();
        var draining = drain.DrainAsync(grace.Token);
        Assert.False(draining.IsCompleted);
        await grace.CancelAsync();
        Assert.Equal(0, await draining.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(drain.GraceOver.IsCancellationRequested);
    }

    [Fact]
    public async Task A_call_that_ignores_the_end_of_the_grace_period_is_counted_not_waited_for()
    {
        var drain = new CallDrain();
        using var call = drain.TryEnter()!;
        Assert.Equal(1, await drain.DrainAsync(new CancellationToken(canceled: true)).WaitAsync(CallDrain.StatusAllowance * 5));
    }
}
