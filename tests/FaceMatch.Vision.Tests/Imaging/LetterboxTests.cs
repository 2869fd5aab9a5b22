using System.Numerics;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Imaging;

public class LetterboxTests
{
    [Fact]
    public void Same_size_square_image_is_copied_exactly_with_normalisation()
    {
        using var source = TestImages.Scene(32, 32);
        var format = new ImageTensorFormat(32, 32) { Normalization = TensorNormalization.MinusOneToOne };
        var tensor = new float[format.ElementCount];
        var t = Letterbox.ToTensor(source, format, tensor);
        Assert.Equal(new LetterboxTransform(1, 1, 0, 0, new PixelRect(0, 0, 32, 32)), t);
        for (var y = 0; y < 32; y++)
            for (var x = 0; x < 32; x++)
            {
                var p = source[x, y];
                Assert.Equal((p.R - 127.5f) / 127.5f, tensor[format.IndexOf(x, y, 0)], 5);
                Assert.Equal((p.G - 127.5f) / 127.5f, tensor[format.IndexOf(x, y, 1)], 5);
                Assert.Equal((p.B - 127.5f) / 127.5f, tensor[format.IndexOf(x, y, 2)], 5);
            }
    }

    [Fact]
    public void Wide_image_is_centred_vertically_and_padded_with_the_fill()
    {
        using var source = TestImages.Solid(200, 100, new Rgb24(200, 100, 50));
        var format = new ImageTensorFormat(64, 64) { Fill = new Rgb24(0, 0, 0), Normalization = TensorNormalization.ZeroToOne };
        var tensor = new float[format.ElementCount];
        var t = Letterbox.ToTensor(source, format, tensor);

        Assert.Equal(new PixelRect(0, 16, 64, 32), t.Content);
        Assert.Equal(0.32f, t.ScaleX, 6);
        Assert.Equal(0.32f, t.ScaleY, 6);
        Assert.Equal((0f, 16f), (t.OffsetX, t.OffsetY));
        for (var y = 0; y < 64; y++)
        {
            var inside = y >= 16 && y < 48;
            for (var x = 0; x < 64; x++)
            {
                Assert.Equal(inside ? 200 / 255f : 0f, tensor[format.IndexOf(x, y, 0)], 5);
                Assert.Equal(inside ? 50 / 255f : 0f, tensor[format.IndexOf(x, y, 2)], 5);
            }
        }
    }

    [Fact]
    public void Tall_image_in_a_non_square_tensor_is_centred_horizontally()
    {
        using var source = TestImages.Solid(30, 90, TestImages.Green);
        var format = new ImageTensorFormat(100, 60);
        var t = Letterbox.ToTensor(source, format, new float[format.ElementCount]);
        Assert.Equal(new PixelRect(40, 0, 20, 60), t.Content);
    }

    [Fact]
    public void Detections_map_back_to_source_coordinates()
    {
        // A bright block at source (120..140, 40..60) in a 300x150 image, letterboxed into 96x96.
        using var source = TestImages.Solid(300, 150, Rgb24.Black);
        TestImages.Fill(source, 120, 40, 20, Rgb24.White);
        var format = new ImageTensorFormat(96, 96);
        var tensor = new float[format.ElementCount];
        var t = Letterbox.ToTensor(source, format, tensor);

        // Intensity centroid of the block in tensor space, mapped back, lands on the block centre (130, 50).
        double sx = 0, sy = 0, sw = 0;
        for (var y = 0; y < 96; y++)
            for (var x = 0; x < 96; x++)
            {
                var v = tensor[format.IndexOf(x, y, 0)];
                sx += v * (x + 0.5); sy += v * (y + 0.5); sw += v;
            }
        var back = t.ToSource(new Vector2((float)(sx / sw), (float)(sy / sw)));
        Assert.InRange(back.X, 129.5f, 130.5f);
        Assert.InRange(back.Y, 49.5f, 50.5f);
        var there = t.ToTensor(back);
        Assert.Equal(sx / sw, there.X, 3);
        Assert.Equal(t.SourceToTensor.Apply(new Vector2(130, 50)), t.ToTensor(new Vector2(130, 50)));
    }

    [Fact]
    public void Enlarging_is_bilinear_with_replicated_edges()
    {
        var pixels = new byte[] { 0, 0, 0, 255, 255, 255 };
        using var source = RgbImage.Wrap(pixels, 2, 1, 6);
        var format = new ImageTensorFormat(4, 4);
        var tensor = new float[format.ElementCount];
        var t = Letterbox.ToTensor(source, format, tensor);
        Assert.Equal(new PixelRect(0, 1, 4, 2), t.Content);
        // Output centres map to source x = 0.25, 0.75, 1.25, 1.75 → weights against pixel centres 0.5 and 1.5.
        float[] expected = [0f, 63.75f, 191.25f, 255f];
        for (var x = 0; x < 4; x++)
        {
            Assert.Equal(expected[x], tensor[format.IndexOf(x, 1, 0)], 3);
            Assert.Equal(expected[x], tensor[format.IndexOf(x, 2, 1)], 3);
        }
    }

    [Fact]
    public void Shrinking_averages_instead_of_aliasing()
    {
        // One-pixel checkerboard: point-sampled bilinear at 1/4 would return pure 0 or 255.
        using var source = RgbImage.Allocate(256, 256);
        for (var y = 0; y < 256; y++)
            for (var x = 0; x < 256; x++)
                source[x, y] = ((x + y) & 1) == 0 ? Rgb24.White : Rgb24.Black;
        var format = new ImageTensorFormat(64, 64);
        var tensor = new float[format.ElementCount];
        Letterbox.ToTensor(source, format, tensor);
        for (var i = 0; i < tensor.Length; i++)
            Assert.InRange(tensor[i], 127.5f - 12f, 127.5f + 12f);
    }

    [Fact]
    public void Nchw_bgr_layout_and_per_channel_normalisation()
    {
        using var source = TestImages.Solid(10, 10, new Rgb24(10, 20, 30));
        var format = new ImageTensorFormat(10, 10)
        {
            Layout = TensorLayout.Nchw,
            Channels = ChannelOrder.Bgr,
            Normalization = new TensorNormalization(1, 2, 3, 0.5f, 0.25f, 0.125f),
        };
        var tensor = new float[format.ElementCount];
        Letterbox.ToTensor(source, format, tensor);
        // Planes in B, G, R order.
        Assert.All(tensor.AsSpan(0, 100).ToArray(), v => Assert.Equal((30 - 3) * 0.125f, v));
        Assert.All(tensor.AsSpan(100, 100).ToArray(), v => Assert.Equal((20 - 2) * 0.25f, v));
        Assert.All(tensor.AsSpan(200, 100).ToArray(), v => Assert.Equal((10 - 1) * 0.5f, v));
    }

    [Fact]
    public void Too_small_destination_is_a_caller_error()
    {
        using var source = TestImages.Solid(4, 4, Rgb24.White);
        Assert.Throws<ArgumentException>(() => Letterbox.ToTensor(source, new ImageTensorFormat(8, 8), new float[191]));
    }
}
