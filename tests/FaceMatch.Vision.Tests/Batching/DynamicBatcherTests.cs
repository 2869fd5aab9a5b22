using System.Collections.Concurrent;
using FaceMatch.Vision.Batching;

namespace FaceMatch.Vision.Tests.Batching;

public class DynamicBatcherTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>A run delegate that doubles its inputs, records batch sizes and can be held closed.</summary>
    private sealed class GatedRun
    {
        public readonly ManualResetEventSlim Gate = new(true);
        public readonly ManualResetEventSlim Entered = new(false);
        public readonly ConcurrentQueue<int> BatchSizes = new();

        public void Run(ReadOnlySpan<int> items, Span<int> results)
        {
            Entered.Set();
            if (!Gate.Wait(Bound)) throw new TimeoutException("gate never opened");
            BatchSizes.Enqueue(items.Length);
            for (var i = 0; i < items.Length; i++) results[i] = items[i] * 2;
        }
    }

    [Fact]
    public async Task EveryCallerGetsTheResultOfItsOwnItem()
    {
        var run = new GatedRun();
        await using var batcher = new DynamicBatcher<int, int>("t", new BatcherOptions { MaxBatch = 7, QueueCapacity = 1000 }, run.Run);
        var tasks = Enumerable.Range(0, 300).Select(i => Task.Run(() => batcher.SubmitAsync(i))).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => i * 2), results);
        Assert.All(run.BatchSizes, size => Assert.InRange(size, 1, 7));
        Assert.Equal(300, run.BatchSizes.Sum());
    }

    [Fact]
    public async Task QueuedItemsAreGroupedUpToMaxBatch()
    {
        var run = new GatedRun();
        run.Gate.Reset();
        await using var batcher = new DynamicBatcher<int, int>("t", new BatcherOptions { MaxBatch = 4, MaxWait = TimeSpan.Zero }, run.Run);
        // From another thread: with the batcher idle, the first item runs on its caller's thread (inline).
        var first = Task.Run(() => batcher.SubmitAsync(0));
        Assert.True(run.Entered.Wait(Bound));          // the worker is now inside the first run
        var rest = Enumerable.Range(1, 10).Select(i => batcher.SubmitAsync(i)).ToArray();
        Assert.Equal(10, batcher.QueueDepth);
        run.Gate.Set();
        await Task.WhenAll(rest.Append(first)).WaitAsync(Bound);
        Assert.Equal([1, 4, 4, 2], run.BatchSizes.ToArray());
        Assert.Equal(4, batcher.BatchesRun);
    }

    [Fact]
    public async Task FullQueueRefusesAtOnceAndRecovers()
    {
        var run = new GatedRun();
        run.Gate.Reset();
        await using var batcher = new DynamicBatcher<int, int>("detector", new BatcherOptions { MaxBatch = 2, QueueCapacity = 3, MaxWait = TimeSpan.Zero }, run.Run);
        var first = Task.Run(() => batcher.SubmitAsync(0));
        Assert.True(run.Entered.Wait(Bound));
        var queued = Enumerable.Range(1, 3).Select(i => batcher.SubmitAsync(i)).ToArray();
        var refused = Assert.Throws<BatcherFullException>(() => { _ = batcher.SubmitAsync(99); });
        Assert.Contains("detector", refused.Message);
        run.Gate.Set();
        await Task.WhenAll(queued.Append(first)).WaitAsync(Bound);
        Assert.Equal(10, await batcher.SubmitAsync(5).WaitAsync(Bound));
    }

    [Fact]
    public async Task AFailingRunFailsOnlyItsOwnBatch()
    {
        var calls = 0;
        void Run(ReadOnlySpan<int> items, Span<int> results)
        {
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("model failed");
            for (var i = 0; i < items.Length; i++) results[i] = items[i];
        }
        await using var batcher = new DynamicBatcher<int, int>("t", new BatcherOptions { MaxBatch = 1 }, Run);
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SubmitAsync(1).WaitAsync(Bound));
        Assert.Equal(2, await batcher.SubmitAsync(2).WaitAsync(Bound));
    }

    [Fact]
    public async Task CallerCancelledWhileQueuedIsNotRun()
    {
        var run = new GatedRun();
        run.Gate.Reset();
        await using var batcher = new DynamicBatcher<int, int>("t", new BatcherOptions { MaxBatch = 8, MaxWait = TimeSpan.Zero }, run.Run);
        var first = Task.Run(() => batcher.SubmitAsync(0));
        Assert.True(run.Entered.Wait(Bound));
        using var cts = new CancellationTokenSource();
        var cancelled = batcher.SubmitAsync(1, cts.Token);
        var kept = batcher.SubmitAsync(2);
        cts.Cancel();
        run.Gate.Set();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Bound));
        Assert.Equal(4, await kept.WaitAsync(Bound));
        Assert.Equal([1, 1], run.BatchSizes.ToArray());
    }

    [Fact]
    public async Task AnIdleBatcherRunsTheItemOnTheCallersThread()
    {
        var runThread = -1;
        void Run(ReadOnlySpan<int> items, Span<int> results)
        {
            runThread = Environment.CurrentManagedThreadId;
            for (var i = 0; i < items.Length; i++) results[i] = items[i] + 1;
        }
        await using var batcher = new DynamicBatcher<int, int>("t", new BatcherOptions(), Run);
        var task = batcher.SubmitAsync(41);
        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(42, task.Result);
        Assert.Equal(Environment.CurrentManagedThreadId, runThread);

        await using var queued = new DynamicBatcher<int, int>("t", new BatcherOptions { RunInlineWhenIdle = false }, Run);
        Assert.Equal(8, await queued.SubmitAsync(7).WaitAsync(Bound));
        Assert.NotEqual(Environment.CurrentManagedThreadId, runThread);
    }

    [Fact]
    public async Task AnInlineFailureReachesOnlyItsCaller()
    {
        void Run(ReadOnlySpan<int> items, Span<int> results)
        {
            if (items[0] < 0) throw new InvalidOperationException("model failed");
            results[0] = items[0];
        }
        await using var batcher = new DynamicBatcher<int, int>("t", new BatcherOptions(), Run);
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SubmitAsync(-1));
        Assert.Equal(3, await batcher.SubmitAsync(3).WaitAsync(Bound)); // the slot was given back
    }

    [Fact]
    public async Task ItemsQueuedBehindAnInlineRunKeepTheirTurn()
    {
        var run = new GatedRun();
        run.Gate.Reset();
        await using var batcher = new DynamicBatcher<int, int>("t", new BatcherOptions { MaxBatch = 8 }, run.Run);
        var inline = Task.Run(() => batcher.SubmitAsync(0));
        Assert.True(run.Entered.Wait(Bound));
        var queued = Enumerable.Range(1, 3).Select(i => batcher.SubmitAsync(i)).ToArray();
        Assert.All(queued, t => Assert.False(t.IsCompleted));
        Assert.Equal(3, batcher.QueueDepth); // counted against the capacity while the inline run holds the slot
        run.Gate.Set();
        await Task.WhenAll(queued.Append(inline)).WaitAsync(Bound);
        Assert.Equal([1, 3], run.BatchSizes.ToArray());
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatcherOptions { MaxBatch = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatcherOptions { QueueCapacity = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatcherOptions { MaxWait = TimeSpan.FromTicks(-1) }.Validate());
    }
}
