using System.Numerics;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Imaging;

public class AffineWarpTests
{
    private static readonly Rgb24 Fill = new(1, 2, 3);

    [Fact]
    public void Identity_warp_reproduces_the_input()
    {
        using var source = TestImages.Scene(50, 40);
        using var rgb = AffineWarp.ToRgb(source, AffineMatrix.Identity, 50, 40, Fill);
        Assert.Equal((0.0, 0), TestImages.Difference(source, rgb));

        var format = new ImageTensorFormat(50, 40);
        var tensor = new float[format.ElementCount];
        AffineWarp.ToTensor(source, AffineMatrix.Identity, format, tensor);
        for (var y = 0; y < 40; y++)
            for (var x = 0; x < 50; x++)
                Assert.Equal(source[x, y].G, tensor[format.IndexOf(x, y, 1)]);
    }

    [Fact]
    public void Integer_translation_moves_pixels_and_fills_what_is_uncovered()
    {
        using var source = TestImages.Scene(30, 20);
        using var moved = AffineWarp.ToRgb(source, AffineMatrix.Translation(5, 3), 30, 20, Fill);
        for (var y = 0; y < 20; y++)
            for (var x = 0; x < 30; x++)
            {
                var expected = x >= 5 && y >= 3 ? source[x - 5, y - 3] : Fill;
                Assert.Equal(expected, moved[x, y]);
            }
    }

    [Fact]
    public void Half_pixel_translation_averages_neighbours()
    {
        var pixels = new byte[] { 0, 0, 0, 100, 100, 100, 200, 200, 200 };
        using var source = RgbImage.Wrap(pixels, 3, 1, 9);
        using var moved = AffineWarp.ToRgb(source, AffineMatrix.Translation(0.5, 0), 3, 1, new Rgb24(60, 60, 60), supersample: 1);
        // Output centre x + 0.5 reads source x: output 1 sits halfway between source pixels 0 and 1.
        Assert.Equal(50, moved[1, 0].R);
        Assert.Equal(150, moved[2, 0].R);
        Assert.Equal(30, moved[0, 0].R); // half fill, half pixel 0
    }

    [Fact]
    public void Quarter_turn_puts_a_marked_pixel_where_the_matrix_says()
    {
        using var source = TestImages.Solid(40, 40, Rgb24.Black);
        source[30, 10] = Rgb24.White;
        var m = AffineMatrix.Rotation(90, new Vector2(20, 20));
        // The centre of pixel (30, 10) is (30.5, 10.5); the rotation takes it to the centre of one output pixel.
        var p = m.Apply(new Vector2(30.5f, 10.5f));
        using var rotated = AffineWarp.ToRgb(source, m, 40, 40, Rgb24.Black);
        var (px, py) = ((int)MathF.Floor(p.X), (int)MathF.Floor(p.Y));
        Assert.Equal((29, 30), (px, py)); // clockwise on screen: upper right of the centre moves to lower right
        Assert.Equal(Rgb24.White, rotated[px, py]);
        Assert.Equal(1, CountBright(rotated, 128));
    }

    [Theory]
    [InlineData(10.0)]
    [InlineData(-10.0)]
    [InlineData(33.0)]
    public void Arbitrary_rotation_moves_a_block_centroid_onto_the_mapped_point(double degrees)
    {
        using var source = TestImages.Solid(80, 60, Rgb24.Black);
        TestImages.Fill(source, 50, 12, 6, Rgb24.White); // centre (53, 15)
        var m = AffineMatrix.Rotation(degrees, new Vector2(40, 30));
        using var rotated = AffineWarp.ToRgb(source, m, 80, 60, Rgb24.Black);
        var expected = m.Apply(new Vector2(53, 15));
        var centroid = Centroid(rotated);
        Assert.InRange(Vector2.Distance(expected, centroid), 0, 0.15f);
    }

    [Fact]
    public void Everything_outside_the_source_is_fill()
    {
        using var source = TestImages.Scene(20, 20);
        using var far = AffineWarp.ToRgb(source, AffineMatrix.Translation(1000, -1000), 16, 16, Fill);
        for (var y = 0; y < 16; y++)
            for (var x = 0; x < 16; x++)
                Assert.Equal(Fill, far[x, y]);

        var format = new ImageTensorFormat(8, 8) { Fill = new Rgb24(255, 0, 51), Normalization = TensorNormalization.ZeroToOne };
        var tensor = new float[format.ElementCount];
        AffineWarp.ToTensor(source, AffineMatrix.Translation(-500, 0), format, tensor);
        Assert.Equal(1f, tensor[format.IndexOf(3, 3, 0)]);
        Assert.Equal(0.2f, tensor[format.IndexOf(3, 3, 2)], 6);
    }

