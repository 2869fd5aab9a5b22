using System.Diagnostics;
using FaceMatch.Vision.Diagnostics;
using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging;

/// <summary>
/// Decodes JPEG (libjpeg-turbo), PNG (libspng) and WebP (libwebp, still images) into RGB8, applying the EXIF orientation, converting grey,
/// CMYK/YCCK and palette images to RGB and compositing alpha onto <see cref="ImageDecodeOptions.AlphaBackground"/>.
/// Every failure caused by the input is an <see cref="ImageDecodeException"/>. Thread-safe; keep one per options.
/// </summary>
public sealed class ImageDecoder
{
    private readonly NativeDecodeOptions _native;

    public ImageDecoder(ImageDecodeOptions? options = null)
    {
        Options = options ?? ImageDecodeOptions.Default;
        Options.Validate();
        _native = new NativeDecodeOptions
        {
            MaxEncodedBytes = Options.MaxEncodedBytes,
            MaxPixels = Options.MaxPixels,
            MaxDimension = Options.MaxDimension,
            Flags = (Options.ApplyExifOrientation ? 0 : NativeDecodeOptions.IgnoreOrientation)
                    | (Options.TruncatedJpeg == TruncatedJpegPolicy.DecodePartial ? NativeDecodeOptions.AllowTruncated : 0)
                    | (Options.StrictJpeg ? NativeDecodeOptions.StrictJpeg : 0),
            BackgroundR = Options.AlphaBackground.R,
            BackgroundG = Options.AlphaBackground.G,
            BackgroundB = Options.AlphaBackground.B,
        };
    }

    public ImageDecodeOptions Options { get; }

    /// <summary>Reads the headers only: format, sizes, orientation; checks the limits. Allocates nothing image-sized.</summary>
    public unsafe ImageInfo Identify(ReadOnlySpan<byte> encoded, DecodeTarget target = default)
    {
        fixed (byte* data = encoded)
        {
            var decoder = Open(data, encoded.Length, target, out var info);
            ImagingNative.fm_decoder_close(decoder);
            return info;
        }
    }

    /// <summary>Decodes into a new pooled <see cref="RgbImage"/> that the caller disposes.</summary>
    public unsafe RgbImage Decode(ReadOnlySpan<byte> encoded, DecodeTarget target = default)
    {
        var started = Stopwatch.GetTimestamp();
        fixed (byte* data = encoded)
        {
            var decoder = Open(data, encoded.Length, target, out var info);
            try
            {
                var image = RgbImage.Allocate(info.Width, info.Height);
                try
                {
                    fixed (byte* dst = image.PixelArray)
                        Run(decoder, dst, image.Stride, image.ByteLength);
                    VisionMetrics.DecodeDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                    return image;
                }
                catch
                {
                    image.Dispose();
                    throw;
                }
            }
            finally
            {
                ImagingNative.fm_decoder_close(decoder);
            }
        }
    }

    /// <summary>
    /// Decodes into memory the caller owns (size it with <see cref="Identify"/> and the same target):
    /// rows <paramref name="stride"/> bytes apart, at least (Height - 1) * stride + Width * 3 bytes.
    /// </summary>
    public unsafe ImageInfo DecodeInto(ReadOnlySpan<byte> encoded, Span<byte> destination, int stride,
        DecodeTarget target = default)
    {
        fixed (byte* data = encoded)
        {
            var decoder = Open(data, encoded.Length, target, out var info);
            try
            {
                if (stride < info.Width * 3 || (long)(info.Height - 1) * stride + info.Width * 3 > destination.Length)
                    throw new ArgumentException(
                        $"destination of {destination.Length} bytes with stride {stride} cannot hold {info.Width}x{info.Height} RGB");
                fixed (byte* dst = destination)
                    Run(decoder, dst, stride, destination.Length);
                return info;
            }
            finally
            {
                ImagingNative.fm_decoder_close(decoder);
            }
        }
    }

    private unsafe nint Open(byte* data, int length, DecodeTarget target, out ImageInfo info)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(target.MinLongSide, nameof(target));
        ArgumentOutOfRangeException.ThrowIfNegative(target.MinShortSide, nameof(target));
        var options = _native;
        options.MinLongSide = target.MinLongSide;
        options.MinShortSide = target.MinShortSide;
        nint decoder;
        NativeImageInfo raw;
        NativeError error;
        var status = ImagingNative.fm_decoder_open(data, (nuint)length, &options, &decoder, &raw, &error);
        NativeStatus.ThrowIfDecodeFailed(status, error);
        info = new ImageInfo(
            (ImageFormat)raw.Format, raw.StoredWidth, raw.StoredHeight, raw.Width, raw.Height, raw.ScaleDenominator,
            raw.Orientation, (ImageColorModel)raw.ColorModel, raw.BitDepth, raw.HasAlpha != 0,
            (raw.Flags & NativeImageInfo.FlagProgressive) != 0, (raw.Flags & NativeImageInfo.FlagTruncated) != 0,
            (raw.Flags & NativeImageInfo.FlagAdobeCmyk) != 0);
        return decoder;
    }

    private static unsafe void Run(nint decoder, byte* destination, int stride, int length)
    {
        NativeError error;
        var status = ImagingNative.fm_decoder_decode(decoder, destination, stride, (nuint)length, &error);
        NativeStatus.ThrowIfDecodeFailed(status, error);
    }
}
