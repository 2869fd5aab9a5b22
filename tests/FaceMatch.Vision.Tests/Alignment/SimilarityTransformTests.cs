using System.Numerics;
using FaceMatch.Vision.Alignment;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Alignment;

public class SimilarityTransformTests
{
    // ArcFace's 5-point template for 112 x 112 crops (eyes, nose tip, mouth corners).
    private static readonly Vector2[] Template =
    [
        new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f),
        new(41.5493f, 92.3655f), new(70.7299f, 92.2041f),
    ];

    [Theory]
    [InlineData(1.0, 0.0, 0.0, 0.0)]
    [InlineData(0.37, 23.0, 12.5, -40.0)]
    [InlineData(2.5, -170.0, 300.0, 7.0)]
    [InlineData(0.05, 90.0, -3.0, 1000.0)]
    public void Recovers_a_known_transform_exactly(double scale, double degrees, double tx, double ty)
    {
        var truth = new SimilarityTransform(scale, degrees * Math.PI / 180, tx, ty);
        var source = Template.Select(p => p * 3 + new Vector2(100, 80)).ToArray();
        var target = source.Select(truth.Apply).ToArray();

        var estimate = SimilarityTransform.Estimate(source, target, out var rms);
        Assert.Equal(scale, estimate.Scale, 4);
        Assert.Equal(0, Math.IEEERemainder(degrees * Math.PI / 180 - estimate.RotationRadians, 2 * Math.PI), 5);
        Assert.Equal(tx, estimate.TranslationX, 2);
        Assert.Equal(ty, estimate.TranslationY, 2);
        Assert.True(rms < 1e-3, $"rms {rms}");
    }

    [Fact]
    public void Two_points_determine_the_transform()
    {
        Vector2[] src = [new(0, 0), new(10, 0)];
        Vector2[] dst = [new(5, 5), new(5, 25)]; // scale 2, +90° (x axis onto y axis), shift (5, 5)
        var t = SimilarityTransform.Estimate(src, dst);
        Assert.Equal(2, t.Scale, 9);
        Assert.Equal(Math.PI / 2, t.RotationRadians, 9);
        Assert.Equal(new AffineMatrix(0, -2, 5, 2, 0, 5), t.Matrix with
        {
            A = Math.Round(t.Matrix.A, 9), B = Math.Round(t.Matrix.B, 9), C = Math.Round(t.Matrix.C, 9),
            D = Math.Round(t.Matrix.D, 9), E = Math.Round(t.Matrix.E, 9), F = Math.Round(t.Matrix.F, 9),
        });
    }

    [Fact]
    public void Noisy_points_give_the_least_squares_fit()
    {
        var truth = new SimilarityTransform(0.8, 0.3, 20, -10);
        var rng = new Random(5);
        var source = Enumerable.Range(0, 200).Select(_ => new Vector2(rng.NextSingle() * 400, rng.NextSingle() * 300)).ToArray();
        var target = source.Select(p => truth.Apply(p) + new Vector2(rng.NextSingle() - 0.5f, rng.NextSingle() - 0.5f)).ToArray();
        var estimate = SimilarityTransform.Estimate(source, target, out var rms);
        Assert.Equal(0.8, estimate.Scale, 2);
        Assert.Equal(0.3, estimate.RotationRadians, 2);
        Assert.InRange(rms, 0.2, 0.6); // uniform ±0.5 noise per axis: rms ≈ 0.41

        // Least squares: nudging any parameter makes the residual worse.
        foreach (var nudged in new[]
                 {
                     estimate with { Scale = estimate.Scale * 1.001 }, estimate with { RotationRadians = estimate.RotationRadians + 0.001 },
                     estimate with { TranslationX = estimate.TranslationX + 0.05 }, estimate with { TranslationY = estimate.TranslationY - 0.05 },
                 })
            Assert.True(Rms(nudged, source, target) > rms);
    }

    [Fact]
    public void Mirrored_points_get_the_best_rotation_not_a_reflection()
    {
        var source = Template;
        var target = Template.Select(p => new Vector2(112 - p.X, p.Y)).ToArray();
        var t = SimilarityTransform.Estimate(source, target, out var rms);
        Assert.True(t.Matrix.Determinant > 0);
        Assert.True(rms > 1);
    }

    [Fact]
    public void Degenerate_input_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Estimate([new Vector2(1, 1)], [new Vector2(2, 2)]));
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Estimate([new(1, 1), new(1, 1)], [new(0, 0), new(5, 5)]));
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Estimate([new(1, 1), new(2, 1)], [new(0, 0)]));
        Assert.Throws<ArgumentException>(() => SimilarityTransform.Estimate([new(float.NaN, 1), new(2, 1)], [new(0, 0), new(1, 1)]));
    }

    [Fact]
    public void Aligning_a_rotated_face_with_the_warp_puts_landmarks_on_the_template()
    {
        // Draw five dots at the template positions, rotate/scale the picture, then align it back.
        using var canonical = TestImagesForAlignment.Dots(Template, 112, 112);
        var distort = AffineMatrix.Rotation(-25, new Vector2(56, 56)).Then(AffineMatrix.Scaling(2.2, 2.2))
            .Then(AffineMatrix.Translation(40, 30));
        using var photo = AffineWarp.ToRgb(canonical, distort, 320, 320);
        var landmarks = Template.Select(distort.Apply).ToArray();

        var align = SimilarityTransform.Estimate(landmarks, Template);
        using var crop = AffineWarp.ToRgb(photo, align.Matrix, 112, 112);
        foreach (var p in Template)
            Assert.True(crop[(int)p.X, (int)p.Y].R > 100, $"dot at {p}");
    }

    private static double Rms(SimilarityTransform t, Vector2[] source, Vector2[] target) =>
        Math.Sqrt(source.Zip(target, (s, d) => (double)Vector2.DistanceSquared(t.Apply(s), d)).Average());
}

internal static class TestImagesForAlignment
{
    public static RgbImage Dots(IEnumerable<Vector2> points, int width, int height)
    {
        var image = RgbImage.Allocate(width, height);
        image.Pixels.Clear();
        foreach (var p in points)
            for (var y = (int)p.Y - 2; y <= (int)p.Y + 2; y++)
                for (var x = (int)p.X - 2; x <= (int)p.X + 2; x++)
                    image[x, y] = Rgb24.White;
        return image;
    }
}
