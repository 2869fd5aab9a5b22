using System.Numerics;
using FaceMatch.Vision.Detection;

namespace FaceMatch.Vision.Tests.Detection;

public class BlazeFaceDecoderTests
{
    [Fact]
    public void AnchorsCoverBothStridesInModelOrder()
    {
        var anchors = BlazeFaceDecoder.CreateAnchors(256);
        Assert.Equal(16 * 16 * 2 + 8 * 8 * 6, anchors.Length);
        Assert.Equal(new Vector2(8, 8), anchors[0]);
        Assert.Equal(new Vector2(8, 8), anchors[1]);            // two anchors per stride-16 cell
        Assert.Equal(new Vector2(24, 8), anchors[2]);
        Assert.Equal(new Vector2(248, 248), anchors[511]);
        Assert.Equal(new Vector2(16, 16), anchors[512]);        // stride-32 grid starts here
        Assert.Equal(new Vector2(240, 240), anchors[^1]);
    }

    [Fact]
    public void DecodesBoxAndKeypointsRelativeToTheirAnchor()
    {
        var decoder = new BlazeFaceDecoder();
        var scores = Enumerable.Repeat(-10f, decoder.AnchorCount).ToArray();
        var reg = new float[decoder.AnchorCount * BlazeFaceDecoder.Regressors];
        const int anchor = 512 + 6 * 9;                          // stride-32 grid cell (1, 1): centre (48, 48)
        scores[anchor] = 2f;
        float[] r = [4, -2, 40, 50, -10, -8, 10, -8, 0, 2, 0, 14, -18, 0, 18, 0];
        r.CopyTo(reg, anchor * BlazeFaceDecoder.Regressors);

        var face = Assert.Single(decoder.Decode(scores, reg, 0.5f));
        Assert.Equal(new FaceBox(52 - 20, 46 - 25, 40, 50), face.Box);
        Assert.Equal(1 / (1 + MathF.Exp(-2)), face.Score, 6);
        Assert.Equal(new Vector2(38, 40), face.Keypoints[FaceDetection.RightEye]);
        Assert.Equal(new Vector2(66, 48), face.Keypoints[FaceDetection.LeftEar]);
    }

    [Fact]
    public void ScoresBelowTheThresholdAreDropped()
    {
        var decoder = new BlazeFaceDecoder();
        var scores = Enumerable.Repeat(0f, decoder.AnchorCount).ToArray(); // sigmoid(0) = 0.5
        var reg = new float[decoder.AnchorCount * BlazeFaceDecoder.Regressors];
        Assert.Empty(decoder.Decode(scores, reg, 0.6f));
        Assert.Equal(decoder.AnchorCount, decoder.Decode(scores, reg, 0.4f).Count);
    }

    [Fact]
    public void WrongHeadSizesAreRejected() =>
        Assert.Throws<ArgumentException>(() => new BlazeFaceDecoder().Decode(new float[10], new float[160], 0.5f));
}

public class NonMaxSuppressionTests
{
    private static FaceDetection Face(float x, float y, float size, float score, float kp = 0) =>
        new(new FaceBox(x, y, size, size), score, Enumerable.Repeat(new Vector2(x + kp, y + kp), 6).ToArray());

    [Fact]
    public void HardKeepsTheBestOfEachOverlappingGroup()
    {
        var kept = NonMaxSuppression.Hard([Face(0, 0, 10, 0.7f), Face(1, 1, 10, 0.9f), Face(50, 50, 10, 0.8f)], 0.3f, 10);
        Assert.Equal([0.9f, 0.8f], kept.Select(k => k.Score));
        Assert.Equal(1f, kept[0].Box.X);
    }

    [Fact]
    public void WeightedAveragesAGroupByScore()
    {
        var merged = NonMaxSuppression.Weighted([Face(0, 0, 10, 0.75f, kp: 2), Face(2, 0, 10, 0.25f, kp: 6)], 0.3f, 10);
        var face = Assert.Single(merged);
        Assert.Equal(0.5f, face.Box.X, 5);                      // 0.75·0 + 0.25·2
        Assert.Equal(0.75f, face.Score);
        Assert.Equal(new Vector2(0.75f * 2 + 0.25f * 8, 0.75f * 2 + 0.25f * 6), face.Keypoints[0]);
    }

    [Fact]
    public void MaxFacesLimitsTheResult() =>
        Assert.Equal(2, NonMaxSuppression.Hard([Face(0, 0, 5, 0.9f), Face(20, 0, 5, 0.8f), Face(40, 0, 5, 0.7f)], 0.3f, 2).Count);

    [Fact]
    public void IouOfDisjointAndIdenticalBoxes()
    {
        var a = new FaceBox(0, 0, 10, 10);
        Assert.Equal(0f, a.IntersectionOverUnion(new FaceBox(20, 20, 5, 5)));
        Assert.Equal(1f, a.IntersectionOverUnion(a));
        Assert.Equal(25f / 175f, a.IntersectionOverUnion(new FaceBox(5, 5, 10, 10)), 6);
    }
}
