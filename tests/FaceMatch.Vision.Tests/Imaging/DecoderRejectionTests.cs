using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

/// <summary>Bad, hostile and oversized inputs each end in one clear <see cref="ImageDecodeException"/> reason.</summary>
public class DecoderRejectionTests
{
    private static readonly ImageDecoder Decoder = new();

    private static ImageDecodeError Reject(byte[] data, ImageDecoder? decoder = null)
    {
        decoder ??= Decoder;
        var ex = Assert.Throws<ImageDecodeException>(() => decoder.Decode(data).Dispose());
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        // Identify reads only headers; where it already fails, it must fail for the same reason.
        try
        {
            decoder.Identify(data);
        }
        catch (ImageDecodeException early)
        {
            Assert.Equal(ex.Reason, early.Reason);
        }
        return ex.Reason;
    }

    [Fact]
    public void Zero_bytes_are_empty() => Assert.Equal(ImageDecodeError.Empty, Reject([]));

    [Fact]
    public void Random_bytes_are_an_unknown_format()
    {
        var rng = new Random(7);
        foreach (var length in new[] { 1, 2, 3, 16, 1000, 100_000 })
        {
            var data = new byte[length];
            rng.NextBytes(data);
            data[0] = 0x42; // keep clear of the JPEG/PNG/GIF/... magic numbers
            Assert.Equal(ImageDecodeError.UnknownFormat, Reject(data));
        }
    }

    [Theory]
    [InlineData("FFD8FF")]
    [InlineData("89504E470D0A1A0A")]
    public void Random_bytes_behind_a_valid_signature_are_corrupt_or_truncated(string signatureHex)
    {
        var signature = Convert.FromHexString(signatureHex);
        var rng = new Random(11);
        for (var i = 0; i < 50; i++)
        {
            var data = new byte[signature.Length + rng.Next(0, 4000)];
            rng.NextBytes(data);
            signature.CopyTo(data, 0);
            var reason = Reject(data);
            Assert.True(reason is ImageDecodeError.Corrupt or ImageDecodeError.Truncated, $"{reason} for {data.Length} bytes, start {Convert.ToHexString(data.AsSpan(0, Math.Min(24, data.Length)))}");
        }
    }

    [Theory]
    [InlineData("GIF89a", "GIF")]
    [InlineData("\0\0\0\u0018ftypavif", "AVIF")]
    [InlineData("\0\0\0\u0018ftypheic", "HEIF")]
    public void Other_image_formats_are_named_as_unsupported(string header, string name)
    {
        var data = new byte[64];
        System.Text.Encoding.Latin1.GetBytes(header).CopyTo(data, 0);
        var ex = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(data));
        Assert.Equal(ImageDecodeError.Unsupported, ex.Reason);
        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void Truncated_jpeg_is_rejected_wherever_it_is_cut()
    {
        using var image = TestImages.Scene(96, 64);
        var jpeg = TestImages.Jpeg(image, 90, JpegSubsampling.S420);
        foreach (var fraction in new[] { 0.01, 0.05, 0.2, 0.5, 0.9, 0.999 })
        {
            var cut = jpeg.AsSpan(0, Math.Max(3, (int)(jpeg.Length * fraction))).ToArray();
            Assert.Equal(ImageDecodeError.Truncated, Reject(cut));
        }
        // Missing only the end-of-image marker still counts as truncated (the policy is structural).
        Assert.Equal(ImageDecodeError.Truncated, Reject(jpeg.AsSpan(0, jpeg.Length - 2).ToArray()));
    }

    [Fact]
    public void Truncated_jpeg_decodes_partially_when_the_policy_allows()
    {
        using var image = TestImages.Scene(96, 64);
        var jpeg = TestImages.Jpeg(image, 95, JpegSubsampling.S444);
        var cut = jpeg.AsSpan(0, (int)(jpeg.Length * 0.6)).ToArray();
        var lenient = new ImageDecoder(new ImageDecodeOptions { TruncatedJpeg = TruncatedJpegPolicy.DecodePartial });

        Assert.True(lenient.Identify(cut).IsTruncated);
        using var partial = lenient.Decode(cut);
        using var full = Decoder.Decode(jpeg);
        Assert.Equal((96, 64), (partial.Width, partial.Height));
        // The first MCU row (8 lines at 4:4:4) was fully present in the data: it matches the complete decode.
        for (var x = 0; x < 96; x++)
            TestImages.AssertColour(full[x, 3], partial[x, 3], 0, $"x={x}");
    }