    [Fact]
    public void Shrinking_warp_supersamples_automatically()
    {
        using var source = RgbImage.Allocate(128, 128);
        for (var y = 0; y < 128; y++)
            for (var x = 0; x < 128; x++)
                source[x, y] = ((x + y) & 1) == 0 ? Rgb24.White : Rgb24.Black;
        var quarter = AffineMatrix.Scaling(0.25, 0.25);
        using var auto = AffineWarp.ToRgb(source, quarter, 32, 32);
        for (var y = 0; y < 32; y++)
            for (var x = 0; x < 32; x++)
                Assert.InRange(auto[x, y].R, 110, 145);
    }

    [Fact]
    public void Batch_items_are_written_in_place_without_touching_neighbours()
    {
        using var source = TestImages.Scene(64, 64);
        var format = new ImageTensorFormat(16, 16) { Layout = TensorLayout.Nchw, Normalization = TensorNormalization.MinusOneToOne };
        var batch = new float[format.ElementCount * 3];
        Array.Fill(batch, float.NaN);
        var m = AffineMatrix.Scaling(0.25, 0.25);
        AffineWarp.ToTensor(source, m, format, batch.AsSpan(format.ElementCount, format.ElementCount));

        Assert.All(batch.AsSpan(0, format.ElementCount).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(batch.AsSpan(2 * format.ElementCount).ToArray(), v => Assert.True(float.IsNaN(v)));
        var item = batch.AsSpan(format.ElementCount, format.ElementCount).ToArray();
        Assert.All(item, v => Assert.InRange(v, -1f, 1f));

        // Same values as warping to RGB and normalising (up to the RGB path's rounding).
        using var rgb = AffineWarp.ToRgb(source, m, 16, 16);
        for (var y = 0; y < 16; y++)
            for (var x = 0; x < 16; x++)
                Assert.Equal((rgb[x, y].B - 127.5f) / 127.5f, item[format.IndexOf(x, y, 2)], 0.005f);
    }

    [Fact]
    public void Singular_matrix_is_a_caller_error()
    {
        using var source = TestImages.Scene(8, 8);
        Assert.Throws<ArgumentException>(() => AffineWarp.ToRgb(source, new AffineMatrix(1, 2, 0, 2, 4, 0), 8, 8).Dispose());
        Assert.Throws<ArgumentException>(() =>
            AffineWarp.ToRgb(source, new AffineMatrix(double.NaN, 0, 0, 0, 1, 0), 8, 8).Dispose());
    }

    [Fact]
    public void Two_half_turns_restore_the_image_exactly()
    {
        using var source = TestImages.Scene(41, 30);
        using var once = AffineWarp.Rotate(source, 180);
        Assert.Equal(source[0, 0], once[40, 29]);
        Assert.Equal(source[40, 0], once[0, 29]);
        using var twice = AffineWarp.Rotate(once, 180);
        Assert.Equal((0.0, 0), TestImages.Difference(source, twice));
    }

    [Fact]
    public void Ten_degree_rotation_keeps_size_and_centre()
    {
        using var source = TestImages.Solid(60, 40, Rgb24.Black);
        TestImages.Fill(source, 28, 18, 4, Rgb24.White); // centred block stays put
        using var rotated = AffineWarp.Rotate(source, 10, TestImages.Gray);
        Assert.Equal((60, 40), (rotated.Width, rotated.Height));
        Assert.InRange(Vector2.Distance(Centroid(rotated, onlyWhite: true), new Vector2(30, 20)), 0, 0.1f);
        Assert.Equal(TestImages.Gray, rotated[0, 0]); // a corner uncovered by the turn
    }

    [Fact]
    public void Resize_produces_the_requested_size_and_keeps_flat_colour()
    {
        using var source = TestImages.Solid(30, 20, TestImages.Green);
        using var larger = AffineWarp.Resize(source, 75, 33);
        using var smaller = AffineWarp.Resize(source, 7, 5);
        Assert.Equal((75, 33), (larger.Width, larger.Height));
        Assert.Equal((7, 5), (smaller.Width, smaller.Height));
        Assert.Equal(TestImages.Green, larger[37, 16]);
        Assert.Equal(TestImages.Green, smaller[3, 2]);
    }

    private static int CountBright(RgbImage image, int threshold)
    {
        var n = 0;
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++)
                if (image[x, y].R >= threshold)
                    n++;
        return n;
    }

    private static Vector2 Centroid(RgbImage image, bool onlyWhite = false)
    {
        double sx = 0, sy = 0, sw = 0;
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++)
            {
                var p = image[x, y];
                double v = onlyWhite && p == TestImages.Gray ? 0 : p.R;
                sx += v * (x + 0.5); sy += v * (y + 0.5); sw += v;
            }
        return new Vector2((float)(sx / sw), (float)(sy / sw));
    }
}
