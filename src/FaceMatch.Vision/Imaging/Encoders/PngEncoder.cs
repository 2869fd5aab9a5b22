using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging.Encoders;

/// <summary>PNG colour types (PNG specification, IHDR).</summary>
public enum PngColorType
{
    Gray = 0,
    Rgb = 2,
    Indexed = 3,
    GrayAlpha = 4,
    Rgba = 6,
}

/// <summary>
/// Raw pixels in PNG sample layout: rows of Width × channels × BitDepth bits (sub-byte depths packed
/// most-significant bits first), 16-bit samples as native-endian ushorts. For <see cref="PngColorType.Indexed"/>,
/// <see cref="Palette"/> holds RGB triplets and <see cref="PaletteAlpha"/> optional per-entry alpha (tRNS).
/// <see cref="Exif"/> is an eXIf payload starting at the TIFF header ("II*\0" or "MM\0*").
/// </summary>
public sealed record PngPixels(ReadOnlyMemory<byte> Data, int Width, int Height, int Stride, PngColorType ColorType,
    int BitDepth = 8)
{
    public ReadOnlyMemory<byte> Palette { get; init; }
    public ReadOnlyMemory<byte> PaletteAlpha { get; init; }
    public ReadOnlyMemory<byte> Exif { get; init; }
    /// <summary>zlib level 0..9; −1 for libspng's default.</summary>
    public int CompressionLevel { get; init; } = -1;
    /// <summary>Adam7 interlacing.</summary>
    public bool Interlaced { get; init; }
}

/// <summary>PNG encoding through libspng: debug output (<c>--debug</c>) and test fixtures of every PNG flavour.</summary>
public static class PngEncoder
{
    public static byte[] Encode(RgbImage image, int compressionLevel = -1)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(new PngPixels(image.PixelArray.AsMemory(0, image.ByteLength), image.Width, image.Height,
            image.Stride, PngColorType.Rgb) { CompressionLevel = compressionLevel });
    }

    public static unsafe byte[] Encode(PngPixels pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var channels = pixels.ColorType switch
        {
            PngColorType.Gray or PngColorType.Indexed => 1,
            PngColorType.GrayAlpha => 2,
            PngColorType.Rgb => 3,
            PngColorType.Rgba => 4,
            _ => throw new ArgumentOutOfRangeException(nameof(pixels), $"colour type {pixels.ColorType}"),
        };
        var rowBytes = ((long)pixels.Width * channels * pixels.BitDepth + 7) / 8;
        if (pixels.Width < 1 || pixels.Height < 1 || pixels.Stride < rowBytes ||
            (pixels.Height - 1L) * pixels.Stride + rowBytes > pixels.Data.Length)
            throw new ArgumentException($"{pixels.Data.Length} bytes cannot hold {pixels.Width}x{pixels.Height} " +
                                        $"{pixels.ColorType}/{pixels.BitDepth} with stride {pixels.Stride}");
        if (pixels.Palette.Length % 3 != 0)
            throw new ArgumentException("palette must be RGB triplets");

        NativeBuffer buffer;
        NativeError error;
        int status;
        fixed (byte* data = pixels.Data.Span)
        fixed (byte* palette = pixels.Palette.Span)
        fixed (byte* alpha = pixels.PaletteAlpha.Span)
        fixed (byte* exif = pixels.Exif.Span)
        {
            var p = new NativePngParams
            {
                Pixels = data,
                Width = pixels.Width,
                Height = pixels.Height,
                Stride = pixels.Stride,
                ColorType = (int)pixels.ColorType,
                BitDepth = pixels.BitDepth,
                PaletteEntries = pixels.Palette.Length / 3,
                Palette = palette,
                PaletteAlphaEntries = pixels.PaletteAlpha.Length,
                PaletteAlpha = alpha,
                ExifLength = pixels.Exif.Length,
                Exif = exif,
                CompressionLevel = pixels.CompressionLevel,
                Interlaced = pixels.Interlaced ? 1 : 0,
            };
            status = ImagingNative.fm_png_encode(&p, &buffer, &error);
        }
        NativeStatus.ThrowIfFailed(status, error);
        return ImagingNative.TakeBuffer(ref buffer);
    }
}
