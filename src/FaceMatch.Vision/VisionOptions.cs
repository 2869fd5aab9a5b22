using System.Collections;
using System.Globalization;
using FaceMatch.Models.Runtime;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Quality;

namespace FaceMatch.Vision;

/// <summary>Every setting of the vision pipeline, with defaults measured on this project's data.</summary>
public sealed record VisionOptions
{
    /// <summary>
    /// Cosine similarity at or above which two faces are taken for the same person. Null: the embedder's own
    /// threshold from the model manifest (measured per embedder; models.md says how). FACEMATCH_MATCH_THRESHOLD
    /// sets it, and a tenant's policy threshold overrides either.
    /// </summary>
    public float? MatchThreshold { get; init; }

    /// <summary>Detector confidence below which a candidate is dropped. Null: the detector's manifest threshold, else 0.5.</summary>
    public float? MinDetectionScore { get; init; }
    public const float DefaultMinDetectionScore = 0.5f;

    /// <summary>Side of the landmark net's square crop, in face-box sides (its longer one), centred on the box.</summary>
    public float LandmarkCropScale { get; init; } = 1.0f;

    /// <summary>Average each embedding with the embedding of the mirrored crop (twice the embedder's cost).</summary>
    public bool FlipAverage { get; init; }

    /// <summary>Candidates overlapping more than this (IoU) are merged.</summary>
    public float NmsIou { get; init; } = 0.3f;
    /// <summary>Score-weighted merging of overlapping candidates rather than keeping only the best.</summary>
    public bool WeightedNms { get; init; } = true;
    public int MaxFaces { get; init; } = 20;
    /// <summary>Faces whose box is narrower than this many source pixels are ignored.</summary>
    public float MinFacePixels { get; init; } = 20;

    /// <summary>Decoding stops scaling down (1/2, 1/4, 1/8) before the longer side drops under this.</summary>
    public int DecodeMinLongSide { get; init; } = 1024;
    public ImageDecodeOptions Decode { get; init; } = ImageDecodeOptions.Default;
    public QualityOptions Quality { get; init; } = new();

    /// <summary>
    /// ONNX Runtime threads per model run (0: ONNX Runtime's own choice). One by default: the models are small, so
    /// splitting one run's operators over threads costs more than it gains (measured on 2 cores: BlazeFace 5.0 ms
    /// on one thread, 6.5 ms on two), while running several frames, and a frame's embedder and liveness models,
    /// at once keeps every core busy.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>
    /// The detector is not batched on a CPU: its 256×256 inputs and activations outgrow the caches in a batch, so
    /// a frame costs more batched than alone (measured with 8 concurrent frames on 2 cores: 7.5 ms a frame at
    /// max batch 1, 10.2 ms at 8), while frames run side by side anyway. See <see cref="For"/> for a GPU.
    /// </summary>
    public BatcherOptions DetectorBatching { get; init; } = new() { MaxBatch = 1 };
    public BatcherOptions EmbedderBatching { get; init; } = new() { MaxBatch = 16 };
    public BatcherOptions LivenessBatching { get; init; } = new() { MaxBatch = 16 };
    public BatcherOptions LandmarkBatching { get; init; } = new() { MaxBatch = 16 };

    /// <summary>
    /// FaceMesh's square crop, in face-box sides (its longer one), centred on the box: on RFB-320's boxes 1.2 puts the
    /// mesh's eye corners, nose tip, mouth corners and chin nearest the 68 landmarks' (FaceMeshTests: 0.043 of the eye
    /// distance on average; Human's 1.5 is for BlazeFace's tighter boxes).
    /// </summary>
    public float MeshCropScale { get; init; } = 1.2f;

    /// <summary>Antispoof and liveness crops are this many face-box widths wide, centred on the box.</summary>
    public float LivenessCropScale { get; init; } = 1.0f;

