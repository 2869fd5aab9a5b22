namespace FaceMatch.Vision.Imaging;

public enum ImageFormat
{
    Jpeg = 1,
    Png = 2,
    Webp = 3,
}

/// <summary>The colour model as stored; decoded output is always RGB.</summary>
public enum ImageColorModel
{
    Gray = 1,
    Rgb = 2,
    Cmyk = 3,
    Ycck = 4,
    Palette = 5,
}

/// <summary>
/// What the decoder found in the header and what it will produce. <see cref="Width"/> × <see cref="Height"/>
/// is the RGB output: the stored size divided by <see cref="ScaleDenominator"/> (rounded up), then
/// reoriented (orientations 5–8 swap the sides).
/// </summary>
public readonly record struct ImageInfo(
    ImageFormat Format,
    int StoredWidth,
    int StoredHeight,
    int Width,
    int Height,
    int ScaleDenominator,
    int Orientation,
    ImageColorModel ColorModel,
    int BitDepth,
    bool HasAlpha,
    bool IsProgressive,
    bool IsTruncated,
    bool IsAdobeCmyk)
{
    public int Stride => Width * 3;
}

/// <summary>
/// How large a decode the caller needs. JPEG may then be decoded at 1/2, 1/4 or 1/8 scale inside the IDCT
/// (much faster than decoding at full size and shrinking): the smallest of those whose output keeps the
/// longest side ≥ <see cref="MinLongSide"/> and the shortest side ≥ <see cref="MinShortSide"/>. Zero means no
/// requirement; the default decodes at full size. PNG is always decoded at full size.
/// </summary>
public readonly record struct DecodeTarget(int MinLongSide = 0, int MinShortSide = 0)
{
    public static DecodeTarget FullSize => default;

    public bool IsFullSize => MinLongSide <= 0 && MinShortSide <= 0;
}
