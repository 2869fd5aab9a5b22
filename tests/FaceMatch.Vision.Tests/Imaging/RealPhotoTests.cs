using FaceMatch.Tests;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Tests.Imaging;

/// <summary>
/// Real photographs: face-api's demo images (in .deps after `make deps`, present wherever the tests run) and,
/// where the checkout has ../shared beside it, the labelled face photos.
/// </summary>
public class RealPhotoTests
{
    public static TheoryData<string> Photos()
    {
        var data = new TheoryData<string>();
        var demo = Path.Combine(TestPaths.Deps, "face-api", "package", "demo");
        for (var i = 1; i <= 6; i++)
            if (File.Exists(Path.Combine(demo, $"sample{i}.jpg")))
                data.Add(Path.Combine(demo, $"sample{i}.jpg"));
        if (Directory.Exists(TestPaths.Faces))
            foreach (var file in Directory.EnumerateFiles(TestPaths.Faces, "*.*", SearchOption.AllDirectories).Order())
                if (file.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                    data.Add(file);
        return data;
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void Photo_decodes_full_and_scaled_consistently(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var decoder = new ImageDecoder();
        var info = decoder.Identify(bytes);
        using var full = decoder.Decode(bytes);
        Assert.Equal((info.Width, info.Height), (full.Width, full.Height));
        var stats = ImageStatistics.Measure(full);
        Assert.InRange(stats.MeanLuma, 10, 245); // a photo, not a blank buffer
        Assert.True(stats.LumaStdDev > 10);

        using var scaled = decoder.Decode(bytes, new DecodeTarget(MinLongSide: 256));
        Assert.True(Math.Max(scaled.Width, scaled.Height) >= Math.Min(256, Math.Max(full.Width, full.Height)));
        Assert.Equal(full.Width > full.Height, scaled.Width > scaled.Height);
        if (info.Format == ImageFormat.Jpeg && info.ScaleDenominator > 1)
        {
            // The scaled decode shows the same picture: compare it with the full decode shrunk by the same factor.
            var k = info.ScaleDenominator;
            using var shrunk = AffineWarp.ToRgb(full, AffineMatrix.Scaling((double)scaled.Width / full.Width,
                (double)scaled.Height / full.Height), scaled.Width, scaled.Height);
            var (mean, _) = TestImages.Difference(shrunk, scaled);
            Assert.True(mean < 6, $"1/{k}: mean difference {mean}");
        }
    }
}
