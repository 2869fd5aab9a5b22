using System.Buffers.Binary;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

/// <summary>WebP through libwebp: the same limits and clear errors as JPEG and PNG, hostile inputs included.</summary>
public class WebpDecodeTests
{
    private static readonly ImageDecoder Decoder = new();

    private static ImageDecodeError Reject(byte[] data, ImageDecoder? decoder = null) =>
        Assert.Throws<ImageDecodeException>(() => (decoder ?? Decoder).Decode(data).Dispose()).Reason;

    [Fact]
    public void Lossless_webp_round_trips_exactly()
    {
        using var source = TestImages.Scene(77, 41);
        var webp = WebpEncoder.Encode(source, lossless: true);
        var info = Decoder.Identify(webp);
        Assert.Equal((ImageFormat.Webp, 77, 41, false), (info.Format, info.Width, info.Height, info.HasAlpha));
        using var decoded = Decoder.Decode(webp);
        Assert.Equal((0.0, 0), TestImages.Difference(source, decoded));
    }

    [Fact]
    public void Lossy_webp_decodes_close_to_its_source()
    {
        using var source = TestImages.Scene(96, 64);
        using var decoded = Decoder.Decode(WebpEncoder.Encode(source, quality: 90));
        var (mean, _) = TestImages.Difference(source, decoded);
        Assert.True(mean < 6, $"mean difference {mean}");
    }

    [Fact]
    public void Alpha_is_composited_onto_the_background()
    {
        const int w = 4, h = 2;
        var rgba = new byte[w * h * 4];
        for (var i = 0; i < w * h; i++)
        {
            rgba[4 * i] = 200; rgba[4 * i + 1] = 10; rgba[4 * i + 2] = 10;
            rgba[4 * i + 3] = (byte)(i < w ? 255 : 0); // top row opaque red, bottom row transparent
        }
        var webp = WebpEncoder.Encode(rgba, w, h, w * 4, 4, lossless: true);
        Assert.True(Decoder.Identify(webp).HasAlpha);
        var decoder = new ImageDecoder(new ImageDecodeOptions { AlphaBackground = new Rgb24(0, 0, 255) });
        using var decoded = decoder.Decode(webp);
        Assert.Equal(new Rgb24(200, 10, 10), decoded[1, 0]);
        Assert.Equal(new Rgb24(0, 0, 255), decoded[1, 1]);
    }

    [Fact]
    public void The_pixel_and_dimension_limits_apply_before_decoding()
    {
        using var source = TestImages.Scene(64, 48);
        var webp = WebpEncoder.Encode(source, lossless: true);
        Assert.Equal(ImageDecodeError.TooLarge, Reject(webp, new ImageDecoder(new ImageDecodeOptions { MaxPixels = 64 * 48 - 1 })));
        Assert.Equal(ImageDecodeError.TooLarge, Reject(webp, new ImageDecoder(new ImageDecodeOptions { MaxDimension = 63 })));
        Assert.Equal(ImageDecodeError.TooLarge, Reject(webp, new ImageDecoder(new ImageDecodeOptions { MaxEncodedBytes = webp.Length - 1 })));
    }

