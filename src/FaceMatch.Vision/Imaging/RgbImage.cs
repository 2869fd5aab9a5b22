using System.Buffers;
using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Imaging;

/// <summary>
/// An 8-bit RGB image, rows <see cref="Stride"/> bytes apart, pixels interleaved R, G, B. Images made by
/// <see cref="Allocate"/> (and by the decoder) rent their memory from <see cref="ArrayPool{T}.Shared"/>;
/// <see cref="Dispose"/> zeroes it before returning it, since frames may show a person's face and pooled
/// memory is handed to unrelated code next.
/// </summary>
public sealed class RgbImage : IDisposable
{
    private byte[]? _buffer;
    private readonly bool _pooled;

    private RgbImage(byte[] buffer, int width, int height, int stride, bool pooled)
    {
        _buffer = buffer;
        _pooled = pooled;
        Width = width;
        Height = height;
        Stride = stride;
    }

    public int Width { get; }
    public int Height { get; }
    public int Stride { get; }

    /// <summary>Bytes covered by the rows: (Height - 1) * Stride + Width * 3.</summary>
    public int ByteLength => (Height - 1) * Stride + Width * 3;

    /// <summary>A pooled, unpadded image (Stride = Width * 3); the contents are unspecified.</summary>
    public static RgbImage Allocate(int width, int height)
    {
        var stride = CheckSize(width, height);
        return new RgbImage(ArrayPool<byte>.Shared.Rent(stride * height), width, height, stride, pooled: true);
    }

    /// <summary>Wraps an existing buffer without copying; it is not returned anywhere on Dispose.</summary>
    public static RgbImage Wrap(byte[] pixels, int width, int height, int stride)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var minStride = CheckSize(width, height);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, minStride, nameof(stride));
        if ((long)(height - 1) * stride + minStride > pixels.Length)
            throw new ArgumentException($"{pixels.Length} bytes cannot hold {width}x{height} with stride {stride}");
        return new RgbImage(pixels, width, height, stride, pooled: false);
    }

    /// <summary>All rows, including any padding between them.</summary>
    public Span<byte> Pixels => Buffer.AsSpan(0, ByteLength);

    public Span<byte> Row(int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return Buffer.AsSpan(y * Stride, Width * 3);
    }

    public Rgb24 this[int x, int y]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(x);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
            var row = Row(y);
            return new Rgb24(row[x * 3], row[x * 3 + 1], row[x * 3 + 2]);
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(x);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
            var row = Row(y);
            row[x * 3] = value.R;
            row[x * 3 + 1] = value.G;
            row[x * 3 + 2] = value.B;
        }
    }

    /// <summary>Copies the pixels into a new, unpooled, unpadded image.</summary>
    public RgbImage Clone()
    {
        var copy = new byte[Width * 3 * Height];
        for (var y = 0; y < Height; y++)
            Row(y).CopyTo(copy.AsSpan(y * Width * 3));
        return new RgbImage(copy, Width, Height, Width * 3, pooled: false);
    }

    /// <summary>The mirror image (left ↔ right) in a new pooled image; the caller disposes it.</summary>
    public RgbImage MirrorHorizontally()
    {
        var mirrored = Allocate(Width, Height);
        for (var y = 0; y < Height; y++)
        {
            ReadOnlySpan<byte> src = Row(y);
            var dst = mirrored.Row(y);
            for (int x = 0, m = (Width - 1) * 3; x < Width; x++, m -= 3)
            {
                dst[m] = src[x * 3];
                dst[m + 1] = src[x * 3 + 1];
                dst[m + 2] = src[x * 3 + 2];
            }
        }
        return mirrored;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer == null || !_pooled)
            return;
        Array.Clear(buffer, 0, (Height - 1) * Stride + Width * 3);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(RgbImage));

    /// <summary>The backing array, for pinning in native calls (pair with <see cref="NativeView"/>).</summary>
    internal byte[] PixelArray => Buffer;

    internal unsafe NativeImage NativeView(byte* pinned) =>
        new() { Data = pinned, Width = Width, Height = Height, Stride = Stride };

    private static int CheckSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1, nameof(width));
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1, nameof(height));
        if ((long)width * 3 * height > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} RGB does not fit one array");
        return width * 3;
    }
}
