using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Detection;

/// <summary>A face detector of the pipeline: faces in frame pixels, largest first.</summary>
public interface IFaceDetector : IAsyncDisposable
{
    BatchedModel Model { get; }

    Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, CancellationToken cancellationToken);
}
