using FaceMatch.Vision.Diagnostics;
using Prometheus;

namespace FaceMatch.Server.Observability;

/// <summary>
/// The server's Prometheus metrics (prometheus-net's default registry, served at /metrics). Every FaceMatch
/// series starts with <c>facematch_</c>; labels are bounded (method names, status codes, model ids), never
/// anything a caller sends.
/// </summary>
public static class ServerMetrics
{
    /// <summary>Latency buckets in seconds: 1 ms to 60 s, dense where sessions and model runs land.</summary>
    public static readonly double[] LatencyBuckets =
        [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Batch-size buckets: each power of two up to the largest CUDA batch.</summary>
    public static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128];

    public static readonly Counter Calls = Metrics.CreateCounter(
        "facematch_grpc_calls_total", "gRPC calls handled, by method and final status.",
        new CounterConfiguration { LabelNames = ["method", "status"] });

    public static readonly Histogram CallDuration = Metrics.CreateHistogram(
        "facematch_grpc_call_duration_seconds", "Wall time of gRPC calls, by method.",
        new HistogramConfiguration { LabelNames = ["method"], Buckets = LatencyBuckets });

    public static readonly Gauge CallsInFlight = Metrics.CreateGauge(
        "facematch_grpc_calls_in_flight", "gRPC calls running now, by method.",
        new GaugeConfiguration { LabelNames = ["method"] });

    private static int _configured;

    /// <summary>
    /// Publishes the libraries' System.Diagnostics.Metrics instruments (Vision's model runs, queues and decode
    /// times) through prometheus-net's meter adapter, and only those: the framework's own meters would add
    /// hundreds of series nobody asked for. Idempotent.
    /// </summary>
    public static void PublishLibraryMeters()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1) return;
        Metrics.ConfigureMeterAdapter(options =>
        {
            options.InstrumentFilterPredicate = instrument => instrument.Meter.Name == VisionMetrics.MeterName;
            options.ResolveHistogramBuckets = instrument => instrument == VisionMetrics.BatchSize ? BatchBuckets : LatencyBuckets;
        });
    }
}
