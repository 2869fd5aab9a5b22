using System.Buffers.Binary;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

/// <summary>Synthetic images and byte-level surgery on encoded files; no binary fixtures are checked in.</summary>
internal static class TestImages
{
    public static readonly Rgb24 Red = new(230, 20, 20), Green = new(20, 230, 20), Blue = new(20, 20, 230),
        Yellow = new(230, 230, 20), Gray = new(128, 128, 128);

    /// <summary>Smooth ramps: R along x, G along y, B along the diagonal; JPEG keeps these within a few levels.</summary>
    public static RgbImage Gradient(int width, int height)
    {
        var image = RgbImage.Allocate(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24(
                    (byte)(x * 255 / Math.Max(1, width - 1)),
                    (byte)(y * 255 / Math.Max(1, height - 1)),
                    (byte)((x + y) * 255 / Math.Max(1, width + height - 2)));
        return image;
    }

    public static RgbImage Solid(int width, int height, Rgb24 colour)
    {
        var image = RgbImage.Allocate(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = colour;
        return image;
    }

    /// <summary>Grey image with a coloured block in each corner: top-left red, top-right green, bottom-left blue, bottom-right yellow.</summary>
    public static RgbImage Corners(int width, int height, int block)
    {
        var image = Solid(width, height, Gray);
        Fill(image, 0, 0, block, Red);
        Fill(image, width - block, 0, block, Green);
        Fill(image, 0, height - block, block, Blue);
        Fill(image, width - block, height - block, block, Yellow);
        return image;
    }

    public static void Fill(RgbImage image, int x0, int y0, int size, Rgb24 colour)
    {
        for (var y = y0; y < y0 + size; y++)
            for (var x = x0; x < x0 + size; x++)
                image[x, y] = colour;
    }

    /// <summary>Pseudo-photographic content: gradient plus a few hard-edged shapes, so JPEG has real entropy data.</summary>
    public static RgbImage Scene(int width, int height, int seed = 1)
    {
        var image = Gradient(width, height);
        var rng = new Random(seed);
        for (var i = 0; i < 12; i++)
        {
            var size = rng.Next(Math.Max(2, width / 16), Math.Max(3, width / 5));
            Fill(image, rng.Next(0, Math.Max(1, width - size)), rng.Next(0, Math.Max(1, height - size)),
                Math.Min(size, Math.Min(width, height)),
                new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        }
        return image;
    }

    public static byte[] Jpeg(RgbImage image, int quality = 95, JpegSubsampling subsampling = JpegSubsampling.S444,
        bool progressive = false) => JpegEncoder.Encode(image, quality, subsampling, progressive);

    public static byte[] Png(RgbImage image) => PngEncoder.Encode(image);

    /// <summary>A TIFF structure (what APP1 carries after "Exif\0\0", and PNG eXIf holds) whose IFD0 has Make and Orientation.</summary>
    public static byte[] ExifTiff(int orientation, bool bigEndian)
    {
        var buffer = new byte[8 + 2 + 2 * 12 + 4 + 8];
        void U16(int at, int v)
        {
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(at), (ushort)v);
            else BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(at), (ushort)v);
        }
        void U32(int at, uint v)
        {
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(at), v);
            else BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at), v);
        }
        buffer[0] = buffer[1] = (byte)(bigEndian ? 'M' : 'I');
        U16(2, 42);
        U32(4, 8);
        U16(8, 2);
        // Make (0x010F), ASCII, 8 bytes stored after the IFD: an entry before Orientation, as cameras write.
        U16(10, 0x010F); U16(12, 2); U32(14, 8); U32(18, (uint)(8 + 2 + 24 + 4));
        U16(22, 0x0112); U16(24, 3); U32(26, 1); U16(30, orientation);
        U32(34, 0); // no next IFD
        "FMTEST\0\0"u8.CopyTo(buffer.AsSpan(38));
        return buffer;
    }

    /// <summary>Inserts an APP1 Exif segment right after SOI, as cameras do.</summary>
    public static byte[] WithExif(byte[] jpeg, byte[] tiff)
    {
        var payload = new byte[6 + tiff.Length];
        "Exif\0\0"u8.CopyTo(payload);
        tiff.CopyTo(payload, 6);
        return InsertSegment(jpeg, 0xE1, payload);
    }

    public static byte[] InsertSegment(byte[] jpeg, byte marker, byte[] payload)
    {
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>Rewrites the frame size in the first SOF0/SOF2 segment.</summary>
    public static byte[] WithJpegSize(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        for (var i = 2; i + 9 < copy.Length; i++)
            if (copy[i] == 0xFF && (copy[i + 1] == 0xC0 || copy[i + 1] == 0xC2))
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 7), (ushort)width);
                return copy;
            }
        throw new InvalidOperationException("no SOF marker");
    }

    /// <summary>Rewrites IHDR width/height and recomputes the chunk CRC, so only the size claim is wrong.</summary>
    public static byte[] WithPngSize(byte[] png, uint width, uint height)
    {
        var copy = (byte[])png.Clone();
        // Signature (8), IHDR length (4), "IHDR" (4), width, height, ...; CRC covers type + 13 data bytes.
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), Crc32(copy.AsSpan(12, 17)));
        return copy;
    }

    /// <summary>CRC-32 (ISO-HDLC polynomial, as PNG uses), bitwise.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    public static int MaxChannelDifference(Rgb24 a, Rgb24 b) =>
        Math.Max(Math.Abs(a.R - b.R), Math.Max(Math.Abs(a.G - b.G), Math.Abs(a.B - b.B)));

    public static void AssertColour(Rgb24 expected, Rgb24 actual, int tolerance, string? where = null) =>
        Assert.True(MaxChannelDifference(expected, actual) <= tolerance,
            $"{where}: expected {expected} ± {tolerance}, got {actual}");

    /// <summary>Mean and max absolute channel difference between two images of the same size.</summary>
    public static (double Mean, int Max) Difference(RgbImage a, RgbImage b)
    {
        Assert.Equal(a.Width, b.Width);
        Assert.Equal(a.Height, b.Height);
        long sum = 0;
        var max = 0;
        for (var y = 0; y < a.Height; y++)
        {
            var ra = a.Row(y);
            var rb = b.Row(y);
            for (var i = 0; i < ra.Length; i++)
            {
                var d = Math.Abs(ra[i] - rb[i]);
                sum += d;
                max = Math.Max(max, d);
            }
        }
        return ((double)sum / (a.Width * a.Height * 3), max);
    }
}
