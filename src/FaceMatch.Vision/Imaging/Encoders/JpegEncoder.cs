using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging.Encoders;

public enum JpegPixelKind
{
    Rgb = 0,
    Gray = 1,
    /// <summary>4 bytes per pixel, stored as given with an Adobe marker: by Adobe convention 255 means no ink.</summary>
    Cmyk = 2,
}

public enum JpegSubsampling
{
    S444 = 0,
    S422 = 1,
    S420 = 2,
    Gray = 3,
}

/// <summary>JPEG encoding through TurboJPEG (accurate DCT): tests re-encode at low quality with it; debug captures.</summary>
public static class JpegEncoder
{
    public static byte[] Encode(RgbImage image, int quality = 90, JpegSubsampling subsampling = JpegSubsampling.S420,
        bool progressive = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.PixelArray.AsSpan(0, image.ByteLength), image.Width, image.Height, image.Stride,
            JpegPixelKind.Rgb, quality, subsampling, progressive);
    }

    public static unsafe byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int stride, JpegPixelKind kind,
        int quality = 90, JpegSubsampling subsampling = JpegSubsampling.S420, bool progressive = false)
    {
        var bpp = kind switch { JpegPixelKind.Rgb => 3, JpegPixelKind.Gray => 1, JpegPixelKind.Cmyk => 4, _ => 0 };
        if (bpp == 0)
            throw new ArgumentOutOfRangeException(nameof(kind));
        if (width < 1 || height < 1 || stride < (long)width * bpp || (height - 1L) * stride + (long)width * bpp > pixels.Length)
            throw new ArgumentException($"{pixels.Length} bytes cannot hold {width}x{height} {kind} with stride {stride}");
        NativeBuffer buffer;
        NativeError error;
        int status;
        fixed (byte* p = pixels)
            status = ImagingNative.fm_jpeg_encode(p, width, height, stride, (int)kind, quality, (int)subsampling,
                progressive ? 1 : 0, &buffer, &error);
        NativeStatus.ThrowIfFailed(status, error);
        return ImagingNative.TakeBuffer(ref buffer);
    }
}
