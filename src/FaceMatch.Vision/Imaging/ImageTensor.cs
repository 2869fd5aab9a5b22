using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging;

/// <summary>Writes an image that already has the tensor's size into it: layout and normalisation, no resampling.</summary>
public static class ImageTensor
{
    /// <summary>Writes <paramref name="format"/>.ElementCount floats at the start of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">the image is not format.Width × format.Height, or the destination is short.</exception>
    public static unsafe void Write(RgbImage image, ImageTensorFormat format, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(format);
        if (destination.Length < format.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats, {format.ElementCount} needed");
        var nf = format.ToNative();
        NativeError error;
        int status;
        fixed (byte* src = image.PixelArray)
        fixed (float* dst = destination)
        {
            var view = image.NativeView(src);
            status = ImagingNative.fm_image_to_f32(&view, &nf, dst, (nuint)format.ElementCount, &error);
        }
        NativeStatus.ThrowIfFailed(status, error);
    }
}
