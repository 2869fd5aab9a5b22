namespace FaceMatch.Vault.Storage;

/// <summary>
/// Group commit. A writer finishes its store operations, then awaits <see cref="WaitForCommitAsync"/>; one
/// background loop takes a checkpoint for everyone who asked before it started, then releases them together.
/// A checkpoint begun after a writer's operation returned covers that operation, so an acknowledged write is
/// on disk. Writers arriving while a checkpoint runs ride on the next one: batches grow with load.
/// </summary>
internal sealed class GroupCommitter : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task> _commit;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private TaskCompletionSource _next = NewBatch();
    private int _waiting;
    private readonly Task _loop;

    /// <param name="commit">Makes everything written so far durable (a checkpoint); must be safe to call repeatedly.</param>
    public GroupCommitter(Func<CancellationToken, Task> commit)
    {
        _commit = commit;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Number of commits taken, for tests and diagnostics.</summary>
    public long Commits { get; private set; }

    public Task WaitForCommitAsync()
    {
        Task task;
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) throw new ObjectDisposedException(nameof(GroupCommitter));
            task = _next.Task;
            if (_waiting++ == 0) _wake.Release();
        }
        return task;
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (true)
        {
            try { await _wake.WaitAsync(token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            await CommitBatchAsync(token).ConfigureAwait(false);
        }
        // Whoever is still waiting gets one last commit rather than an error.
        await CommitBatchAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task CommitBatchAsync(CancellationToken token)
    {
        TaskCompletionSource batch;
        lock (_gate)
        {
            if (_waiting == 0) return;
            batch = _next;
            _next = NewBatch();
            _waiting = 0;
        }
        try
        {
            await _commit(token).ConfigureAwait(false);
            Commits++;
            batch.SetResult();
        }
        catch (VaultException ex)
        {
            // The store already said what went wrong (unavailable, a checkpoint that failed).
            batch.SetException(ex);
        }
        catch (Exception ex)
        {
            batch.SetException(new VaultStorageException("the write could not be made durable", ex));
        }
    }

    private static TaskCompletionSource NewBatch() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        lock (_gate) _stop.Cancel();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }
}
