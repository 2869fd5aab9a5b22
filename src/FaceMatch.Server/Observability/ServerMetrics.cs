using FaceMatch.Matching.Galleries;
using Prometheus;

namespace FaceMatch.Server.Observability;

/// <summary>
/// The server's Prometheus metrics (prometheus-net's default registry, served at /metrics). Every FaceMatch
/// series starts with <c>facematch_</c>; labels are bounded (method names, status codes, model ids, the server's own
/// opaque tenant ids), never anything a caller sends. Beside them: prometheus-net's process metrics (CPU, memory, GC, threads).
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

    public static readonly Gauge GalleryBytes = Metrics.CreateGauge(
        "facematch_gallery_bytes", "Memory held by each tenant's 1:N gallery, by part: vectors (the native matrices, capacity " +
        "included), index (the approximate index), ids (managed: id strings, maps, flags; estimated).",
        new GaugeConfiguration { LabelNames = ["tenant", "part"] });

    public static readonly Gauge GalleryTemplates = Metrics.CreateGauge(
        "facematch_gallery_templates", "Templates in each tenant's 1:N gallery, by storage (float32, int8).",
        new GaugeConfiguration { LabelNames = ["tenant", "storage"] });

    private static readonly object GalleryLock = new();
    private static Func<IEnumerable<(string TenantId, GalleryMemoryUsage Usage, bool Compact)>>? s_galleries;
    private static HashSet<(string, string)> s_reportedTemplates = [];
    private static HashSet<string> s_reportedTenants = [];
    private static readonly bool GalleryCallbackAdded = AddGalleryCallback();

    /// <summary>Where the gallery gauges come from, read at each scrape (null: none, e.g. once the host stopped).</summary>
    public static void TrackGalleries(Func<IEnumerable<(string TenantId, GalleryMemoryUsage Usage, bool Compact)>>? source)
    {
        lock (GalleryLock) s_galleries = source;
    }

    private static bool AddGalleryCallback()
    {
        Metrics.DefaultRegistry.AddBeforeCollectCallback(UpdateGalleries);
        return true;
    }

    /// <summary>Sets the gallery gauges from the source and drops the series of galleries that are gone.</summary>
    private static void UpdateGalleries()
    {
        lock (GalleryLock)
        {
            var tenants = new HashSet<string>(StringComparer.Ordinal);
            var templates = new HashSet<(string, string)>();
            foreach (var (tenant, usage, compact) in s_galleries?.Invoke() ?? [])
            {
                tenants.Add(tenant);
                GalleryBytes.WithLabels(tenant, "vectors").Set(usage.NativeBytes);
                GalleryBytes.WithLabels(tenant, "index").Set(usage.IndexBytes);
                GalleryBytes.WithLabels(tenant, "ids").Set(usage.ManagedBytesEstimate);
                var storage = compact ? "int8" : "float32";
                templates.Add((tenant, storage));
                GalleryTemplates.WithLabels(tenant, storage).Set(usage.LiveRows);
            }
            foreach (var gone in s_reportedTenants.Where(t => !tenants.Contains(t)))
                foreach (var part in new[] { "vectors", "index", "ids" }) GalleryBytes.RemoveLabelled(gone, part);
            foreach (var (tenant, storage) in s_reportedTemplates.Where(t => !templates.Contains(t))) GalleryTemplates.RemoveLabelled(tenant, storage);
            s_reportedTenants = tenants;
            s_reportedTemplates = templates;
        }
    }

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
