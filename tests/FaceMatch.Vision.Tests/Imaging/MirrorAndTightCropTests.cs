using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Evaluation;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Imaging;

public sealed class MirrorAndTightCropTests
{
    private static RgbImage Gradient(int w, int h)
    {
        var image = RgbImage.Allocate(w, h);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                image[x, y] = new Rgb24((byte)(x * 7), (byte)(y * 5), (byte)(x + y));
        return image;
    }

    [Fact]
    public void MirrorSwapsLeftAndRightKeepingEachPixelsChannels()
    {
        using var image = Gradient(5, 3);
        using var mirrored = image.MirrorHorizontally();
        for (var y = 0; y < 3; y++)
            for (var x = 0; x < 5; x++)
                Assert.Equal(image[x, y], mirrored[4 - x, y]);
    }

    [Fact]
    public void TightCropIsAGreySquareOfThePaddedBox()
    {
        using var image = Gradient(40, 40);
        using var crop = TightCropSet.Crop(image, new FaceBox(10, 10, 20, 10), new TightCropOptions(Size: 24, Padding: 0.1f));
        Assert.Equal((24, 24), (crop.Width, crop.Height));
        for (var y = 0; y < 24; y++)
            for (var x = 0; x < 24; x++)
            {
                var p = crop[x, y];
                Assert.True(p.R == p.G && p.G == p.B, $"({x},{y}) is not grey");
            }
        // The square is 24 px of source (20 × 1.2) centred on the box centre (20, 15): the crop's centre shows the box
        // centre's luma, and its left edge source column 8.
        var centre = image[20, 15];
        var luma = 0.299 * centre.R + 0.587 * centre.G + 0.114 * centre.B;
        Assert.InRange(crop[12, 12].R, luma - 4, luma + 4);
    }
}