    [Fact]
    public void A_header_claiming_16384_squared_is_refused_without_decoding()
    {
        // A lossless bitstream's header holds width-1 and height-1 in 14 bits each after the 0x2F signature: claim the
        // largest WebP allows (268 million pixels, over the default pixel limit) over a few bytes of data.
        var webp = WebpEncoder.Encode(TestImages.Solid(2, 2, TestImages.Red), lossless: true);
        Assert.Equal("VP8L", System.Text.Encoding.ASCII.GetString(webp, 12, 4));
        var bits = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(21));
        bits = (bits & 0xF000_0000u) | 0x3FFFu | (0x3FFFu << 14);
        BinaryPrimitives.WriteUInt32LittleEndian(webp.AsSpan(21), bits);
        Assert.Equal(ImageDecodeError.TooLarge, Reject(webp));
    }

    [Fact]
    public void Truncated_webp_is_rejected_wherever_it_is_cut()
    {
        using var source = TestImages.Scene(96, 64);
        foreach (var webp in new[] { WebpEncoder.Encode(source, quality: 80), WebpEncoder.Encode(source, lossless: true) })
            foreach (var fraction in new[] { 0.05, 0.2, 0.5, 0.9, 0.99 })
            {
                var cut = webp.AsSpan(0, Math.Max(12, (int)(webp.Length * fraction))).ToArray();
                var reason = Reject(cut);
                Assert.True(reason is ImageDecodeError.Truncated or ImageDecodeError.Corrupt, $"{reason} at {fraction}");
            }
    }

    [Fact]
    public void Random_bytes_in_a_webp_container_are_corrupt_or_truncated()
    {
        var rng = new Random(13);
        for (var i = 0; i < 200; i++)
        {
            var data = new byte[12 + rng.Next(0, 4000)];
            rng.NextBytes(data);
            "RIFF"u8.CopyTo(data);
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)(data.Length - 8));
            "WEBP"u8.CopyTo(data.AsSpan(8));
            if (i % 2 == 0) "VP8L"u8.CopyTo(data.AsSpan(12));
            var reason = Reject(data);
            Assert.True(reason is ImageDecodeError.Corrupt or ImageDecodeError.Truncated or ImageDecodeError.Unsupported,
                $"{reason} for {data.Length} bytes");
        }
    }

    [Fact]
    public void Flipped_bytes_in_a_real_webp_never_crash_the_decoder()
    {
        using var source = TestImages.Scene(64, 48);
        var webp = WebpEncoder.Encode(source, quality: 75);
        var rng = new Random(17);
        for (var i = 0; i < 300; i++)
        {
            var data = (byte[])webp.Clone();
            for (var k = 0; k < 1 + i % 8; k++) data[12 + rng.Next(data.Length - 12)] ^= (byte)(1 << rng.Next(8));
            try
            {
                using var decoded = Decoder.Decode(data);
                Assert.True(decoded.Width > 0 && decoded.Width <= 64 && decoded.Height <= 48);
            }
            catch (ImageDecodeException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
        }
    }

    [Fact]
    public void Animated_webp_is_refused_as_unsupported()
    {
        // VP8X with the animation flag, then an empty ANIM chunk: libwebp reports the animation from the header.
        var vp8x = new byte[18];
        "VP8X"u8.CopyTo(vp8x);
        BinaryPrimitives.WriteUInt32LittleEndian(vp8x.AsSpan(4), 10);
        vp8x[8] = 0x02; // animation
        vp8x[12] = 15; vp8x[15] = 15; // canvas 16x16 (stored minus one, 24-bit)
        var anim = new byte[14];
        "ANIM"u8.CopyTo(anim);
        BinaryPrimitives.WriteUInt32LittleEndian(anim.AsSpan(4), 6);
        var data = Riff([.. vp8x, .. anim]);
        Assert.Equal(ImageDecodeError.Unsupported, Reject(data));
    }

    private static byte[] Riff(byte[] chunks)
    {
        var data = new byte[12 + chunks.Length];
        "RIFF"u8.CopyTo(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)(data.Length - 8));
        "WEBP"u8.CopyTo(data.AsSpan(8));
        chunks.CopyTo(data, 12);
        return data;
    }

    /// <summary>
    /// A simple-format WebP (one VP8/VP8L chunk) rewritten in the extended format with an EXIF chunk holding
    /// <paramref name="tiff"/>: VP8X (EXIF flag, canvas size), the image chunk, then EXIF (padded to even size).
    /// </summary>
    internal static byte[] WithExif(byte[] webp, byte[] tiff, int width, int height)
    {
        var vp8x = new byte[18];
        "VP8X"u8.CopyTo(vp8x);
        BinaryPrimitives.WriteUInt32LittleEndian(vp8x.AsSpan(4), 10);
        vp8x[8] = 0x08; // EXIF present
        void U24(int at, int v) { vp8x[at] = (byte)v; vp8x[at + 1] = (byte)(v >> 8); vp8x[at + 2] = (byte)(v >> 16); }
        U24(12, width - 1);
        U24(15, height - 1);
        var exif = new byte[8 + tiff.Length + (tiff.Length & 1)];
        "EXIF"u8.CopyTo(exif);
        BinaryPrimitives.WriteUInt32LittleEndian(exif.AsSpan(4), (uint)tiff.Length);
        tiff.CopyTo(exif, 8);
        return Riff([.. vp8x, .. webp.AsSpan(12), .. exif]);
    }
}
