using System.Runtime.InteropServices;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

public class PngDecodeTests
{
    private static readonly ImageDecoder Decoder = new();

    [Fact]
    public void Rgb8_round_trips_exactly()
    {
        using var source = TestImages.Scene(77, 41);
        using var decoded = Decoder.Decode(TestImages.Png(source));
        Assert.Equal((0.0, 0), TestImages.Difference(source, decoded));
    }

    [Fact]
    public void Interlaced_png_decodes_to_the_same_pixels()
    {
        using var source = TestImages.Scene(50, 33);
        var png = PngEncoder.Encode(new PngPixels(source.PixelArray.AsMemory(0, source.ByteLength), 50, 33, source.Stride,
            PngColorType.Rgb) { Interlaced = true });
        var info = Decoder.Identify(png);
        Assert.True(info.IsProgressive);
        using var decoded = Decoder.Decode(png);
        Assert.Equal((0.0, 0), TestImages.Difference(source, decoded));
    }

    [Fact]
    public void One_by_one_png_decodes()
    {
        using var source = TestImages.Solid(1, 1, TestImages.Yellow);
        using var decoded = Decoder.Decode(TestImages.Png(source));
        Assert.Equal(TestImages.Yellow, decoded[0, 0]);
    }

    [Fact]
    public void Sixteen_bit_rgb_keeps_the_high_byte()
    {
        const int w = 8, h = 4;
        var samples = new ushort[w * h * 3];
        for (var i = 0; i < samples.Length; i++)
            samples[i] = (ushort)(i * 1000 + 0x00FF); // low byte must not leak into the 8-bit result
        var bytes = MemoryMarshal.AsBytes(samples.AsSpan()).ToArray();
        var png = PngEncoder.Encode(new PngPixels(bytes, w, h, w * 6, PngColorType.Rgb, 16));

        var info = Decoder.Identify(png);
        Assert.Equal(16, info.BitDepth);
        using var decoded = Decoder.Decode(png);
        for (var i = 0; i < samples.Length; i++)
        {
            var p = decoded[i / 3 % w, i / 3 / w];
            var channel = (i % 3) switch { 0 => p.R, 1 => p.G, _ => p.B };
            Assert.Equal(samples[i] >> 8, channel);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void Gray_png_of_every_depth_becomes_equal_rgb(int depth)
    {
        const int w = 13, h = 3;
        var max = (1 << depth) - 1;
        var rowBytes = (w * depth + 7) / 8;
        var data = new byte[rowBytes * h];
        var values = new int[w * h];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var v = (x * 7 + y * 3) % (max + 1);
                values[y * w + x] = v;
                if (depth == 16)
                {
                    // host-endian ushort
                    BitConverter.TryWriteBytes(data.AsSpan(y * rowBytes + x * 2), (ushort)(v * 257 % 65536));
                    values[y * w + x] = v * 257 % 65536;
                }
                else
                {
                    var bit = x * depth;
                    data[y * rowBytes + bit / 8] |= (byte)(v << (8 - depth - bit % 8));
                }
            }
        var png = PngEncoder.Encode(new PngPixels(data, w, h, rowBytes, PngColorType.Gray, depth));
        Assert.Equal(ImageColorModel.Gray, Decoder.Identify(png).ColorModel);
        using var decoded = Decoder.Decode(png);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var v = values[y * w + x];
                var expected = depth == 16 ? v >> 8 : v * 255 / max; // PNG scales low depths to the full range
                Assert.Equal(new Rgb24((byte)expected, (byte)expected, (byte)expected), decoded[x, y]);
            }
    }

    [Fact]
    public void Palette_png_maps_indices_through_the_palette()
    {
        byte[] palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        const int w = 8, h = 2;
        var indices = new byte[w * h];
        for (var i = 0; i < indices.Length; i++)
            indices[i] = (byte)(i % 4);
        var png = PngEncoder.Encode(new PngPixels(indices, w, h, w, PngColorType.Indexed) { Palette = palette });

        var info = Decoder.Identify(png);
        Assert.Equal((ImageColorModel.Palette, false), (info.ColorModel, info.HasAlpha));
        using var decoded = Decoder.Decode(png);
        for (var i = 0; i < indices.Length; i++)
        {
            var k = indices[i] * 3;
            Assert.Equal(new Rgb24(palette[k], palette[k + 1], palette[k + 2]), decoded[i % w, i / w]);
        }
    }

    [Fact]
    public void Palette_transparency_is_composited_onto_the_background()
    {
        byte[] palette = [200, 100, 50, 0, 0, 0];
        byte[] alpha = [255, 0]; // entry 1 fully transparent
        byte[] indices = [0, 1];
        var png = PngEncoder.Encode(new PngPixels(indices, 2, 1, 2, PngColorType.Indexed) { Palette = palette, PaletteAlpha = alpha });
        var background = new Rgb24(10, 220, 30);
        var decoder = new ImageDecoder(new ImageDecodeOptions { AlphaBackground = background });
        Assert.True(decoder.Identify(png).HasAlpha);
        using var decoded = decoder.Decode(png);
        Assert.Equal(new Rgb24(200, 100, 50), decoded[0, 0]);
        Assert.Equal(background, decoded[1, 0]);
    }

    [Fact]
    public void Rgba_is_composited_onto_neutral_grey_by_default()
    {
        // alpha 0, 255, 128 over colour (240, 16, 100)
        byte[] rgba = [240, 16, 100, 0, 240, 16, 100, 255, 240, 16, 100, 128];
        var png = PngEncoder.Encode(new PngPixels(rgba, 3, 1, 12, PngColorType.Rgba));
        using var decoded = Decoder.Decode(png);
        Assert.Equal(Rgb24.NeutralGray, decoded[0, 0]);
        Assert.Equal(new Rgb24(240, 16, 100), decoded[1, 0]);
        static byte Blend(int c, int bg) => (byte)Math.Round((c * 128 + bg * 127) / 255.0);
        Assert.Equal(new Rgb24(Blend(240, 128), Blend(16, 128), Blend(100, 128)), decoded[2, 0]);
    }

    [Fact]
    public void Gray_alpha_16_bit_is_composited()
    {
        // One pixel: grey 0xFFFF with alpha 0x0000 → background; one: grey 0x8000 opaque.
        ushort[] samples = [0xFFFF, 0x0000, 0x8000, 0xFFFF];
        var bytes = MemoryMarshal.AsBytes(samples.AsSpan()).ToArray();
        var png = PngEncoder.Encode(new PngPixels(bytes, 2, 1, 8, PngColorType.GrayAlpha, 16));
        var decoder = new ImageDecoder(new ImageDecodeOptions { AlphaBackground = Rgb24.Black });
        using var decoded = decoder.Decode(png);
        Assert.Equal(Rgb24.Black, decoded[0, 0]);
        Assert.Equal(new Rgb24(0x80, 0x80, 0x80), decoded[1, 0]);
    }
}
