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
        var first = batcher.SubmitAsync(0);
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
        var first = batcher.SubmitAsync(0);
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
        var first = batcher.SubmitAsync(0);
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
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatcherOptions { MaxBatch = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatcherOptions { QueueCapacity = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatcherOptions { MaxWait = TimeSpan.FromTicks(-1) }.Validate());
    }
}
