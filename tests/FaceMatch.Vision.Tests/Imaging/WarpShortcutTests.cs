using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Tests.Imaging;

/// <summary>
/// The warps' shortcuts (two separable passes when axis-aligned, the AVX2 kernel otherwise) against the portable
/// sample-by-sample reference, on noise, where any misplaced tap or weight shows at once. Odd output sizes cover
/// the vector kernel's tails; crops hanging off the source cover its fallback and the fill.
/// </summary>
public class WarpShortcutTests
{
    // Float rounding in sample positions moves results by thousandths of a grey level; any real fault moves them by many.
    private const float Tolerance = 0.02f;

    public static TheoryData<string, double, double, double, double, int> Warps => new()
    {
        // name, scale, degrees, shift x, shift y, supersample
        { "shrink with rotation", 0.45, 12, 10, -4, 0 },
        { "mild shrink with rotation", 0.8, -7, 0, 0, 0 },
        { "enlarge with rotation", 1.7, 33, -20, 5, 0 },
        { "rotation off the edge", 0.6, 25, -45, 30, 0 },
        { "rotation forced 3x3", 1.0, 5, 2, 2, 3 },
        { "axis-aligned shrink", 0.45, 0, 3.3, -1.7, 0 },
        { "axis-aligned enlarge", 2.3, 0, -7.5, 4.25, 0 },
        { "axis-aligned off the edge", 0.7, 0, -60, 45, 0 },
        { "axis-aligned far outside", 1.0, 0, 5000, 0, 0 },
        { "axis-aligned forced 2x2", 1.0, 0, 0.5, 0.5, 2 },
        { "mirror", -0.9, 0, 80, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Warps))]
    public void Tensor_output_matches_the_reference(string name, double scale, double degrees, double dx, double dy, int supersample)
    {
        using var source = Noise(97, 83, seed: name.Length);
        var m = Matrix(scale, degrees, dx, dy, source, 37, 29);
        var format = new ImageTensorFormat(37, 29) { Layout = TensorLayout.Nchw, Fill = new Rgb24(200, 10, 90) };
        var fast = new float[format.ElementCount];
        var reference = new float[format.ElementCount];
        AffineWarp.ToTensor(source, m, format, fast, supersample);
        WithReferenceOnly(() => AffineWarp.ToTensor(source, m, format, reference, supersample));
        var worst = fast.Zip(reference, (a, b) => MathF.Abs(a - b)).Max();
        Assert.True(worst <= Tolerance, $"{name}: differs from the reference by {worst} grey levels");
        if (!name.Contains("far outside"))
            Assert.Contains(reference, v => v != reference[0]); // the case samples the source, not only fill
    }

    [Theory]
    [MemberData(nameof(Warps))]
    public void Rgb_output_matches_the_reference_to_rounding(string name, double scale, double degrees, double dx, double dy, int supersample)
    {
        using var source = Noise(64, 90, seed: name.Length + 1);
        var m = Matrix(scale, degrees, dx, dy, source, 45, 51);
        using var fast = AffineWarp.ToRgb(source, m, 45, 51, new Rgb24(9, 99, 199), supersample);
        using var reference = RgbImage.Allocate(45, 51);
        WithReferenceOnly(() => AffineWarp.ToRgb(source, m, reference, new Rgb24(9, 99, 199), supersample));
        var (_, worst) = TestImages.Difference(fast, reference);
        Assert.True(worst <= 1, $"{name}: differs by {worst} levels");
    }

    [Fact]
    public void Reference_mode_is_per_thread_and_restorable()
    {
        Assert.Equal(-1, ImagingNative.fm_simd_override(0));
        var other = 0;
        var thread = new Thread(() => other = ImagingNative.fm_simd_override(-1));
        thread.Start();
        thread.Join();
        Assert.Equal(-1, other); // another thread still had the shortcuts
        Assert.Equal(0, ImagingNative.fm_simd_override(-1));
    }

    /// <summary>Scale and rotation taking the source centre to the output centre, then a shift; source to destination.</summary>
    private static AffineMatrix Matrix(double scale, double degrees, double dx, double dy, RgbImage source, int width, int height) =>
        AffineMatrix.Translation(-source.Width / 2.0, -source.Height / 2.0)
            .Then(AffineMatrix.Scaling(scale, Math.Abs(scale)))
            .Then(AffineMatrix.Rotation(degrees, default))
            .Then(AffineMatrix.Translation(width / 2.0 + dx, height / 2.0 + dy));

    private static void WithReferenceOnly(Action warp)
    {
        var previous = ImagingNative.fm_simd_override(0);
        try { warp(); }
        finally { ImagingNative.fm_simd_override(previous); }
    }

    private static RgbImage Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = RgbImage.Allocate(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        return image;
    }
}
