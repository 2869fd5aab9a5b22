using Prometheus;

namespace FaceMatch.Server.Observability;

/// <summary>
/// The server's Prometheus metrics (prometheus-net's default registry, served at /metrics). Every FaceMatch
/// series starts with <c>facematch_</c>; labels are bounded (method names, status codes, model ids), never
/// anything a caller sends. Beside them: prometheus-net's process metrics (CPU, memory, GC, threads).
/// </summary>
public static class ServerMetrics
{
    // Declared first, so it runs before any metric below is registered: keep the process metrics, drop the
    // adapters that would publish every framework meter and event counter (hundreds of series nobody asked for).
    private static readonly bool DefaultsTrimmed = TrimDefaults();

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

    public static readonly Histogram ModelBatchSize = Metrics.CreateHistogram(
        "facematch_model_batch_size", "Items in one model run, by model.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = BatchBuckets });

    public static readonly Histogram ModelRunDuration = Metrics.CreateHistogram(
        "facematch_model_run_duration_seconds", "Wall time of one model run (a whole batch), by model.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = LatencyBuckets });

    public static readonly Gauge ModelQueueDepth = Metrics.CreateGauge(
        "facematch_model_queue_depth", "Items waiting for a model run, by model.",
        new GaugeConfiguration { LabelNames = ["model"] });

    public static readonly Histogram DecodeDuration = Metrics.CreateHistogram(
        "facematch_decode_duration_seconds", "Time to decode one image into pixels.",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Counter AdmissionRefused = Metrics.CreateCounter(
        "facematch_admission_refused_total", "Work refused RESOURCE_EXHAUSTED because the server was busy, by reason.",
        new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Gauge SessionsActive = Metrics.CreateGauge(
        "facematch_sessions_active", "Enroll, Authenticate and Identify sessions running now.");

    public static readonly Gauge AnalysisQueueDepth = Metrics.CreateGauge(
        "facematch_analysis_queue_depth", "Frames waiting for an analysis slot.");

    public static readonly Histogram AnalysisQueueWait = Metrics.CreateHistogram(
        "facematch_analysis_queue_wait_seconds", "Time a frame waited for an analysis slot (frames that had to wait).",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Counter WebSocketSessions = Metrics.CreateCounter(
        "facematch_websocket_sessions_total", "Sessions over the HTTP port's WebSocket endpoint, by kind and final status.",
        new CounterConfiguration { LabelNames = ["kind", "status"] });

    private static bool TrimDefaults()
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
        {
            SuppressProcessMetrics = false,
            SuppressDebugMetrics = true,
            SuppressEventCounters = true,
            SuppressMeters = true,
        });
        return true;
    }
}
