using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Liveness;

/// <summary>One frame's passive liveness: each model's opinion and their combination, all 0..1 (1 = live).</summary>
public readonly record struct LivenessScore(float Combined, float? Antispoof, float? Liveness);

/// <summary>
/// Scores how likely a face is a live person rather than a print or a screen, from one frame,
/// with human-models' two passive models: `antispoof` (128×128 face crop → one sigmoid "real"
/// score) and `liveness` (32×32 face crop → softmax whose index 0 is the live score, as human reports it). Each sees a square crop
/// centred on the face box, resized; their scores are averaged. Either model may be absent.
/// </summary>
public sealed class PassiveLiveness(BatchedModel? antispoof, BatchedModel? liveness, float cropScale) : IAsyncDisposable
{
    public bool Available => antispoof is not null || liveness is not null;
    public BatchedModel? Antispoof => antispoof;
    public BatchedModel? LivenessModel => liveness;

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

    // The model's output 0, element 0: antispoof's sigmoid "real" score, liveness's softmax "live" entry.
    private async Task<float> RunAsync(BatchedModel model, RgbImage image, FaceDetection face, CancellationToken ct) =>
        (await model.RunAsync(tensor => WriteInput(model, image, face, tensor), ct).ConfigureAwait(false))[0][0];

    /// <summary>Writes <paramref name="model"/>'s input for <paramref name="face"/>: the square crop around its box, resized.</summary>
    public void WriteInput(BatchedModel model, RgbImage image, FaceDetection face, Span<float> destination)
    {
        var format = model.InputFormat;
        AffineWarp.ToTensor(image, SquareCrop(face.Box, cropScale, format.Width), format, destination);
    }

    /// <summary>Maps a square of side (larger box side × scale), centred on the box, onto size×size pixels.</summary>
    internal static AffineMatrix SquareCrop(FaceBox box, float scale, int size)
    {
        var side = Math.Max(box.Width, box.Height) * scale;
        var s = size / (double)side;
        var cx = box.X + box.Width / 2.0;
        var cy = box.Y + box.Height / 2.0;
        return new AffineMatrix(s, 0, size / 2.0 - cx * s, 0, s, size / 2.0 - cy * s);
    }

    public async ValueTask DisposeAsync()
    {
        if (antispoof is not null) await antispoof.DisposeAsync();
        if (liveness is not null) await liveness.DisposeAsync();
    }
}
