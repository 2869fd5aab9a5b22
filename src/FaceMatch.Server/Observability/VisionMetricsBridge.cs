using System.Diagnostics.Metrics;
using FaceMatch.Vision.Diagnostics;
using Prometheus;

namespace FaceMatch.Server.Observability;

/// <summary>
/// Carries Vision's System.Diagnostics.Metrics instruments (the library knows no exporter) into the server's
/// Prometheus metrics: each measurement is observed as it happens; the queue depths are read at every scrape.
/// One per process, started with the first server.
/// </summary>
internal sealed class VisionMetricsBridge
{
    private static readonly Lazy<VisionMetricsBridge> Instance = new(() => new VisionMetricsBridge());
    private readonly MeterListener _listener = new();
    private readonly HashSet<string> _queuesSeen = [];
    private readonly object _scrape = new();

    public static void EnsureStarted() => _ = Instance.Value;

    private VisionMetricsBridge()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == VisionMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (instrument == VisionMetrics.BatchSize) ServerMetrics.ModelBatchSize.WithLabels(Model(tags)).Observe(value);
            else if (instrument.Name == VisionMetrics.QueueDepthName) lock (_scrape)
            {
                var model = Model(tags);
                _queuesSeen.Add(model);
                ServerMetrics.ModelQueueDepth.WithLabels(model).Set(value);
            }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument == VisionMetrics.RunDuration) ServerMetrics.ModelRunDuration.WithLabels(Model(tags)).Observe(value);
            else if (instrument == VisionMetrics.DecodeDuration) ServerMetrics.DecodeDuration.Observe(value);
        });
        _listener.Start();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(ReadQueues);
    }

    private void ReadQueues()
    {
        lock (_scrape)
        {
            var before = _queuesSeen.ToArray();
            _queuesSeen.Clear();
            _listener.RecordObservableInstruments();
            // A disposed batcher reports nothing any more: drop its series rather than keep its last depth.
            foreach (var gone in before.Where(m => !_queuesSeen.Contains(m))) ServerMetrics.ModelQueueDepth.RemoveLabelled(gone);
        }
    }

    private static string Model(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
            if (tag.Key == VisionMetrics.ModelTag) return tag.Value as string ?? "";
        return "";
    }
}
