namespace FaceMatch.Vision.Imaging;

/// <summary>What to do with a JPEG whose data ends before its end-of-image marker.</summary>
public enum TruncatedJpegPolicy
{
    /// <summary>Fail with <see cref="ImageDecodeError.Truncated"/> (default: a half-grey face must not be matched).</summary>
    Reject,
    /// <summary>Decode what is there; libjpeg fills the missing part (flat blocks) and <see cref="ImageInfo.IsTruncated"/> is set.</summary>
    DecodePartial,
}

/// <summary>
/// Limits and policies of <see cref="ImageDecoder"/>. The limits are checked against the encoded size and the
/// header's dimensions before any image-sized memory is allocated, so a decompression bomb costs nothing.
/// </summary>
public sealed record ImageDecodeOptions
{
    public const long DefaultMaxEncodedBytes = 20L * 1024 * 1024;
    public const long DefaultMaxPixels = 40_000_000;
    public const int DefaultMaxDimension = 16_384;

    /// <summary>Largest accepted encoded image, in bytes.</summary>
    public long MaxEncodedBytes { get; init; } = DefaultMaxEncodedBytes;

    /// <summary>Largest accepted width × height, as stored in the header (before any scaled decode).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Largest accepted width and height, as stored in the header.</summary>
    public int MaxDimension { get; init; } = DefaultMaxDimension;

    /// <summary>Rotate/flip to the EXIF Orientation (JPEG APP1, PNG eXIf, WebP EXIF chunk), as every photo viewer does.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    public TruncatedJpegPolicy TruncatedJpeg { get; init; } = TruncatedJpegPolicy.Reject;

    /// <summary>
    /// Treat libjpeg warnings (corrupt entropy-coded data, extraneous bytes) as <see cref="ImageDecodeError.Corrupt"/>.
    /// Off by default: such files are common from cameras and editors and decode to a complete image.
    /// </summary>
    public bool StrictJpeg { get; init; }

    /// <summary>Colour that PNG and WebP alpha is composited onto (transparent pixels become this colour).</summary>
    public Rgb24 AlphaBackground { get; init; } = Rgb24.NeutralGray;

    public static ImageDecodeOptions Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEncodedBytes, 1, nameof(MaxEncodedBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        // RGB8 output must fit one managed array; the native side caps at 2^30 pixels as well.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPixels, Array.MaxLength / 3, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDimension, 1, nameof(MaxDimension));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDimension, 65_535, nameof(MaxDimension));
    }
}
