using FaceMatch.Models.Manifest;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Detection;

/// <summary>
/// Finds faces with BlazeFace: the frame is letterboxed (aspect kept) into the model's square input,
/// the batched model runs, anchors are decoded and merged, and results map back to frame pixels.
/// </summary>
public sealed class BlazeFaceDetector(BatchedModel model, VisionOptions options) : IFaceDetector
{
    private readonly ImageTensorFormat _format = model.InputFormat;
    private readonly BlazeFaceDecoder _decoder = new(model.InputFormat.Width);

    public BatchedModel Model => model;

    /// <summary>Faces in <paramref name="image"/>, largest first.</summary>
    public async Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, CancellationToken cancellationToken)
    {
        var letterbox = default(LetterboxTransform);
        var outputs = await model.RunAsync(tensor => letterbox = Letterbox.ToTensor(image, _format, tensor), cancellationToken)
            .ConfigureAwait(false);
        var (scores, regressors) = SplitHeads(outputs);

        var candidates = _decoder.Decode(scores, regressors, options.MinDetectionScore ?? model.Entry.Threshold?.Value ?? VisionOptions.DefaultMinDetectionScore);
        return NonMaxSuppression.ToFrame(candidates, options, letterbox.ToSource);
    }

    /// <summary>
    /// Recognises the four heads by size, so output naming does not matter: the two regressor heads
    /// hold 16 values per anchor and are the largest; in each pair the stride-16 grid (more anchors)
    /// comes first in anchor order.
    /// </summary>
    private (float[] Scores, float[] Regressors) SplitHeads(float[][] outputs)
    {
        var bySize = outputs.OrderByDescending(o => o.Length).ToArray();
        if (bySize.Length != 4
            || bySize[0].Length != bySize[2].Length * BlazeFaceDecoder.Regressors
            || bySize[1].Length != bySize[3].Length * BlazeFaceDecoder.Regressors
            || bySize[2].Length + bySize[3].Length != _decoder.AnchorCount)
            throw new ModelManifestException($"detector '{model.Entry.Id}': outputs do not match BlazeFace's {_decoder.AnchorCount} anchors");
        return ([.. bySize[2], .. bySize[3]], [.. bySize[0], .. bySize[1]]);
    }

    public ValueTask DisposeAsync() => model.DisposeAsync();
}
