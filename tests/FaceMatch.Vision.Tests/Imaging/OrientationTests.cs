using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

/// <summary>
/// Each EXIF orientation, in JPEG (APP1, both byte orders) and PNG (eXIf). Expectations come from the EXIF
/// definition itself: the tag says on which side of the displayed picture the stored 0th row and the
/// stored 0th column lie.
/// </summary>
public class OrientationTests
{
    private const int W = 64, H = 40, Block = 12;
    private enum Side { Top, Bottom, Left, Right }

    // EXIF 2.3, Orientation: (side of the stored 0th row, side of the stored 0th column) as displayed.
    private static readonly Dictionary<int, (Side Row0, Side Col0)> Spec = new()
    {
        [1] = (Side.Top, Side.Left),
        [2] = (Side.Top, Side.Right),
        [3] = (Side.Bottom, Side.Right),
        [4] = (Side.Bottom, Side.Left),
        [5] = (Side.Left, Side.Top),
        [6] = (Side.Right, Side.Top),
        [7] = (Side.Right, Side.Bottom),
        [8] = (Side.Left, Side.Bottom),
    };

    private static Side Opposite(Side s) => s switch
    {
        Side.Top => Side.Bottom, Side.Bottom => Side.Top, Side.Left => Side.Right, _ => Side.Left,
    };

    /// <summary>Displayed corner (x, y) where the stored corner (last row?, last column?) ends up.</summary>
    private static (int X, int Y) DisplayedCorner(int orientation, bool lastRow, bool lastColumn, int width, int height)
    {
        var (row0, col0) = Spec[orientation];
        var rowSide = lastRow ? Opposite(row0) : row0;
        var colSide = lastColumn ? Opposite(col0) : col0;
        var horizontal = rowSide is Side.Left or Side.Right ? rowSide : colSide;
        var vertical = rowSide is Side.Top or Side.Bottom ? rowSide : colSide;
        var x = horizontal == Side.Left ? Block / 2 : width - 1 - Block / 2;
        var y = vertical == Side.Top ? Block / 2 : height - 1 - Block / 2;
        return (x, y);
    }

    private static void AssertOriented(RgbImage decoded, int orientation, int tolerance)
    {
        var swapped = orientation >= 5;
        Assert.Equal(swapped ? (H, W) : (W, H), (decoded.Width, decoded.Height));
        (bool LastRow, bool LastColumn, Rgb24 Colour)[] corners =
        [
            (false, false, TestImages.Red), (false, true, TestImages.Green),
            (true, false, TestImages.Blue), (true, true, TestImages.Yellow),
        ];
        foreach (var (lastRow, lastColumn, colour) in corners)
        {
            var (x, y) = DisplayedCorner(orientation, lastRow, lastColumn, decoded.Width, decoded.Height);
            TestImages.AssertColour(colour, decoded[x, y], tolerance, $"orientation {orientation}, corner {colour} at ({x},{y})");
        }
        TestImages.AssertColour(TestImages.Gray, decoded[decoded.Width / 2, decoded.Height / 2], tolerance, "centre");
    }

    public static TheoryData<int, bool> Orientations()
    {
        var data = new TheoryData<int, bool>();
        for (var o = 1; o <= 8; o++)
        {
            data.Add(o, false);
            data.Add(o, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Orientations))]
    public void Jpeg_exif_orientation_is_applied(int orientation, bool bigEndian)
    {
        using var stored = TestImages.Corners(W, H, Block);
        var jpeg = TestImages.WithExif(TestImages.Jpeg(stored, 95), TestImages.ExifTiff(orientation, bigEndian));
        var decoder = new ImageDecoder();
        Assert.Equal(orientation, decoder.Identify(jpeg).Orientation);
        using var decoded = decoder.Decode(jpeg);
        AssertOriented(decoded, orientation, tolerance: 10);
    }

    [Theory]
    [MemberData(nameof(Orientations))]
    public void Png_exif_orientation_is_applied(int orientation, bool bigEndian)
    {
        using var stored = TestImages.Corners(W, H, Block);
        var png = PngEncoder.Encode(new PngPixels(stored.PixelArray.AsMemory(0, stored.ByteLength), W, H, stored.Stride,
            PngColorType.Rgb) { Exif = TestImages.ExifTiff(orientation, bigEndian) });
        using var decoded = new ImageDecoder().Decode(png);
        AssertOriented(decoded, orientation, tolerance: 0);
    }

    [Theory]
    [MemberData(nameof(Orientations))]
    public void Webp_exif_orientation_is_applied(int orientation, bool bigEndian)
    {
        using var stored = TestImages.Corners(W, H, Block);
        var webp = WebpDecodeTests.WithExif(WebpEncoder.Encode(stored, lossless: true), TestImages.ExifTiff(orientation, bigEndian), W, H);
        var decoder = new ImageDecoder();
        Assert.Equal(orientation, decoder.Identify(webp).Orientation);
        using var decoded = decoder.Decode(webp);
        AssertOriented(decoded, orientation, tolerance: 0);
    }

    [Fact]
    public void Orientation_can_be_ignored()
    {
        using var stored = TestImages.Corners(W, H, Block);
        var jpeg = TestImages.WithExif(TestImages.Jpeg(stored, 95), TestImages.ExifTiff(6, false));
        var decoder = new ImageDecoder(new ImageDecodeOptions { ApplyExifOrientation = false });
        Assert.Equal(1, decoder.Identify(jpeg).Orientation);
        using var decoded = decoder.Decode(jpeg);
        AssertOriented(decoded, 1, tolerance: 10);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(0xFFFF)]
    public void Out_of_range_orientation_values_are_ignored(int value)
    {
        using var stored = TestImages.Corners(W, H, Block);
        var jpeg = TestImages.WithExif(TestImages.Jpeg(stored, 95), TestImages.ExifTiff(value, true));
        using var decoded = new ImageDecoder().Decode(jpeg);
        AssertOriented(decoded, 1, tolerance: 10);
    }

    [Fact]
    public void Malformed_exif_is_ignored_not_fatal()
    {
        using var stored = TestImages.Corners(W, H, Block);
        var tiff = TestImages.ExifTiff(6, false);
        tiff[4] = 0xF0; // IFD0 offset far beyond the segment
        var jpeg = TestImages.WithExif(TestImages.Jpeg(stored, 95), tiff);
        using var decoded = new ImageDecoder().Decode(jpeg);
        AssertOriented(decoded, 1, tolerance: 10);
        // A second, valid APP1 after a non-Exif APP1 (e.g. XMP) is still found.
        var xmpFirst = TestImages.InsertSegment(TestImages.WithExif(TestImages.Jpeg(stored, 95), TestImages.ExifTiff(3, false)),
            0xE1, "http://ns.adobe.com/xap/1.0/\0<x/>"u8.ToArray());
        using var rotated = new ImageDecoder().Decode(xmpFirst);
        AssertOriented(rotated, 3, tolerance: 10);
    }
}
