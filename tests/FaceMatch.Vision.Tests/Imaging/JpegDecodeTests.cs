using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

public class JpegDecodeTests
{
    private static readonly ImageDecoder Decoder = new();

    [Theory]
    [InlineData(JpegSubsampling.S444, false)]
    [InlineData(JpegSubsampling.S420, false)]
    [InlineData(JpegSubsampling.S422, true)]
    public void Gradient_round_trips_within_jpeg_tolerance(JpegSubsampling subsampling, bool progressive)
    {
        using var source = TestImages.Gradient(160, 120);
        var jpeg = TestImages.Jpeg(source, 95, subsampling, progressive);
        var info = Decoder.Identify(jpeg);
        Assert.Equal((ImageFormat.Jpeg, 160, 120, ImageColorModel.Rgb, progressive), (info.Format, info.Width, info.Height, info.ColorModel, info.IsProgressive));

        using var decoded = Decoder.Decode(jpeg);
        var (mean, max) = TestImages.Difference(source, decoded);
        Assert.True(mean < 1.5, $"mean difference {mean}");
        Assert.True(max <= 12, $"max difference {max}");
    }

    [Fact]
    public void One_by_one_jpeg_decodes()
    {
        using var source = TestImages.Solid(1, 1, TestImages.Blue);
        using var decoded = Decoder.Decode(TestImages.Jpeg(source, 100));
        Assert.Equal((1, 1), (decoded.Width, decoded.Height));
        TestImages.AssertColour(TestImages.Blue, decoded[0, 0], 4);
    }

    [Fact]
    public void Grayscale_jpeg_becomes_equal_rgb_channels()
    {
        const int w = 64, h = 32;
        var gray = new byte[w * h];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                gray[y * w + x] = (byte)(x * 4);
        var jpeg = JpegEncoder.Encode(gray, w, h, w, JpegPixelKind.Gray, quality: 98);

        var info = Decoder.Identify(jpeg);
        Assert.Equal(ImageColorModel.Gray, info.ColorModel);
        using var decoded = Decoder.Decode(jpeg);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var p = decoded[x, y];
                Assert.True(p.R == p.G && p.G == p.B, $"({x},{y}) = {p}");
                Assert.InRange(p.R, x * 4 - 4, x * 4 + 4);
            }
    }

    [Fact]
    public void Adobe_cmyk_jpeg_is_converted_to_rgb()
    {
        // Four vertical bands given as ink amounts, stored Adobe-inverted (255 = no ink): cyan, magenta, yellow, 50% black.
        const int w = 64, h = 16;
        (byte C, byte M, byte Y, byte K)[] inks = [(255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 128)];
        Rgb24[] expected = [new(0, 255, 255), new(255, 0, 255), new(255, 255, 0), new(127, 127, 127)];
        var cmyk = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var ink = inks[x / 16];
                var i = (y * w + x) * 4;
                cmyk[i] = (byte)(255 - ink.C);
                cmyk[i + 1] = (byte)(255 - ink.M);
                cmyk[i + 2] = (byte)(255 - ink.Y);
                cmyk[i + 3] = (byte)(255 - ink.K);
            }
        var jpeg = JpegEncoder.Encode(cmyk, w, h, w * 4, JpegPixelKind.Cmyk, quality: 100, JpegSubsampling.S444);

        var info = Decoder.Identify(jpeg);
        Assert.Equal(ImageColorModel.Ycck, info.ColorModel); // TurboJPEG stores CMYK as YCCK
        Assert.True(info.IsAdobeCmyk);
        using var decoded = Decoder.Decode(jpeg);
        for (var band = 0; band < 4; band++)
            TestImages.AssertColour(expected[band], decoded[band * 16 + 8, 8], 6, $"band {band}");
    }

    [Fact]
    public void Rotated_cmyk_jpeg_is_converted_and_oriented_in_one_pass()
    {
        const int w = 32, h = 16;
        var cmyk = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var i = (y * w + x) * 4;
                // Left half: no ink at all (white); right half: full black.
                cmyk[i] = cmyk[i + 1] = cmyk[i + 2] = 255;
                cmyk[i + 3] = (byte)(x < w / 2 ? 255 : 0);
            }
        var jpeg = TestImages.WithExif(JpegEncoder.Encode(cmyk, w, h, w * 4, JpegPixelKind.Cmyk, 100, JpegSubsampling.S444),
            TestImages.ExifTiff(6, bigEndian: true));
        using var decoded = Decoder.Decode(jpeg);
        Assert.Equal((h, w), (decoded.Width, decoded.Height));
        // Orientation 6 turns the stored left half (white) into the top half.
        TestImages.AssertColour(Rgb24.White, decoded[8, 4], 4, "top");
        TestImages.AssertColour(Rgb24.Black, decoded[8, 28], 4, "bottom");
    }

    [Fact]
    public void Corrupt_entropy_data_is_accepted_by_default_and_rejected_when_strict()
    {
        using var source = TestImages.Scene(128, 128);
        var jpeg = TestImages.Jpeg(source, 90, JpegSubsampling.S420);
        var sos = FindMarker(jpeg, 0xDA);
        var corrupt = (byte[])jpeg.Clone();
        // Garbage in the middle of the scan, keeping clear of 0xFF so the marker structure stays intact.
        var rng = new Random(3);
        for (var i = sos + 200; i < sos + 260; i++)
            corrupt[i] = (byte)rng.Next(0, 0xFF);

        using (var lenient = Decoder.Decode(corrupt))
            Assert.Equal(128, lenient.Width);
        var strict = new ImageDecoder(new ImageDecodeOptions { StrictJpeg = true });
        var ex = Assert.Throws<ImageDecodeException>(() => strict.Decode(corrupt));
        Assert.Equal(ImageDecodeError.Corrupt, ex.Reason);
    }

    [Fact]
    public void Decode_into_a_caller_buffer_with_padded_rows()
    {
        using var source = TestImages.Gradient(30, 20);
        var jpeg = TestImages.Jpeg(source, 100);
        const int stride = 30 * 3 + 7;
        var buffer = new byte[stride * 20];
        Array.Fill(buffer, (byte)0xAB);
        var info = Decoder.DecodeInto(jpeg, buffer, stride);
        Assert.Equal((30, 20), (info.Width, info.Height));
        using var wrapped = RgbImage.Wrap(buffer, 30, 20, stride);
        Assert.True(TestImages.Difference(source, wrapped).Max <= 8);
        for (var y = 0; y < 19; y++) // padding untouched
            Assert.All(buffer.AsSpan(y * stride + 90, 7).ToArray(), b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void Parallel_decodes_give_identical_results()
    {
        using var source = TestImages.Scene(200, 150);
        var jpeg = TestImages.Jpeg(source, 85, JpegSubsampling.S420);
        using var reference = Decoder.Decode(jpeg);
        var expected = reference.Pixels.ToArray();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            using var image = Decoder.Decode(jpeg);
            Assert.True(image.Pixels.SequenceEqual(expected));
        });
    }

    internal static int FindMarker(byte[] jpeg, byte marker)
    {
        for (var i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker)
                return i;
        throw new InvalidOperationException($"marker {marker:X2} not found");
    }
}
