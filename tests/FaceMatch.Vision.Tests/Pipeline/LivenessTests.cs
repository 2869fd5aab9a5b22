using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Liveness;

namespace FaceMatch.Vision.Tests.Pipeline;

[Collection(AnalyzerCollection.Name)]
public sealed class LivenessTests(AnalyzerFixture fixture)
{
    private FaceAnalyzer Analyzer => fixture.Analyzer;

    /// <summary>
    /// The faces in face-api's demo photos are real people photographed directly, so both passive
    /// models should find them live on average. Feeding the liveness model BGR, or reading the other
    /// softmax index, drops its mean to about 0.5 or below: this is what pins the input convention.
    /// </summary>
    [Fact]
    public async Task RealFacesScoreLiveOnAverage()
    {
        var scores = new List<LivenessScore>();
        for (var sample = 1; sample <= 6; sample++)
        {
            using var image = Analyzer.Decode(await File.ReadAllBytesAsync(AnalyzerFixture.DemoPhoto(sample)));
            foreach (var face in await Analyzer.DetectAsync(image))
                scores.Add(await Analyzer.Liveness.ScoreAsync(image, face, CancellationToken.None));
        }
        Assert.True(scores.Count >= 20);
        Assert.All(scores, s => Assert.InRange(s.Combined, 0f, 1f));
        Assert.True(scores.Average(s => s.Liveness!.Value) > 0.75, $"liveness mean {scores.Average(s => s.Liveness!.Value):0.000}");
        Assert.True(scores.Average(s => s.Antispoof!.Value) > 0.55, $"antispoof mean {scores.Average(s => s.Antispoof!.Value):0.000}");
    }

    [Fact]
    public void SquareCropCentresTheFaceBox()
    {
        var m = PassiveLiveness.SquareCrop(new FaceBox(100, 200, 40, 80), 1f, 32);
        var centre = m.Apply(new System.Numerics.Vector2(120, 240));
        Assert.Equal(16f, centre.X, 3);
        Assert.Equal(16f, centre.Y, 3);
        Assert.Equal(32f / 80f, (float)m.A, 5);  // the longer side fills the crop
    }
}
