using System.Numerics;
using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging;

/// <summary>
/// Where a letterboxed image sits in its tensor: tensor = source × Scale + Offset per axis, in continuous
/// coordinates. Detections made in tensor pixels map back with <see cref="ToSource(Vector2)"/>.
/// </summary>
public readonly record struct LetterboxTransform(float ScaleX, float ScaleY, float OffsetX, float OffsetY, PixelRect Content)
{
    public Vector2 ToTensor(Vector2 source) => new(source.X * ScaleX + OffsetX, source.Y * ScaleY + OffsetY);

    public Vector2 ToSource(Vector2 tensor) => new((tensor.X - OffsetX) / ScaleX, (tensor.Y - OffsetY) / ScaleY);

    public AffineMatrix SourceToTensor => new(ScaleX, 0, OffsetX, 0, ScaleY, OffsetY);
}

/// <summary>
/// Fits an image into a fixed-size detector input, keeping its aspect ratio, centred, padding with
/// <see cref="ImageTensorFormat.Fill"/>. Bilinear when enlarging; when shrinking the bilinear kernel widens
/// to the scale factor (an area-weighted average), so large photos do not alias.
/// </summary>
public static class Letterbox
{
    /// <summary>Writes <paramref name="format"/>.ElementCount floats at the start of <paramref name="destination"/>.</summary>
    public static unsafe LetterboxTransform ToTensor(RgbImage source, ImageTensorFormat format, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(format);
        if (destination.Length < format.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats, {format.ElementCount} needed");
        var nf = format.ToNative();
        NativeLetterbox result;
        NativeError error;
        int status;
        fixed (byte* src = source.PixelArray)
        fixed (float* dst = destination)
        {
            var view = source.NativeView(src);
            status = ImagingNative.fm_letterbox_f32(&view, &nf, dst, (nuint)format.ElementCount, &result, &error);
        }
        NativeStatus.ThrowIfFailed(status, error);
        return new LetterboxTransform(result.ScaleX, result.ScaleY, result.OffsetX, result.OffsetY,
            new PixelRect(result.ContentX, result.ContentY, result.ContentWidth, result.ContentHeight));
    }
}
