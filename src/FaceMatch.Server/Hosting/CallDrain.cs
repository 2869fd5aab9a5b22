namespace FaceMatch.Server.Hosting;

/// <summary>
/// The calls a graceful stop waits for. Calls that take work enter it while the server serves (the readiness gate
/// admits them); a stop closes it, so no call enters after, and waits for those inside until the grace period is
/// over. Then it cancels <see cref="GraceOver"/>, on which running calls end with a status the client can act on
/// (UNAVAILABLE), and gives them <see cref="StatusAllowance"/> to write it before the connections are closed.
/// </summary>
public sealed class CallDrain
{
    /// <summary>How long calls cancelled at the end of the grace period get to send their status.</summary>
    public static readonly TimeSpan StatusAllowance = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly CancellationTokenSource _graceOver = new();
    private readonly TaskCompletionSource _empty = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private bool _closed;

    /// <summary>Cancelled once the grace period of a stop is over: calls still running should end now.</summary>
    public CancellationToken GraceOver => _graceOver.Token;

    public int Running
    {
        get { lock (_gate) return _running; }
    }

    /// <summary>Admits a call until a stop began (then null); dispose the lease when the call ends.</summary>
    public IDisposable? TryEnter()
    {
        lock (_gate)
        {
            if (_closed) return null;
            _running++;
            return new Lease(this);
        }
    }

    /// <summary>
    /// Closes the drain and waits for the calls inside: until <paramref name="grace"/> is cancelled, then (having
    /// cancelled <see cref="GraceOver"/>) at most <see cref="StatusAllowance"/> more. Returns how many calls were
    /// still running when it gave up waiting (0: all ended).
    /// </summary>
    public async Task<int> DrainAsync(CancellationToken grace)
    {
        lock (_gate)
        {
            _closed = true;
            if (_running == 0) _empty.TrySetResult();
        }
        if (await EndsWithinAsync(_empty.Task, Timeout.InfiniteTimeSpan, grace).ConfigureAwait(false)) return 0;
        await _graceOver.CancelAsync().ConfigureAwait(false);
        return await EndsWithinAsync(_empty.Task, StatusAllowance, CancellationToken.None).ConfigureAwait(false) ? 0 : Running;
    }

    private static async Task<bool> EndsWithinAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            if (--_running == 0 && _closed) _empty.TrySetResult();
        }
    }

    private sealed class Lease(CallDrain drain) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) drain.Exit();
        }
    }
}
