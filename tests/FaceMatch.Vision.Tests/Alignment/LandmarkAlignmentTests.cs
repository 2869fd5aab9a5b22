using System.Numerics;
using FaceMatch.Vision.Alignment;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Tests.Pipeline;

namespace FaceMatch.Vision.Tests.Alignment;

public sealed class LandmarkAlignmentTests
{
    /// <summary>68 distinct points: point i at (i, 2i + 0.25), so every derived point says which inputs it used.</summary>
    private static Vector2[] Numbered() => Enumerable.Range(0, 68).Select(i => new Vector2(i, 2 * i + 0.25f)).ToArray();

    [Fact]
    public void FivePointsAreTheEyeContourMeansTheNoseTipAndTheMouthCorners()
    {
        var five = FaceLandmarker.FivePoints(Numbered());
        Assert.Equal(new Vector2(38.5f, 77.25f), five[0]); // mean of 36..41
        Assert.Equal(new Vector2(44.5f, 89.25f), five[1]); // mean of 42..47
        Assert.Equal(new Vector2(30f, 60.25f), five[2]);
        Assert.Equal(new Vector2(48f, 96.25f), five[3]);
        Assert.Equal(new Vector2(54f, 108.25f), five[4]);
        Assert.Throws<ArgumentException>(() => FaceLandmarker.FivePoints(new Vector2[5]));
    }

    [Fact]
    public void LandmarksGiveTheSixKeypointsTheRestOfThePipelineReads()
    {
        var face = new FaceDetection(new FaceBox(0, 0, 100, 100), 0.9f, []);
        Assert.False(face.HasKeypoints);
        var withLandmarks = FaceLandmarker.WithLandmarks(face, Numbered());
        Assert.True(withLandmarks.HasKeypoints);
        Assert.Equal(new Vector2(51f, 102.25f), withLandmarks.Keypoints[FaceDetection.Mouth]);
        Assert.Equal(new Vector2(0f, 0.25f), withLandmarks.Keypoints[FaceDetection.RightEar]);
        Assert.Equal(new Vector2(16f, 32.25f), withLandmarks.Keypoints[FaceDetection.LeftEar]);
        // Mapping a face (letterbox → frame) maps its landmarks too.
        var mapped = withLandmarks.Map(p => p * 2);
        Assert.Equal(withLandmarks.Landmarks![67] * 2, mapped.Landmarks![67]);
    }

    [Fact]
    public void FivePointTargetsAgreeWithTheFourPointTemplates()
    {
        foreach (var t in new[] { AlignmentTemplate.ArcFace112, AlignmentTemplate.DlibChip150(), AlignmentTemplate.ForInput(224, 224) })
        {
            var five = t.FivePointTargets!;
            for (var i = 0; i < 3; i++) Assert.Equal(t.Targets[i], five[i]);
            Assert.True(Vector2.Distance((five[3] + five[4]) / 2, t.Targets[3]) < 0.05f, $"{t.Name}: mouth corners' midpoint off the mouth target");
            Assert.True(five[3].X < five[4].X, $"{t.Name}: the subject's right mouth corner is on the image's left");
        }
        // InsightFace's published points, moved to pixel centres at +0.5.
        Assert.Equal(new Vector2(41.5493f + 0.5f, 92.3655f + 0.5f), AlignmentTemplate.ArcFace112.FivePointTargets![3]);
    }
}

/// <summary>The landmark stage on real faces, through the default pipeline.</summary>
[Collection(AnalyzerCollection.Name)]
public sealed class LandmarkStageTests(AnalyzerFixture fixture)
{
    [Fact]
    public async Task DefaultPipelineAlignsEveryDemoFaceByItsLandmarks()
    {
        var analyzer = fixture.Analyzer;
        var template = analyzer.Embedder.Template;
        var residuals = new List<double>();
        for (var sample = 1; sample <= 6; sample++)
        {
            using var image = analyzer.Decode(await File.ReadAllBytesAsync(AnalyzerFixture.DemoPhoto(sample)));
            foreach (var face in await analyzer.DetectAsync(image))
            {
                Assert.Equal(68, face.Landmarks!.Length);
                // The eyes and the nose tip lie inside the detector's box, the subject's right eye on the image's left.
                var k = face.Keypoints;
                foreach (var p in new[] { k[FaceDetection.RightEye], k[FaceDetection.LeftEye], k[FaceDetection.NoseTip] })
                    Assert.True(p.X > face.Box.X && p.X < face.Box.Right && p.Y > face.Box.Y && p.Y < face.Box.Bottom, $"sample{sample}: {p} outside {face.Box}");
                Assert.True(k[FaceDetection.RightEye].X < k[FaceDetection.LeftEye].X);
                // Aligned by the five points: the eyes' midpoint lands on the targets' (a similarity cannot fit five points
                // exactly: a turned head moves the nose sideways, and expressions move the mouth).
                var m = analyzer.Embedder.AlignmentFor(face);
                var five = FaceLandmarker.FivePoints(face.Landmarks);
                var targets = template.FivePointTargets!;
                var eyes = Vector2.Distance(m.Apply((five[0] + five[1]) / 2), (targets[0] + targets[1]) / 2);
                Assert.True(eyes < 0.05f * template.Width, $"sample{sample}: eyes' midpoint {eyes:0.0} px off its target");
                residuals.Add(Math.Sqrt(five.Select((p, i) => Vector2.DistanceSquared(m.Apply(p), targets[i])).Average()));
            }
        }
    }
}
