using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging;

/// <summary>
/// Affine warps by inverse mapping with bilinear sampling at pixel centres. <c>sourceToDestination</c> maps
/// source coordinates to output coordinates (what <see cref="Alignment.SimilarityTransform"/> estimates);
/// samples falling outside the source take the fill colour. <c>supersample</c>: n × n samples averaged per
/// output pixel; 0 picks ceil(1 / scale) (at most 4) when the warp shrinks, else 1.
/// </summary>
public static class AffineWarp
{
    /// <summary>
    /// Warps into one item of a float tensor; pass the item's slice of a batch tensor
    /// (batch.Slice(n * format.ElementCount, format.ElementCount)) so batching copies nothing.
    /// </summary>
    public static unsafe void ToTensor(RgbImage source, AffineMatrix sourceToDestination, ImageTensorFormat format,
        Span<float> destination, int supersample = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(format);
        if (destination.Length < format.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats, {format.ElementCount} needed");
        var nf = format.ToNative();
        var m = stackalloc double[6];
        sourceToDestination.CopyTo(new Span<double>(m, 6));
        NativeError error;
        int status;
        fixed (byte* src = source.PixelArray)
        fixed (float* dst = destination)
        {
            var view = source.NativeView(src);
            status = ImagingNative.fm_warp_affine_f32(&view, m, &nf, supersample, dst, (nuint)format.ElementCount, &error);
        }
        NativeStatus.ThrowIfFailed(status, error);
    }

    /// <summary>Warps into a new pooled RGB image of the given size (debug crops, captures, test fixtures).</summary>
    public static RgbImage ToRgb(RgbImage source, AffineMatrix sourceToDestination, int width, int height,
        Rgb24 fill = default, int supersample = 0)
    {
        var output = RgbImage.Allocate(width, height);
        try
        {
            ToRgb(source, sourceToDestination, output, fill, supersample);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Rotates about the image centre, keeping the size (corners that leave the frame are cut, uncovered ones filled).</summary>
    public static RgbImage Rotate(RgbImage source, double degrees, Rgb24 fill = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var centre = new System.Numerics.Vector2(source.Width / 2f, source.Height / 2f);
        return ToRgb(source, AffineMatrix.Rotation(degrees, centre), source.Width, source.Height, fill);
    }

    /// <summary>Resizes to exactly width × height (bilinear; averaged when shrinking, see the class remarks).</summary>
    public static RgbImage Resize(RgbImage source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        var scale = AffineMatrix.Scaling((double)width / source.Width, (double)height / source.Height);
        return ToRgb(source, scale, width, height);
    }

    public static unsafe void ToRgb(RgbImage source, AffineMatrix sourceToDestination, RgbImage destination,
        Rgb24 fill = default, int supersample = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var m = stackalloc double[6];
        sourceToDestination.CopyTo(new Span<double>(m, 6));
        var f = stackalloc byte[3] { fill.R, fill.G, fill.B };
        NativeError error;
        int status;
        fixed (byte* src = source.PixelArray)
        fixed (byte* dst = destination.PixelArray)
        {
            var s = source.NativeView(src);
            var d = destination.NativeView(dst);
            status = ImagingNative.fm_warp_affine_rgb8(&s, m, f, supersample, &d, &error);
        }
        NativeStatus.ThrowIfFailed(status, error);
    }
}
