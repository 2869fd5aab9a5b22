using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FaceMatch.Vision.Diagnostics;

/// <summary>
/// Vision's measurements as System.Diagnostics.Metrics instruments on the meter <see cref="MeterName"/>, so
/// the library stays free of any exporter: the server publishes them (as Prometheus metrics), tests and
/// dotnet-counters can listen to them. Durations are in seconds.
/// </summary>
public static class VisionMetrics
{
    public const string MeterName = "FaceMatch.Vision";
    public const string ModelTag = "model";
    public const string QueueDepthName = "facematch.model.queue.depth";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<IBatcherGauge, byte> Batchers = new();

    /// <summary>Items per model run, by model id.</summary>
    public static readonly Histogram<int> BatchSize =
        Meter.CreateHistogram<int>("facematch.model.batch.size", "{item}", "Items in one model run");

    /// <summary>Wall time of one model run (the whole batch), by model id.</summary>
    public static readonly Histogram<double> RunDuration =
        Meter.CreateHistogram<double>("facematch.model.run.duration", "s", "Time of one model run");

    /// <summary>Time to decode one image into pixels (header checks included).</summary>
    public static readonly Histogram<double> DecodeDuration =
        Meter.CreateHistogram<double>("facematch.decode.duration", "s", "Time to decode one image");

    static VisionMetrics()
    {
        // Read when a listener collects, so the depth is exact at scrape time rather than a running tally.
        Meter.CreateObservableGauge(QueueDepthName, ObserveQueues, "{item}", "Items waiting for a model run");
    }

    internal static void Register(IBatcherGauge batcher) => Batchers.TryAdd(batcher, 0);
    internal static void Unregister(IBatcherGauge batcher) => Batchers.TryRemove(batcher, out _);

    internal static void RecordRun(string model, int items, long startTimestamp)
    {
        var tag = new KeyValuePair<string, object?>(ModelTag, model);
        BatchSize.Record(items, tag);
        RunDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tag);
    }

    private static IEnumerable<Measurement<int>> ObserveQueues()
    {
        foreach (var batcher in Batchers.Keys)
            yield return new Measurement<int>(batcher.QueueDepth, new KeyValuePair<string, object?>(ModelTag, batcher.Name));
    }
}

/// <summary>What <see cref="VisionMetrics"/> reads of a live batcher.</summary>
internal interface IBatcherGauge
{
    string Name { get; }
    int QueueDepth { get; }
}
