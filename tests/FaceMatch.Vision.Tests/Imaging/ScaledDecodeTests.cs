using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Imaging;

public class ScaledDecodeTests
{
    private static readonly ImageDecoder Decoder = new();

    [Theory]
    [InlineData(0, 0, 1)]        // no requirement: full size
    [InlineData(100, 0, 8)]      // 800/8 = 100 is enough
    [InlineData(101, 0, 4)]
    [InlineData(200, 0, 4)]
    [InlineData(201, 0, 2)]
    [InlineData(400, 0, 2)]
    [InlineData(401, 0, 1)]
    [InlineData(5000, 0, 1)]     // larger than the image: full size, never upscaled
    [InlineData(0, 150, 4)]      // short side 600/4 = 150
    [InlineData(100, 151, 2)]    // both constraints must hold
    public void Picks_the_smallest_factor_that_keeps_the_requested_size(int minLong, int minShort, int expectedDenominator)
    {
        using var source = TestImages.Scene(800, 600);
        var jpeg = TestImages.Jpeg(source, 90);
        var target = new DecodeTarget(minLong, minShort);
        var info = Decoder.Identify(jpeg, target);
        Assert.Equal(expectedDenominator, info.ScaleDenominator);
        Assert.Equal((800 / expectedDenominator, 600 / expectedDenominator), (info.Width, info.Height));
        using var decoded = Decoder.Decode(jpeg, target);
        Assert.Equal((info.Width, info.Height), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Odd_sizes_round_up_like_libjpeg()
    {
        using var source = TestImages.Scene(801, 601);
        var info = Decoder.Identify(TestImages.Jpeg(source), new DecodeTarget(MinLongSide: 100));
        Assert.Equal((8, 101, 76), (info.ScaleDenominator, info.Width, info.Height));
    }

    [Fact]
    public void Scaled_decode_composes_with_orientation()
    {
        using var source = TestImages.Scene(800, 600);
        var jpeg = TestImages.WithExif(TestImages.Jpeg(source), TestImages.ExifTiff(8, false));
        using var decoded = Decoder.Decode(jpeg, new DecodeTarget(MinLongSide: 200));
        Assert.Equal((150, 200), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Png_ignores_the_target_and_decodes_full_size()
    {
        using var source = TestImages.Scene(300, 200);
        var info = Decoder.Identify(TestImages.Png(source), new DecodeTarget(MinLongSide: 50));
        Assert.Equal((1, 300, 200), (info.ScaleDenominator, info.Width, info.Height));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Scaled_content_matches_a_full_decode_averaged_down(int denominator)
    {
        using var source = TestImages.Scene(640, 480, seed: 5);
        var jpeg = TestImages.Jpeg(source, 92);
        using var full = Decoder.Decode(jpeg);
        using var scaled = Decoder.Decode(jpeg, new DecodeTarget(MinLongSide: 640 / denominator));
        Assert.Equal(denominator, 640 / scaled.Width);

        using var reference = BoxDownscale(full, denominator);
        var (mean, _) = TestImages.Difference(reference, scaled);
        Assert.True(mean < 4.0, $"1/{denominator}: mean difference {mean}");
    }

    private static RgbImage BoxDownscale(RgbImage image, int factor)
    {
        var output = RgbImage.Allocate(image.Width / factor, image.Height / factor);
        for (var y = 0; y < output.Height; y++)
            for (var x = 0; x < output.Width; x++)
            {
                int r = 0, g = 0, b = 0;
                for (var j = 0; j < factor; j++)
                    for (var i = 0; i < factor; i++)
                    {
                        var p = image[x * factor + i, y * factor + j];
                        r += p.R; g += p.G; b += p.B;
                    }
                var n = factor * factor;
                output[x, y] = new Rgb24((byte)((r + n / 2) / n), (byte)((g + n / 2) / n), (byte)((b + n / 2) / n));
            }
        return output;
    }
}
