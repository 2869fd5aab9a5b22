using System.Runtime.InteropServices;
using System.Text;

namespace FaceMatch.Vision.Imaging.Native;

// Field-for-field mirrors of native/imaging/include/facematch_imaging.h. NativeImagingTests compares every
// size with fm_struct_size, so a layout change on one side fails the tests rather than corrupting memory.

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeError
{
    public int Code;
    public fixed byte Message[252];

    public readonly string Text
    {
        get
        {
            fixed (byte* p = Message)
            {
                var span = new ReadOnlySpan<byte>(p, 252);
                var end = span.IndexOf((byte)0);
                return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
            }
        }
    }
}

[StructLayout(LayoutKind.Sequential)]
internal struct NativeDecodeOptions
{
    public long MaxEncodedBytes;
    public long MaxPixels;
    public int MaxDimension;
    public int MinLongSide;
    public int MinShortSide;
    public int Flags;
    public byte BackgroundR, BackgroundG, BackgroundB, BackgroundPad;

    public const int IgnoreOrientation = 1, AllowTruncated = 2, StrictJpeg = 4;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NativeImageInfo
{
    public int Format;
    public int StoredWidth;
    public int StoredHeight;
    public int Width;
    public int Height;
    public int ScaleDenominator;
    public int Orientation;
    public int ColorModel;
    public int BitDepth;
    public int HasAlpha;
    public int Flags;
    public int Reserved;

    public const int FlagTruncated = 1, FlagProgressive = 2, FlagAdobeCmyk = 4;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeImage
{
    public byte* Data;
    public int Width;
    public int Height;
    public int Stride;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeTensorFormat
{
    public int Width;
    public int Height;
    public int Flags;
    public int Reserved;
    public fixed float Mean[3];
    public fixed float Scale[3];
    public fixed float Fill[3];

    public const int Nchw = 1, Bgr = 2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NativeLetterbox
{
    public float ScaleX;
    public float ScaleY;
    public float OffsetX;
    public float OffsetY;
    public int ContentX;
    public int ContentY;
    public int ContentWidth;
    public int ContentHeight;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NativeRegionStats
{
    public double MeanLuma;
    public double LumaStdDev;
    public double LaplacianVariance;
    public double DarkFraction;
    public double BrightFraction;
    public long PixelCount;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeBuffer
{
    public byte* Data;
    public nuint Length;
    public int Owner;
    public int Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativePngParams
{
    public byte* Pixels;
    public int Width;
    public int Height;
    public int Stride;
    public int ColorType;
    public int BitDepth;
    public int PaletteEntries;
    public byte* Palette;
    public int PaletteAlphaEntries;
    public byte* PaletteAlpha;
    public int ExifLength;
    public byte* Exif;
    public int CompressionLevel;
    public int Interlaced;
}
