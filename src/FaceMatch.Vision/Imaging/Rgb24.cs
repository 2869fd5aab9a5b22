namespace FaceMatch.Vision.Imaging;

/// <summary>An 8-bit RGB colour.</summary>
public readonly record struct Rgb24(byte R, byte G, byte B)
{
    public static Rgb24 Black => new(0, 0, 0);
    public static Rgb24 White => new(255, 255, 255);
    /// <summary>Mid grey: the default behind transparent pixels and the default padding.</summary>
    public static Rgb24 NeutralGray => new(128, 128, 128);
}