    /// <summary>
    /// Defaults for where the models run. On the CPU, the values above with one run in flight per model for every
    /// two cores: runs take one thread each, so a larger machine needs more of them at once to fill its cores
    /// (measured on 2 cores, where that is one; the rule for more cores is not measured yet). For CUDA, batches
    /// of up to 32 that wait up to 200 µs for company, since a GPU runs a batch in little more time than one
    /// item (a rule of thumb too: no GPU has measured it for this project yet).
    /// </summary>
    public static VisionOptions For(ExecutionDevice device)
    {
        var cpu = new VisionOptions();
        if (!device.IsCuda)
        {
            var workers = Math.Max(1, Environment.ProcessorCount / 2);
            return cpu with
            {
                DetectorBatching = cpu.DetectorBatching with { Workers = workers },
                EmbedderBatching = cpu.EmbedderBatching with { Workers = workers },
                LivenessBatching = cpu.LivenessBatching with { Workers = workers },
                LandmarkBatching = cpu.LandmarkBatching with { Workers = workers },
            };
        }
        var gpu = new BatcherOptions { MaxBatch = 32, MaxWait = TimeSpan.FromMicroseconds(200) };
        return cpu with { IntraOpThreads = 0, DetectorBatching = gpu, EmbedderBatching = gpu, LivenessBatching = gpu, LandmarkBatching = gpu };
    }

    /// <summary>
    /// The defaults for FACEMATCH_DEVICE (<see cref="For"/>), with FACEMATCH_MATCH_THRESHOLD,
    /// FACEMATCH_MIN_DETECTION_SCORE, FACEMATCH_INTRA_OP_THREADS, FACEMATCH_MAX_BATCH and FACEMATCH_BATCH_WAIT_US over them.
    /// </summary>
    public static VisionOptions FromEnvironment() => FromVariables(Environment.GetEnvironmentVariables());

    /// <exception cref="ArgumentException">a variable is set to something it cannot take (the message names it).</exception>
    public static VisionOptions FromVariables(IDictionary variables)
    {
        double? Number(string name)
        {
            if (variables[name] is not string { Length: > 0 } text || string.IsNullOrWhiteSpace(text)) return null;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v
                : throw new ArgumentException($"{name}='{text}' is not a number");
        }
        int? Count(string name, int min, int max, string meaning) => Number(name) is not { } v ? null
            : v >= min && v <= max && v == Math.Floor(v) ? (int)v
            : throw new ArgumentException($"{name}={v} is not {meaning} ({min}..{max})");

        var o = For(ExecutionDevice.Parse(variables[ExecutionDevice.Variable] as string));
        if (Number("FACEMATCH_MATCH_THRESHOLD") is { } t) o = o with { MatchThreshold = (float)t };
        if (Number("FACEMATCH_MIN_DETECTION_SCORE") is { } s) o = o with { MinDetectionScore = (float)s };
        if (Count("FACEMATCH_INTRA_OP_THREADS", 0, 1024, "a thread count, 0 for ONNX Runtime's choice") is { } threads)
            o = o with { IntraOpThreads = threads };
        if (Count("FACEMATCH_MAX_BATCH", 1, 1024, "a batch size") is { } b)
            o = o with
            {
                DetectorBatching = o.DetectorBatching with { MaxBatch = b },
                EmbedderBatching = o.EmbedderBatching with { MaxBatch = b },
                LivenessBatching = o.LivenessBatching with { MaxBatch = b },
                LandmarkBatching = o.LandmarkBatching with { MaxBatch = b },
            };
        if (Count("FACEMATCH_BATCH_WAIT_US", 0, 1_000_000, "a wait in microseconds") is { } w)
        {
            var wait = TimeSpan.FromMicroseconds(w);
            o = o with
            {
                DetectorBatching = o.DetectorBatching with { MaxWait = wait },
                EmbedderBatching = o.EmbedderBatching with { MaxWait = wait },
                LivenessBatching = o.LivenessBatching with { MaxWait = wait },
                LandmarkBatching = o.LandmarkBatching with { MaxWait = wait },
            };
        }
        return o;
    }
}
