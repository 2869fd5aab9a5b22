namespace FaceMatch.Vision.Batching;

/// <summary>How a <see cref="DynamicBatcher{TItem,TResult}"/> groups concurrent work into model runs.</summary>
public sealed record BatcherOptions
{
    /// <summary>Most items in one model run.</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>
    /// How long the first item of a batch waits for company. Zero (the default) runs whatever is
    /// queued at once: batches still form while the previous run is busy, which is all a CPU gains
    /// (per-item cost barely falls with batch size there). On a GPU, where a batch costs little more
    /// than one item, a wait of a few hundred microseconds buys larger batches.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.Zero;

    /// <summary>Items waiting beyond this are refused at once (<see cref="BatcherFullException"/>).</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>Model runs in flight at once.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// An item that finds the queue empty and a run slot free runs straight away on the caller's thread, skipping the
    /// hand-off to a worker and back (about half a millisecond per frame on 2 cores). The call then returns
    /// only when the run is done. Applies only with no <see cref="MaxWait"/>: a wait exists to gather company.
    /// </summary>
    public bool RunInlineWhenIdle { get; init; } = true;

    public void Validate()
    {
        if (MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatch), "must be at least 1");
        if (MaxWait < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxWait), "must not be negative");
        if (QueueCapacity < 1) throw new ArgumentOutOfRangeException(nameof(QueueCapacity), "must be at least 1");
        if (Workers < 1) throw new ArgumentOutOfRangeException(nameof(Workers), "must be at least 1");
    }
}

/// <summary>The batcher's queue is full: the caller should shed load (the service maps this to RESOURCE_EXHAUSTED).</summary>
public sealed class BatcherFullException(string name, int capacity)
    : Exception($"{name}: queue full ({capacity} waiting); server over capacity");
