using System.Numerics;
using FaceMatch.Vision.Alignment;
using FaceMatch.Vision.Detection;

namespace FaceMatch.Vision.Tests.Alignment;

public class AlignmentTemplateTests
{
    [Theory]
    [InlineData(150, 150, "dlib-chip-150@1")]
    [InlineData(112, 112, "arcface-112")]
    [InlineData(224, 224, "arcface-224x224")]
    public void EachInputSizeGetsItsTemplate(int w, int h, string name)
    {
        var t = AlignmentTemplate.ForInput(w, h);
        Assert.Equal(name, t.Name);
        Assert.Equal((w, h), (t.Width, t.Height));
        Assert.All(t.Targets, p => Assert.True(p.X > 0 && p.X < w && p.Y > 0 && p.Y < h));
    }

    [Fact]
    public void TemplatesAreMirrorSymmetricSoAFrontalFaceStaysUpright()
    {
        foreach (var t in new[] { AlignmentTemplate.DlibChip150(), AlignmentTemplate.ArcFace112 })
        {
            var right = t.Targets[Array.IndexOf(t.Keypoints, FaceDetection.RightEye)];
            var left = t.Targets[Array.IndexOf(t.Keypoints, FaceDetection.LeftEye)];
            Assert.True(right.X < left.X);                       // the subject's right eye on the image's left
            Assert.Equal(right.Y, left.Y, 0.25f);
            Assert.Equal(t.Width / 2f, (right.X + left.X) / 2, 0.6f);
        }
    }

    [Fact]
    public void ZoomScalesAboutTheCentre()
    {
        var one = AlignmentTemplate.DlibChip150();
        var zoomed = AlignmentTemplate.DlibChip150(1.2f);
        var c = new Vector2(75, 75);
        for (var i = 0; i < one.Targets.Length; i++)
        {
            var expected = c + (one.Targets[i] - c) * 1.2f;
            Assert.Equal(expected.X, zoomed.Targets[i].X, 3);
            Assert.Equal(expected.Y, zoomed.Targets[i].Y, 3);
        }
    }
}
