using FaceMatch.Models.Manifest;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Detection;

/// <summary>
/// Finds faces with Linzaer's Ultra-Light-Fast-Generic-Face-Detector (RFB-320): the frame is letterboxed into the
/// 320×240 input, the graph scores 4420 priors and decodes their boxes itself (x1, y1, x2, y2 as fractions of the
/// input), candidates above the minimum score are merged and mapped back to frame pixels. It gives boxes only: the
/// pipeline's landmark stage supplies the keypoints alignment needs.
/// </summary>
public sealed class UltraFaceDetector(BatchedModel model, VisionOptions options) : IFaceDetector
{
    /// <summary>Used when neither FACEMATCH_MIN_DETECTION_SCORE nor the manifest entry sets one (upstream's default).</summary>
    public const float DefaultMinScore = 0.7f;

    private readonly ImageTensorFormat _format = model.InputFormat;

    public BatchedModel Model => model;

    /// <summary>A detector's outputs look like RFB-320's: two per-prior heads, the scores of 2 classes and 4 box values.</summary>
    public static bool Recognises(BatchedModel model) =>
        model.OutputNames.Count == 2 && model.Entry.Outputs.Count == 2
        && model.Entry.Outputs.Any(o => o.Shape is [_, _, 2]) && model.Entry.Outputs.Any(o => o.Shape is [_, _, 4]);

    public async Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, CancellationToken cancellationToken)
    {
        var letterbox = default(LetterboxTransform);
        var outputs = await model.RunAsync(tensor => letterbox = Letterbox.ToTensor(image, _format, tensor), cancellationToken)
            .ConfigureAwait(false);
        var (scores, boxes) = SplitHeads(outputs);
        var minScore = options.MinDetectionScore ?? model.Entry.Threshold?.Value ?? DefaultMinScore;
        var candidates = Decode(scores, boxes, _format.Width, _format.Height, minScore);
        return NonMaxSuppression.ToFrame(candidates, options, letterbox.ToSource);
    }

    /// <summary>Candidates in input pixels: priors whose face probability (class 1) is at least <paramref name="minScore"/>.</summary>
    internal static List<FaceDetection> Decode(ReadOnlySpan<float> scores, ReadOnlySpan<float> boxes, int width, int height, float minScore)
    {
        var priors = scores.Length / 2;
        if (boxes.Length != priors * 4) throw new ArgumentException($"{priors} priors of scores but {boxes.Length / 4.0} of boxes");
        var found = new List<FaceDetection>();
        for (var i = 0; i < priors; i++)
        {
            var score = scores[2 * i + 1];
            if (!(score >= minScore)) continue;
            float x1 = boxes[4 * i] * width, y1 = boxes[4 * i + 1] * height, x2 = boxes[4 * i + 2] * width, y2 = boxes[4 * i + 3] * height;
            if (!(x2 > x1 && y2 > y1)) continue;
            found.Add(new FaceDetection(new FaceBox(x1, y1, x2 - x1, y2 - y1), score, []));
        }
        return found;
    }

    /// <summary>The score head holds 2 values per prior, the box head 4: told apart by size, so output naming does not matter.</summary>
    private (float[] Scores, float[] Boxes) SplitHeads(float[][] outputs)
    {
        if (outputs.Length != 2 || outputs.Min(o => o.Length) * 2 != outputs.Max(o => o.Length))
            throw new ModelManifestException($"detector '{model.Entry.Id}': outputs are not RFB-320's scores (2 per prior) and boxes (4 per prior)");
        return outputs[0].Length < outputs[1].Length ? (outputs[0], outputs[1]) : (outputs[1], outputs[0]);
    }

    public ValueTask DisposeAsync() => model.DisposeAsync();
}
