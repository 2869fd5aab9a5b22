using System.Diagnostics;
using System.Threading.Channels;
using FaceMatch.Vision.Diagnostics;

namespace FaceMatch.Vision.Batching;

/// <summary>
/// Groups items submitted by concurrent callers into batches for one model run each. A batch
/// closes when it holds <see cref="BatcherOptions.MaxBatch"/> items or when its first item has
/// waited <see cref="BatcherOptions.MaxWait"/>; a full queue refuses new items at once so
/// overload is visible to callers instead of growing latency without bound. With
/// <see cref="BatcherOptions.RunInlineWhenIdle"/>, an item that finds nothing queued and a run slot
/// free runs at once on the caller's thread, sparing it two thread hand-offs.
/// </summary>
/// <remarks>The run delegate gets the batch's items and fills one result per item, in order.</remarks>
public sealed class DynamicBatcher<TItem, TResult> : IAsyncDisposable, IBatcherGauge
{
    public delegate void BatchRun(ReadOnlySpan<TItem> items, Span<TResult> results);

    private readonly Channel<Pending> _queue;
    private readonly BatchRun _run;
    private readonly BatcherOptions _options;
    private readonly string _name;
    private readonly Task[] _workers;
    // One slot per concurrent run (Workers); inline runs and the workers' batches both take one.
    private readonly SemaphoreSlim _slots;
    private long _batches, _items;
    private int _queued;

    public DynamicBatcher(string name, BatcherOptions options, BatchRun run)
    {
        options.Validate();
        _name = name;
        _options = options;
        _run = run;
        _slots = new SemaphoreSlim(options.Workers, options.Workers);
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = options.Workers == 1 });
        _workers = Enumerable.Range(0, options.Workers)
            .Select(_ => Task.Factory.StartNew(WorkerLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
            .ToArray();
        VisionMetrics.Register(this);
    }

    public string Name => _name;

    /// <summary>Items waiting for a run now.</summary>
    public int QueueDepth => Volatile.Read(ref _queued);
    public long BatchesRun => Interlocked.Read(ref _batches);
    public long ItemsRun => Interlocked.Read(ref _items);
    public BatcherOptions Options => _options;

    /// <summary>Queues one item and completes with its result once its batch has run.</summary>
    /// <exception cref="BatcherFullException">the queue is at capacity.</exception>
    public Task<TResult> SubmitAsync(TItem item, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Queued items keep their turn: the caller runs inline only when nothing waits and a slot is free.
        if (_options.RunInlineWhenIdle && _options.MaxWait == TimeSpan.Zero && Volatile.Read(ref _queued) == 0 && _slots.Wait(0))
            return RunInline(item);
        if (Interlocked.Increment(ref _queued) > _options.QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            throw new BatcherFullException(_name, _options.QueueCapacity);
        }
        var pending = new Pending(item, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(_name);
        }
        return pending.Completion.Task;
    }

    private Task<TResult> RunInline(TItem item)
    {
        try
        {
            var result = default(TResult)!;
            var started = Stopwatch.GetTimestamp();
            _run(new ReadOnlySpan<TItem>(in item), new Span<TResult>(ref result));
            VisionMetrics.RecordRun(_name, 1, started);
            Interlocked.Increment(ref _batches);
            Interlocked.Increment(ref _items);
            return Task.FromResult(result);
        }
        catch (Exception e)
        {
            return Task.FromException<TResult>(e);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task WorkerLoopAsync()
    {
        var batch = new List<Pending>(_options.MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // The slot first: items stay queued (and counted against the capacity) while an inline run holds it.
            await _slots.WaitAsync().ConfigureAwait(false);
            try
            {
                batch.Clear();
                if (!reader.TryRead(out var first)) continue;
                batch.Add(first);
                await FillAsync(reader, batch).ConfigureAwait(false);
                Interlocked.Add(ref _queued, -batch.Count);
                RunBatch(batch);
            }
            finally
            {
                _slots.Release();
            }
        }
    }

    /// <summary>Adds queued items until the batch is full or the first item's wait is over.</summary>
    private async ValueTask FillAsync(ChannelReader<Pending> reader, List<Pending> batch)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency);
        while (batch.Count < _options.MaxBatch)
        {
            if (reader.TryRead(out var next)) { batch.Add(next); continue; }
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero) return;
            if (remaining < TimeSpan.FromMilliseconds(2))
            {
                // Timers are too coarse below a couple of milliseconds: yield the core instead.
                Thread.Yield();
                continue;
            }
            using var timeout = new CancellationTokenSource(remaining);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false)) return;
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private void RunBatch(List<Pending> batch)
    {
        // Callers that gave up while queued are answered without spending model time on them.
        var live = batch.Where(p => !p.IsCancelled()).ToArray();
        if (live.Length == 0) return;
        var items = new TItem[live.Length];
        for (var i = 0; i < live.Length; i++) items[i] = live[i].Item;
        var results = new TResult[live.Length];
        var started = Stopwatch.GetTimestamp();
        try
        {
            _run(items, results);
        }
        catch (Exception e)
        {
            foreach (var p in live) p.Completion.TrySetException(e);
            return;
        }
        VisionMetrics.RecordRun(_name, live.Length, started);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _items, live.Length);
        for (var i = 0; i < live.Length; i++) live[i].Completion.TrySetResult(results[i]);
    }

    public async ValueTask DisposeAsync()
    {
        VisionMetrics.Unregister(this);
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _slots.Dispose();
    }

    private sealed class Pending(TItem item, CancellationToken cancellationToken)
    {
        public TItem Item { get; } = item;
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsCancelled()
        {
            if (!cancellationToken.IsCancellationRequested) return false;
            Completion.TrySetCanceled(cancellationToken);
            return true;
        }
    }
}
