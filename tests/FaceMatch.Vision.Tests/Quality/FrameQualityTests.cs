using System.Numerics;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Quality;

namespace FaceMatch.Vision.Tests.Quality;

public class FrameQualityTests
{
    private readonly FrameQuality _quality = new(new QualityOptions());

    /// <summary>A frontal face with eye distance <paramref name="iod"/>, rotated by <paramref name="rollDegrees"/>, nose shifted sideways by <paramref name="noseShift"/>·iod.</summary>
    private static FaceDetection Face(float iod = 80, float rollDegrees = 0, float noseShift = 0, float noseDepth = 0.5f)
    {
        Vector2[] local =
        [
            new(-iod / 2, 0), new(iod / 2, 0),                 // right eye (image left), left eye
            new(noseShift * iod, noseDepth * iod), new(0, iod), // nose tip, mouth centre
            new(-iod, 0.2f * iod), new(iod, 0.2f * iod),        // ears
        ];
        var r = Matrix3x2.CreateRotation(rollDegrees * MathF.PI / 180) * Matrix3x2.CreateTranslation(300, 300);
        var points = local.Select(p => Vector2.Transform(p, r)).ToArray();
        return new FaceDetection(new FaceBox(300 - iod, 300 - iod, 2 * iod, 2.5f * iod), 0.9f, points);
    }

    private QualityReport Assess(FaceDetection face, int faces = 1, float luminance = 120, float laplacian = 400) =>
        _quality.Assess(new QualityInputs(face, faces, luminance, laplacian));

    [Fact]
    public void AGoodFrontalFaceScoresOneWithNoHints()
    {
        var r = Assess(Face());
        Assert.Equal(1f, r.Overall);
        Assert.Empty(r.Hints);
    }

    [Fact]
    public void EachProblemLowersItsOwnFactorAndAddsItsHint()
    {
        Assert.Contains(QualityHints.MoveCloser, Assess(Face(iod: 20)).Hints);
        Assert.True(Assess(Face(iod: 20)).Size < 0.1f);
        Assert.Contains(QualityHints.TooDark, Assess(Face(), luminance: 25).Hints);
        Assert.Contains(QualityHints.TooBright, Assess(Face(), luminance: 245).Hints);
        Assert.Contains(QualityHints.Blurry, Assess(Face(), laplacian: 10).Hints);
        Assert.Contains(QualityHints.MultipleFaces, Assess(Face(), faces: 3).Hints);
        Assert.True(Assess(Face(), laplacian: 10).Sharpness < Assess(Face(), laplacian: 100).Sharpness);
    }

    [Fact]
    public void YawAndPitchAskTheUserToFaceTheCamera()
    {
        var turned = Assess(Face(noseShift: 0.45f));
        Assert.Contains(QualityHints.TurnToCamera, turned.Hints);
        Assert.True(turned.Pose < 0.5f);
        Assert.Contains(QualityHints.TurnToCamera, Assess(Face(noseDepth: 0.1f)).Hints);   // head tipped back
        Assert.DoesNotContain(QualityHints.TurnToCamera, Assess(Face(noseShift: 0.1f)).Hints);
    }

    [Fact]
    public void RollIsMeasuredInTheFacesOwnFrame()
    {
        // A 15° roll is acceptable and must not read as yaw; 40° asks to straighten the head.
        var slight = Assess(Face(rollDegrees: 15));
        Assert.Empty(slight.Hints);
        Assert.Contains(QualityHints.StraightenHead, Assess(Face(rollDegrees: 40)).Hints);
        Assert.DoesNotContain(QualityHints.TurnToCamera, Assess(Face(rollDegrees: 40)).Hints);
    }

    [Fact]
    public void OverallIsBoundedByTheWeakestFactor()
    {
        var r = Assess(Face(iod: 35), luminance: 40);
        Assert.Equal(MathF.Min(r.Size, r.Exposure), r.Overall);
    }
}
