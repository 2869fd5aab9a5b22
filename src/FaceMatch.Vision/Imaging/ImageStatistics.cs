using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging;

/// <summary>
/// Exposure and sharpness of a region, on luma Y = (77 R + 150 G + 29 B + 128) / 256 (BT.601).
/// <see cref="LaplacianVariance"/> is the variance of the 4-neighbour Laplacian (OpenCV's ksize = 1) over the
/// region's interior: low for blur, high for detail. It depends on the region's resolution, so compare it on
/// crops of the same size (e.g. the aligned 112 × 112 face).
/// </summary>
public readonly record struct RegionStatistics(
    double MeanLuma, double LumaStdDev, double LaplacianVariance, double DarkFraction, double BrightFraction,
    long PixelCount);

public static class ImageStatistics
{
    /// <summary>Statistics over <paramref name="region"/> clipped to the image; throws if nothing is left.</summary>
    public static unsafe RegionStatistics Measure(RgbImage image, PixelRect region)
    {
        ArgumentNullException.ThrowIfNull(image);
        NativeRegionStats stats;
        NativeError error;
        int status;
        fixed (byte* p = image.PixelArray)
        {
            var view = image.NativeView(p);
            status = ImagingNative.fm_region_stats_compute(&view, region.X, region.Y, region.Width, region.Height,
                &stats, &error);
        }
        NativeStatus.ThrowIfFailed(status, error);
        return new RegionStatistics(stats.MeanLuma, stats.LumaStdDev, stats.LaplacianVariance, stats.DarkFraction,
            stats.BrightFraction, stats.PixelCount);
    }

    public static RegionStatistics Measure(RgbImage image) => Measure(image, new PixelRect(0, 0, image.Width, image.Height));

    /// <summary>Writes the luma plane: Height rows of Width bytes, <paramref name="stride"/> apart.</summary>
    public static unsafe void ToGray(RgbImage image, Span<byte> destination, int stride)
    {
        ArgumentNullException.ThrowIfNull(image);
        NativeError error;
        int status;
        fixed (byte* p = image.PixelArray)
        fixed (byte* d = destination)
        {
            var view = image.NativeView(p);
            status = ImagingNative.fm_rgb_to_gray(&view, d, stride, (nuint)destination.Length, &error);
        }
        NativeStatus.ThrowIfFailed(status, error);
    }
}
