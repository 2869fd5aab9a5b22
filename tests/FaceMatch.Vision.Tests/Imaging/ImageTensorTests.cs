using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Imaging;

public class ImageTensorTests
{
    [Fact]
    public void Every_pixel_lands_where_the_format_says_normalised()
    {
        using var image = TestImages.Gradient(7, 5);
        var format = new ImageTensorFormat(7, 5)
        {
            Layout = TensorLayout.Nchw,
            Channels = ChannelOrder.Bgr,
            Normalization = new TensorNormalization(10, 20, 30, 0.5f, 0.25f, 2f),
        };
        var tensor = new float[format.ElementCount + 3];
        tensor[^1] = 42;
        ImageTensor.Write(image, format, tensor);
        for (var y = 0; y < 5; y++)
            for (var x = 0; x < 7; x++)
            {
                var p = image[x, y];
                Assert.Equal((p.R - 10) * 0.5f, tensor[format.IndexOf(x, y, 0)]);
                Assert.Equal((p.G - 20) * 0.25f, tensor[format.IndexOf(x, y, 1)]);
                Assert.Equal((p.B - 30) * 2f, tensor[format.IndexOf(x, y, 2)]);
            }
        Assert.Equal(42, tensor[^1]); // nothing written past the item
    }

    [Fact]
    public void An_image_of_another_size_is_refused_not_resampled()
    {
        using var image = TestImages.Gradient(8, 8);
        var format = new ImageTensorFormat(7, 8);
        var e = Assert.Throws<ArgumentException>(() => ImageTensor.Write(image, format, new float[format.ElementCount]));
        Assert.Contains("8x8", e.Message);
        Assert.Throws<ArgumentException>(() => ImageTensor.Write(image, new ImageTensorFormat(8, 8), new float[10]));
    }
}
