using System.Diagnostics;
using System.Text.Json;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Cli.Commands.Bench;

/// <summary>
/// `facematch bench models`: each default model of the manifest run bare (one whole batch per call, no queue) at
/// several batch sizes on FACEMATCH_DEVICE, in items per second; with profiling, the share of node time each ONNX
/// Runtime execution provider ran, read from ONNX Runtime's own profile, which is the proof of where the work went.
/// </summary>
internal static class ModelThroughputBenchmark
{
    public static void Run(Utf8JsonWriter w, ModelManifest manifest, ExecutionDevice device, IReadOnlyList<int> batches, double seconds, bool profile)
    {
        var profileDirectory = profile ? Directory.CreateTempSubdirectory("fm-ort-profile").FullName : null;
        try
        {
            var sessions = new OnnxSessionFactory(device, device.IsCuda ? 0 : 1, profileDirectory is null ? null : Path.Combine(profileDirectory, "ort"));
            w.WriteStartObject();
            w.WriteString("benchmark", "models");
            w.WriteString("device", device.ToString());
            w.WriteNumber("processors", Environment.ProcessorCount);
            w.WriteStartArray("models");
            foreach (var role in Enum.GetValues<ModelRole>())
            {
                if (manifest.ForRole(role) is not { } entry) continue;
                var model = new BatchedModel(entry, sessions, new BatcherOptions());
                try
                {
                    w.WriteStartObject();
                    w.WriteString("id", entry.Id);
                    w.WriteString("role", role.ToString().ToLowerInvariant());
                    w.WriteStartArray("batches");
                    foreach (var batch in batches) Time(w, model, batch, seconds);
                    w.WriteEndArray();
                    if (profileDirectory is not null) WriteProviders(w, model.EndProfiling());
                    w.WriteEndObject();
                }
                finally
                {
                    model.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        finally
        {
            if (profileDirectory is not null) Directory.Delete(profileDirectory, recursive: true);
        }
    }

    private static void Time(Utf8JsonWriter w, BatchedModel model, int batch, double seconds)
    {
        var random = new Random(batch);
        var items = Enumerable.Range(0, batch).Select(_ =>
        {
            var item = new float[model.ItemLength];
            for (var i = 0; i < item.Length; i++) item[i] = (float)random.NextDouble();
            return item;
        }).ToArray();
        model.RunBatch(items);   // warm-up: the first run allocates and, on CUDA, picks kernels
        var runs = 0;
        var watch = Stopwatch.StartNew();
        do { model.RunBatch(items); runs++; } while (watch.Elapsed.TotalSeconds < seconds);
        var elapsed = watch.Elapsed.TotalSeconds;
        w.WriteStartObject();
        w.WriteNumber("batch", batch);
        w.WriteNumber("runs", runs);
        w.WriteNumber("ms_per_batch", Math.Round(elapsed * 1000 / runs, 3));
        w.WriteNumber("items_per_sec", Math.Round(runs * batch / elapsed, 1));
        w.WriteEndObject();
    }

    /// <summary>The profile is a JSON array of trace events; a node's run is category "Node" with args.provider.</summary>
    private static void WriteProviders(Utf8JsonWriter w, string profilePath)
    {
        var byProvider = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(profilePath)))
        {
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.TryGetProperty("cat", out var cat) && cat.GetString() == "Node"
                    && e.TryGetProperty("args", out var args) && args.TryGetProperty("provider", out var provider)
                    && e.TryGetProperty("dur", out var dur))
                    byProvider[provider.GetString() ?? "?"] = byProvider.GetValueOrDefault(provider.GetString() ?? "?") + dur.GetInt64();
            }
        }
        var total = Math.Max(1, byProvider.Values.Sum());
        w.WriteStartObject("node_time_share_by_provider");
        foreach (var (provider, microseconds) in byProvider.OrderByDescending(p => p.Value))
            w.WriteNumber(provider, Math.Round((double)microseconds / total, 4));
        w.WriteEndObject();
    }
}
