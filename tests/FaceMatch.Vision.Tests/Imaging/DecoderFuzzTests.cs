using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Tests.Imaging;

/// <summary>
/// Seeded mutation fuzzing: thousands of damaged copies of valid files. Every call must either return a
/// well-formed image or throw <see cref="ImageDecodeException"/>; anything else (another exception type, a
/// crash of the test host) fails.
/// </summary>
public class DecoderFuzzTests
{
    private const int Mutants = 2500;

    public static TheoryData<string> Seeds() => new() { "jpeg-baseline", "jpeg-progressive-exif", "png-rgb", "png-palette-alpha" };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mutated_files_decode_or_fail_cleanly(string kind)
    {
        var original = Seed(kind);
        var rng = new Random(kind.GetHashCode(StringComparison.Ordinal) ^ 0x5EED);
        var decoder = new ImageDecoder(new ImageDecodeOptions { MaxPixels = 4_000_000, MaxDimension = 4096 });
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < Mutants; i++)
        {
            var mutant = Mutate(original, rng);
            string outcome;
            try
            {
                using var image = decoder.Decode(mutant, new DecodeTarget(MinLongSide: rng.Next(0, 3) * 16));
                Assert.InRange(image.Width, 1, 4096);
                Assert.InRange(image.Height, 1, 4096);
                outcome = "decoded";
            }
            catch (ImageDecodeException e)
            {
                outcome = e.Reason.ToString();
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        // The mutations are strong enough to hit the error paths and mild enough to still decode often.
        Assert.True(outcomes.GetValueOrDefault("decoded") > 0, string.Join(", ", outcomes));
        Assert.True(outcomes.Count >= 3, string.Join(", ", outcomes));
    }

    private static byte[] Seed(string kind)
    {
        using var image = TestImages.Scene(48, 40, seed: 2);
        switch (kind)
        {
            case "jpeg-baseline":
                return TestImages.Jpeg(image, 80, JpegSubsampling.S420);
            case "jpeg-progressive-exif":
                return TestImages.WithExif(TestImages.Jpeg(image, 80, JpegSubsampling.S422, progressive: true),
                    TestImages.ExifTiff(6, bigEndian: false));
            case "png-rgb":
                return TestImages.Png(image);
            default:
                var indices = new byte[32 * 16];
                for (var i = 0; i < indices.Length; i++)
                    indices[i] = (byte)(i % 7);
                var palette = new byte[7 * 3];
                new Random(1).NextBytes(palette);
                return PngEncoder.Encode(new PngPixels(indices, 32, 16, 32, PngColorType.Indexed)
                    { Palette = palette, PaletteAlpha = new byte[] { 0, 64, 128, 255 } });
        }
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var data = (byte[])original.Clone();
        switch (rng.Next(5))
        {
            case 0: // a few bit flips anywhere
                for (var k = rng.Next(1, 9); k > 0; k--)
                    data[rng.Next(data.Length)] ^= (byte)(1 << rng.Next(8));
                return data;
            case 1: // truncation
                return data.AsSpan(0, rng.Next(1, data.Length)).ToArray();
            case 2: // overwrite a run with random bytes
            {
                var start = rng.Next(data.Length);
                var length = Math.Min(rng.Next(1, 32), data.Length - start);
                rng.NextBytes(data.AsSpan(start, length));
                return data;
            }
            case 3: // delete a run
            {
                var start = rng.Next(data.Length);
                var length = Math.Min(rng.Next(1, 64), data.Length - start);
                return [.. data.AsSpan(0, start), .. data.AsSpan(start + length)];
            }
            default: // flips in the headers only, where lengths and sizes live
                for (var k = rng.Next(1, 4); k > 0; k--)
                    data[rng.Next(Math.Min(data.Length, 200))] ^= (byte)(1 << rng.Next(8));
                return data;
        }
    }
}
