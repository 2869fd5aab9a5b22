using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

public class EncoderTests
{
    [Fact]
    public void Png_output_is_a_png_that_decodes_to_the_same_pixels()
    {
        using var image = TestImages.Scene(40, 30);
        var png = PngEncoder.Encode(image, compressionLevel: 9);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }, png[..8]);
        using var back = new ImageDecoder().Decode(png);
        Assert.Equal((0.0, 0), TestImages.Difference(image, back));
    }

    [Fact]
    public void Png_from_a_padded_image_skips_the_padding()
    {
        const int stride = 10 * 3 + 5;
        var buffer = new byte[stride * 4];
        new Random(1).NextBytes(buffer);
        using var image = RgbImage.Wrap(buffer, 10, 4, stride);
        using var back = new ImageDecoder().Decode(PngEncoder.Encode(image));
        Assert.Equal((0.0, 0), TestImages.Difference(image, back));
    }

    [Fact]
    public void Lower_jpeg_quality_gives_smaller_files_and_larger_errors()
    {
        using var image = TestImages.Scene(256, 192, seed: 4);
        var q95 = JpegEncoder.Encode(image, 95);
        var q40 = JpegEncoder.Encode(image, 40);
        Assert.True(q40.Length < q95.Length * 0.7, $"q40 {q40.Length} bytes, q95 {q95.Length}");
        var decoder = new ImageDecoder();
        using var d95 = decoder.Decode(q95);
        using var d40 = decoder.Decode(q40);
        var e95 = TestImages.Difference(image, d95).Mean;
        var e40 = TestImages.Difference(image, d40).Mean;
        Assert.True(e40 > e95, $"q40 error {e40}, q95 error {e95}");
        Assert.True(e40 < 12, $"q40 error {e40}");
    }

    [Fact]
    public void Invalid_encoder_arguments_are_caller_errors()
    {
        using var image = TestImages.Scene(8, 8);
        Assert.Throws<ArgumentException>(() => JpegEncoder.Encode(image, quality: 0));
        Assert.Throws<ArgumentException>(() => JpegEncoder.Encode(new byte[10], 8, 8, 24, JpegPixelKind.Rgb));
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new PngPixels(new byte[64], 8, 8, 8, PngColorType.Rgb, 8)));
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new PngPixels(new byte[64], 8, 8, 8, PngColorType.Gray, 3)));
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new PngPixels(new byte[64], 8, 8, 8, PngColorType.Indexed)));
    }
}
