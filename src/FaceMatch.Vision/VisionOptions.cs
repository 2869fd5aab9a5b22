using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Quality;

namespace FaceMatch.Vision;

/// <summary>Every setting of the vision pipeline, with defaults measured on this project's data.</summary>
public sealed record VisionOptions
{
    /// <summary>Cosine similarity at or above which two faces are taken for the same person.</summary>
    public float MatchThreshold { get; init; } = DefaultMatchThreshold;

    /// <summary>
    /// Chosen from data for the default embedder (face-api's ResNet-34 descriptor): the midpoint
    /// between the highest impostor score (0.9347: two different people in one of face-api's demo
    /// group photos, same light and camera) and the lowest genuine score (0.9403, ../shared faces)
    /// among every labelled pair we have. Another embedder needs its own threshold
    /// (FACEMATCH_MATCH_THRESHOLD or a tenant's policy); `facematch eval` reports the candidates.
    /// </summary>
    public const float DefaultMatchThreshold = 0.9375f;

    /// <summary>Detector confidence below which a candidate is dropped.</summary>
    public float MinDetectionScore { get; init; } = 0.5f;
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

    public BatcherOptions DetectorBatching { get; init; } = new() { MaxBatch = 8 };
    public BatcherOptions EmbedderBatching { get; init; } = new() { MaxBatch = 16 };
    public BatcherOptions LivenessBatching { get; init; } = new() { MaxBatch = 16 };

    /// <summary>Antispoof and liveness crops are this many face-box widths wide, centred on the box.</summary>
    public float LivenessCropScale { get; init; } = 1.0f;

    /// <summary>
    /// Reads FACEMATCH_MATCH_THRESHOLD, FACEMATCH_MIN_DETECTION_SCORE, FACEMATCH_INTRA_OP_THREADS,
    /// FACEMATCH_MAX_BATCH and FACEMATCH_BATCH_WAIT_US over the defaults.
    /// </summary>
    public static VisionOptions FromEnvironment()
    {
        var o = new VisionOptions();
        if (Read("FACEMATCH_INTRA_OP_THREADS") is { } threads)
            o = o with { IntraOpThreads = threads is >= 0 and <= 1024 && threads == Math.Floor(threads) ? (int)threads
                : throw new ArgumentException($"FACEMATCH_INTRA_OP_THREADS={threads} is not a thread count (0..1024, 0 = ONNX Runtime's choice)") };
        if (Read("FACEMATCH_MATCH_THRESHOLD") is { } t) o = o with { MatchThreshold = (float)t };
        if (Read("FACEMATCH_MIN_DETECTION_SCORE") is { } s) o = o with { MinDetectionScore = (float)s };
        if (Read("FACEMATCH_MAX_BATCH") is { } b)
            o = o with
            {
                DetectorBatching = o.DetectorBatching with { MaxBatch = (int)b },
                EmbedderBatching = o.EmbedderBatching with { MaxBatch = (int)b },
                LivenessBatching = o.LivenessBatching with { MaxBatch = (int)b },
            };
        if (Read("FACEMATCH_BATCH_WAIT_US") is { } w)
        {
            var wait = TimeSpan.FromMicroseconds(w);
            o = o with
            {
                DetectorBatching = o.DetectorBatching with { MaxWait = wait },
                EmbedderBatching = o.EmbedderBatching with { MaxWait = wait },
                LivenessBatching = o.LivenessBatching with { MaxWait = wait },
            };
        }
        return o;
    }

    private static double? Read(string name)
    {
        var text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        return double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ArgumentException($"{name}='{text}' is not a number");
    }
}