    [Fact]
    public void Png_claiming_100000_by_100000_pixels_is_too_large_before_any_allocation()
    {
        using var tiny = TestImages.Solid(1, 1, TestImages.Red);
        var bomb = TestImages.WithPngSize(TestImages.Png(tiny), 100_000, 100_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(ImageDecodeError.TooLarge, Reject(bomb));
        // Nothing near 30 GB of RGB was allocated (managed side; the native side stops at the header check).
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void Png_within_the_side_limit_but_over_the_pixel_limit_is_too_large()
    {
        using var tiny = TestImages.Solid(1, 1, TestImages.Red);
        var claim = TestImages.WithPngSize(TestImages.Png(tiny), 10_000, 10_000); // 100 MP > 40 MP default
        var ex = Assert.Throws<ImageDecodeException>(() => Decoder.Identify(claim));
        Assert.Equal(ImageDecodeError.TooLarge, ex.Reason);
        Assert.Contains("pixels", ex.Message);
    }

    [Fact]
    public void Jpeg_claiming_a_huge_frame_is_too_large()
    {
        using var image = TestImages.Scene(32, 32);
        var claim = TestImages.WithJpegSize(TestImages.Jpeg(image), 60_000, 60_000);
        Assert.Equal(ImageDecodeError.TooLarge, Reject(claim));
    }

    [Fact]
    public void Twelve_bit_jpeg_is_unsupported()
    {
        using var image = TestImages.Scene(32, 32);
        var jpeg = TestImages.Jpeg(image);
        var sof = JpegDecodeTests.FindMarker(jpeg, 0xC0);
        jpeg[sof + 4] = 12; // sample precision
        var ex = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(jpeg));
        Assert.Equal(ImageDecodeError.Unsupported, ex.Reason);
        Assert.Contains("12-bit", ex.Message);
    }

    [Fact]
    public void Limits_are_configurable()
    {
        using var image = TestImages.Scene(200, 100);
        var jpeg = TestImages.Jpeg(image);
        Assert.Equal(ImageDecodeError.TooLarge, Reject(jpeg, new ImageDecoder(new ImageDecodeOptions { MaxEncodedBytes = 100 })));
        Assert.Equal(ImageDecodeError.TooLarge, Reject(jpeg, new ImageDecoder(new ImageDecodeOptions { MaxDimension = 150 })));
        Assert.Equal(ImageDecodeError.TooLarge, Reject(jpeg, new ImageDecoder(new ImageDecodeOptions { MaxPixels = 19_999 })));
        using var ok = new ImageDecoder(new ImageDecodeOptions { MaxPixels = 20_000, MaxDimension = 200 }).Decode(jpeg);
        Assert.Equal(200, ok.Width);
    }

    [Fact]
    public void Invalid_options_are_caller_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDecoder(new ImageDecodeOptions { MaxPixels = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDecoder(new ImageDecodeOptions { MaxDimension = 70_000 }));
        using var image = TestImages.Scene(8, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => Decoder.Decode(TestImages.Jpeg(image), new DecodeTarget(-1)));
    }

    [Fact]
    public void Png_with_a_bad_crc_is_corrupt()
    {
        using var image = TestImages.Scene(16, 16);
        var png = TestImages.Png(image);
        png[20] ^= 0x01; // inside IHDR's height: its CRC no longer matches
        Assert.Equal(ImageDecodeError.Corrupt, Reject(png));
    }

    [Fact]
    public void Truncated_png_is_truncated()
    {
        using var image = TestImages.Scene(64, 64);
        var png = TestImages.Png(image);
        foreach (var length in new[] { 10, 30, png.Length / 2, png.Length - 20 })
            Assert.Equal(ImageDecodeError.Truncated, Reject(png.AsSpan(0, length).ToArray()));
    }

    [Fact]
    public void Decode_into_a_too_small_caller_buffer_is_a_caller_error()
    {
        using var image = TestImages.Scene(20, 10);
        var jpeg = TestImages.Jpeg(image);
        Assert.Throws<ArgumentException>(() => Decoder.DecodeInto(jpeg, new byte[20 * 10 * 3 - 1], 60));
        Assert.Throws<ArgumentException>(() => Decoder.DecodeInto(jpeg, new byte[20 * 10 * 3], 59));
    }
}
