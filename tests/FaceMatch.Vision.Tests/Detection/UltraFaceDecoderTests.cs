using FaceMatch.Vision.Detection;

namespace FaceMatch.Vision.Tests.Detection;

public sealed class UltraFaceDecoderTests
{
    [Fact]
    public void KeepsPriorsWhoseFaceProbabilityReachesTheMinimumAndScalesBoxesToInputPixels()
    {
        // Three priors: a face at 0.9, background-heavy at 0.3, a face at 0.8 with an empty (inverted) box.
        float[] scores = [0.1f, 0.9f, 0.7f, 0.3f, 0.2f, 0.8f];
        float[] boxes = [0.25f, 0.5f, 0.5f, 1f, 0.1f, 0.1f, 0.2f, 0.2f, 0.6f, 0.6f, 0.5f, 0.7f];
        var found = UltraFaceDetector.Decode(scores, boxes, 320, 240, 0.7f);
        var face = Assert.Single(found);
        Assert.Equal(0.9f, face.Score);
        Assert.Equal(new FaceBox(80, 120, 80, 120), face.Box);
        Assert.Empty(face.Keypoints);
        Assert.Equal(2, UltraFaceDetector.Decode(scores, boxes, 320, 240, 0.25f).Count);
    }

    [Fact]
    public void MismatchedHeadsAreRefused() =>
        Assert.Throws<ArgumentException>(() => UltraFaceDetector.Decode(new float[4], new float[4], 320, 240, 0.5f));
}
