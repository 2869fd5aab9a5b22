using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging.Encoders;

/// <summary>WebP encoding through libwebp (lossy at a quality, or lossless): test fixtures for the WebP decoder.</summary>
public static class WebpEncoder
{
    /// <param name="quality">0..100 for lossy; ignored when <paramref name="lossless"/>.</param>
    public static byte[] Encode(RgbImage image, int quality = 90, bool lossless = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.PixelArray.AsSpan(0, image.ByteLength), image.Width, image.Height, image.Stride, 3, quality, lossless);
    }

    /// <summary>Rows of RGB (3 channels) or RGBA (4) bytes.</summary>
    public static unsafe byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int stride, int channels, int quality = 90,
        bool lossless = false)
    {
        if (width < 1 || height < 1 || channels is not (3 or 4) || stride < (long)width * channels
            || (height - 1L) * stride + (long)width * channels > pixels.Length)
            throw new ArgumentException($"{pixels.Length} bytes cannot hold {width}x{height}x{channels} with stride {stride}");
        NativeBuffer buffer;
        NativeError error;
        int status;
        fixed (byte* p = pixels)
            status = ImagingNative.fm_webp_encode(p, width, height, stride, channels, quality, lossless ? 1 : 0, &buffer, &error);
        NativeStatus.ThrowIfFailed(status, error);
        return ImagingNative.TakeBuffer(ref buffer);
    }
}
