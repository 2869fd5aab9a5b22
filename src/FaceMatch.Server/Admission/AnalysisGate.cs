using FaceMatch.Server.Observability;

namespace FaceMatch.Server.Admission;

/// <summary>
/// The bounded queue in front of frame analysis (decode, detect, align, embed, liveness), server-wide: at most
/// <see cref="AdmissionOptions.MaxConcurrentFrames"/> frames are analysed at once and at most
/// <see cref="AdmissionOptions.MaxQueuedFrames"/> wait, first come first served; one more is refused at once. A frame
/// admitted therefore waits for at most a queue's worth of frames, which is what keeps admitted latency bounded
/// under overload. <see cref="IsCongested"/> (frames waiting now, not an average that goes stale when nothing
/// arrives) tells <see cref="SessionAdmission"/> to refuse new work before it queues behind the old.
/// </summary>
public sealed class AnalysisGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly AdmissionOptions _options;
    private int _waiting;

    public AnalysisGate(AdmissionOptions options)
    {
        _options = options;
        _slots = new SemaphoreSlim(options.MaxConcurrentFrames, options.MaxConcurrentFrames);
    }

    /// <summary>Frames waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>True while at least <see cref="AdmissionOptions.CongestedQueuedFrames"/> frames wait.</summary>
    public bool IsCongested => Waiting >= _options.CongestedQueuedFrames;

    /// <summary>Waits for an analysis slot; dispose the result when the frame's analysis is over.</summary>
    /// <exception cref="Grpc.Core.RpcException">RESOURCE_EXHAUSTED with a retry hint: the queue is full.</exception>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0)) return new Slot(this);
        if (Interlocked.Increment(ref _waiting) > _options.MaxQueuedFrames)
        {
            Interlocked.Decrement(ref _waiting);
            throw Overload.Refuse(Overload.Reason.FrameQueue, $"server over capacity ({_options.MaxQueuedFrames} frames already waiting); retry later");
        }
        ServerMetrics.AnalysisQueueDepth.Inc();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
            ServerMetrics.AnalysisQueueDepth.Dec();
            ServerMetrics.AnalysisQueueWait.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        return new Slot(this);
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>One frame's place in analysis; released once.</summary>
    public sealed class Slot(AnalysisGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate._slots.Release();
        }
    }
}
