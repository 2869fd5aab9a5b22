using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Pipeline;

/// <summary>Hostile or odd images through the whole pipeline: a clear answer or a clear error, never a crash or hang.</summary>
[Collection(AnalyzerCollection.Name)]
public sealed class BadInputTests(AnalyzerFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private FaceAnalyzer Analyzer => fixture.Analyzer;

    public static TheoryData<string> Inputs => new() { "empty", "random", "truncated-jpeg", "png-100000x100000", "one-pixel", "png-16bit", "cmyk-jpeg" };

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task GivesAClearResultOrError(string kind)
    {
        var bytes = await MakeAsync(kind);
        try
        {
            var analysis = await Analyzer.AnalyzeAsync(bytes).WaitAsync(Bound);
            // Decodable inputs without a face are a result, not an error.
            Assert.True(analysis.Width > 0 && analysis.Height > 0);
            if (kind is "one-pixel") Assert.Empty(analysis.Faces);
        }
        catch (ImageDecodeException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            Assert.Contains(kind, new[] { "empty", "random", "truncated-jpeg", "png-100000x100000" });
        }
    }

    [Fact]
    public async Task HugePngIsRefusedBeforeDecoding()
    {
        var e = await Assert.ThrowsAsync<ImageDecodeException>(async () => await Analyzer.AnalyzeAsync(await MakeAsync("png-100000x100000")));
        Assert.Equal(ImageDecodeError.TooLarge, e.Reason);
    }

    private static async Task<byte[]> MakeAsync(string kind)
    {
        switch (kind)
        {
            case "empty": return [];
            case "random":
                var r = new byte[4096];
                new Random(5).NextBytes(r);
                return r;
            case "truncated-jpeg":
                var jpeg = await File.ReadAllBytesAsync(AnalyzerFixture.DemoPhoto(1));
                return jpeg[..(jpeg.Length / 3)];
            case "png-100000x100000": return HugePngHeader();
            case "one-pixel":
                using (var one = RgbImage.Allocate(1, 1)) return PngEncoder.Encode(one);
            case "png-16bit":
                return Png16BitGradient();
            default:
                return CmykJpeg();
        }
    }

    /// <summary>A PNG signature and IHDR claiming 100000×100000 RGB, with a correct CRC, and nothing else.</summary>
    private static byte[] HugePngHeader()
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        var ihdr = new byte[17];
        "IHDR"u8.CopyTo(ihdr);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), 100_000);
        ihdr[12] = 8; ihdr[13] = 2;
        var crc = Crc32(ihdr);
        var chunk = new byte[4 + 17 + 4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, 13);
        ihdr.CopyTo(chunk, 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(21), crc);
        return [.. signature, .. chunk];
    }

    /// <summary>The CRC-32 PNG chunks carry (polynomial 0xEDB88320, reflected).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    private static byte[] Png16BitGradient()
    {
        const int w = 64, h = 48;
        var pixels = new ushort[w * h * 3];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (ushort)(i * 37 % 65536);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray();
        return PngEncoder.Encode(new PngPixels(bytes, w, h, w * 6, PngColorType.Rgb, BitDepth: 16));
    }

    private static byte[] CmykJpeg()
    {
        const int w = 64, h = 64;
        var cmyk = new byte[w * h * 4];
        for (var i = 0; i < cmyk.Length; i++) cmyk[i] = (byte)(i % 251);
        return JpegEncoder.Encode(cmyk, w, h, w * 4, JpegPixelKind.Cmyk);
    }
}
