using FaceMatch.Models.Manifest;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Liveness;

/// <summary>One frame's passive liveness: each model's opinion and their combination, all 0..1 (1 = live).</summary>
public readonly record struct LivenessScore(float Combined, float? Antispoof, float? Liveness);

/// <summary>
/// Scores how likely a face is a live person rather than a print or a screen, from one frame, with the manifest's
/// default passive models: at most one of role antispoof and one of role liveness (the default is faceplugin's
/// MiniFASNet alone; docs/liveness.md has the measurements). Each model sees the crop its manifest entry describes
/// (<see cref="ModelCrop"/>; without one a square of the box's longer side × the pipeline's crop scale), and is read
/// at output 0, element 0, after a softmax when the entry says its outputs are logits. Their scores are averaged.
/// </summary>
public sealed class PassiveLiveness(BatchedModel? antispoof, BatchedModel? liveness, float cropScale) : IAsyncDisposable
{
    public bool Available => antispoof is not null || liveness is not null;
    public BatchedModel? Antispoof => antispoof;
    public BatchedModel? LivenessModel => liveness;

    /// <summary>Score at or above which a frame's face counts as live, when nothing overrides it.</summary>
    public const float DefaultThreshold = 0.5f;

    /// <summary>
    /// The frame-level decision threshold for <see cref="LivenessScore.Combined"/>: the mean of the loaded models' manifest
    /// thresholds (each measured for its model; <see cref="DefaultThreshold"/> for one without).
    /// </summary>
    public float Threshold => new[] { antispoof, liveness }.OfType<BatchedModel>().Select(m => m.Entry.Threshold?.Value ?? DefaultThreshold)
        .DefaultIfEmpty(DefaultThreshold).Average();

    /// <summary>The loaded models' ids, antispoof first ("faceplugin-liveness").</summary>
    public IReadOnlyList<string> ModelIds => new[] { antispoof, liveness }.OfType<BatchedModel>().Select(m => m.Entry.Id).ToList();

    /// <summary>Both models' scores and their mean. The image is read only before this returns its task.</summary>
    public async Task<LivenessScore> ScoreAsync(RgbImage image, FaceDetection face, CancellationToken cancellationToken)
    {
        // Both crops are cut now, so the models run side by side and the caller may release the image at once.
        var antispoofRun = antispoof is null ? null : RunAsync(antispoof, image, face, cancellationToken);
        var livenessRun = liveness is null ? null : RunAsync(liveness, image, face, cancellationToken);
        await Task.WhenAll(new[] { antispoofRun, livenessRun }.OfType<Task<float>>()).ConfigureAwait(false);
        float? sa = antispoofRun?.Result, sl = livenessRun?.Result;
        var parts = new[] { sa, sl }.Where(s => s.HasValue).Select(s => s!.Value).ToArray();
        var combined = parts.Length == 0 ? 0f : Math.Clamp(parts.Average(), 0f, 1f);
        return new LivenessScore(combined, sa, sl);
    }

    private async Task<float> RunAsync(BatchedModel model, RgbImage image, FaceDetection face, CancellationToken ct) =>
        Read(model.Entry, (await model.RunAsync(tensor => WriteInput(model, image, face, tensor), ct).ConfigureAwait(false))[0]);

    /// <summary>The live probability in one item's first output: element 0, after a softmax over the output if it holds logits.</summary>
    internal static float Read(ModelEntry entry, ReadOnlySpan<float> output)
    {
        if (entry.Outputs is not [{ Activation: "softmax" }, ..]) return Math.Clamp(output[0], 0f, 1f);
        var max = float.NegativeInfinity;
        foreach (var v in output) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in output) sum += Math.Exp(v - max);
        return (float)(Math.Exp(output[0] - max) / sum);
    }

    /// <summary>Writes <paramref name="model"/>'s input for <paramref name="face"/>: its crop around the box, resized.</summary>
    public void WriteInput(BatchedModel model, RgbImage image, FaceDetection face, Span<float> destination)
    {
        var format = model.InputFormat;
        var crop = model.Entry.Input.Crop ?? new ModelCrop { Scale = cropScale };
        AffineWarp.ToTensor(image, CropFor(face.Box, crop, image.Width, image.Height, format.Width, format.Height), format, destination);
    }

    /// <summary>Maps the crop <paramref name="crop"/> describes around <paramref name="box"/> onto the model's width × height.</summary>
    public static AffineMatrix CropFor(FaceBox box, ModelCrop crop, int imageWidth, int imageHeight, int width, int height)
    {
        double cx = box.X + box.Width / 2.0, cy = box.Y + box.Height / 2.0;
        double w = box.Width, h = box.Height;
        if (crop.Shape == "square") w = h = Math.Max(w, h);
        double scale = crop.Scale;
        if (crop.Clamp)
        {
            // The scale shrinks until the crop fits the frame, then the crop moves inward rather than reaching past the edge.
            scale = Math.Min(scale, Math.Min(imageWidth / w, imageHeight / h));
            w *= scale;
            h *= scale;
            // (A crop as wide as the frame leaves one place for its centre; rounding must not make that an empty range.)
            cx = Math.Clamp(cx, w / 2, Math.Max(w / 2, imageWidth - w / 2));
            cy = Math.Clamp(cy, h / 2, Math.Max(h / 2, imageHeight - h / 2));
        }
        else
        {
            w *= scale;
            h *= scale;
        }
        double sx = width / w, sy = height / h;
        return new AffineMatrix(sx, 0, width / 2.0 - cx * sx, 0, sy, height / 2.0 - cy * sy);
    }

    /// <summary>Maps a square of side (larger box side × scale), centred on the box, onto size×size pixels.</summary>
    internal static AffineMatrix SquareCrop(FaceBox box, float scale, int size) =>
        CropFor(box, new ModelCrop { Scale = scale }, int.MaxValue, int.MaxValue, size, size);

    public async ValueTask DisposeAsync()
    {
        if (antispoof is not null) await antispoof.DisposeAsync();
        if (liveness is not null) await liveness.DisposeAsync();
    }
}
