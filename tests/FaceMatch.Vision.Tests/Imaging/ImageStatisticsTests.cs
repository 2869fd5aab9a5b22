using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Imaging;

public class ImageStatisticsTests
{
    [Fact]
    public void Uniform_region_has_its_luma_as_mean_and_no_texture()
    {
        using var image = TestImages.Solid(20, 10, new Rgb24(100, 150, 200));
        var s = ImageStatistics.Measure(image);
        var luma = (77 * 100 + 150 * 150 + 29 * 200 + 128) >> 8;
        Assert.Equal(luma, s.MeanLuma, 9);
        Assert.Equal(0, s.LumaStdDev, 9);
        Assert.Equal(0, s.LaplacianVariance, 9);
        Assert.Equal(200, s.PixelCount);
    }

    [Fact]
    public void Checkerboard_has_the_analytic_laplacian_variance()
    {
        using var image = RgbImage.Allocate(16, 16);
        for (var y = 0; y < 16; y++)
            for (var x = 0; x < 16; x++)
                image[x, y] = ((x + y) & 1) == 0 ? Rgb24.White : Rgb24.Black;
        var s = ImageStatistics.Measure(image);
        // Every interior pixel: 4 neighbours of the other colour minus 4 × itself = ±1020, mean 0.
        Assert.Equal(1020.0 * 1020.0, s.LaplacianVariance, 6);
        Assert.Equal(127.5, s.MeanLuma, 6);
        Assert.Equal(127.5, s.LumaStdDev, 6);
        Assert.Equal(0.5, s.DarkFraction, 9);
        Assert.Equal(0.5, s.BrightFraction, 9);
    }

    [Fact]
    public void Blur_lowers_the_laplacian_variance()
    {
        using var sharp = TestImages.Scene(120, 120, seed: 9);
        // Blur: shrink by 4 and enlarge back.
        using var small = AffineWarp.ToRgb(sharp, AffineMatrix.Scaling(0.25, 0.25), 30, 30);
        using var blurred = AffineWarp.ToRgb(small, AffineMatrix.Scaling(4, 4), 120, 120);
        var region = new PixelRect(10, 10, 100, 100);
        var a = ImageStatistics.Measure(sharp, region).LaplacianVariance;
        var b = ImageStatistics.Measure(blurred, region).LaplacianVariance;
        Assert.True(b < a / 4, $"sharp {a}, blurred {b}");
    }

    [Fact]
    public void Region_is_clipped_to_the_image_and_measured_alone()
    {
        using var image = TestImages.Solid(40, 40, Rgb24.Black);
        TestImages.Fill(image, 20, 20, 20, Rgb24.White);
        var s = ImageStatistics.Measure(image, new PixelRect(30, 30, 50, 50));
        Assert.Equal(100, s.PixelCount);
        Assert.Equal(255, s.MeanLuma, 9);
        Assert.Throws<ArgumentException>(() => ImageStatistics.Measure(image, new PixelRect(40, 0, 5, 5)));
        Assert.Throws<ArgumentException>(() => ImageStatistics.Measure(image, new PixelRect(0, 0, 0, 5)));
    }

    [Fact]
    public void Gray_conversion_uses_bt601_weights()
    {
        using var image = TestImages.Scene(17, 9);
        var gray = new byte[17 * 9];
        ImageStatistics.ToGray(image, gray, 17);
        for (var y = 0; y < 9; y++)
            for (var x = 0; x < 17; x++)
            {
                var p = image[x, y];
                var expected = 0.299 * p.R + 0.587 * p.G + 0.114 * p.B;
                Assert.InRange(gray[y * 17 + x], expected - 1.0, expected + 1.0);
            }
    }
}
