using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Evaluation;

/// <summary>How <see cref="TightCropSet"/> cuts each face.</summary>
/// <param name="Padding">added on every side of the square around the detector box, as a fraction of its side.</param>
public sealed record TightCropOptions(int Size = 150, float Padding = 0.1f, int JpegQuality = 50);

/// <summary>What <see cref="TightCropSet.WriteAsync"/> wrote, and the images it could not crop (no face found).</summary>
public sealed record TightCropSummary(string LosslessFolder, string JpegFolder, int Written, IReadOnlyList<string> Failed);

/// <summary>
/// An ID-photo-like version of a labelled folder (one sub-folder per person, as <see cref="EvaluationSet.FromFolder"/>
/// reads it): every image's largest face cut to the square around its detector box, padded a little, turned grey
/// (BT.601 luma in all three channels) and resized to Size×Size; written losslessly (PNG) to
/// <c>OUT/tight</c> and as JPEG at the given quality to <c>OUT/tight-jpegQ</c>, same folder layout and names.
/// </summary>
public static class TightCropSet
{
    public static async Task<TightCropSummary> WriteAsync(FaceAnalyzer analyzer, string sourceRoot, string outRoot, TightCropOptions options,
        CancellationToken cancellationToken = default)
    {
        var set = EvaluationSet.FromFolder(sourceRoot);
        var lossless = Path.Combine(outRoot, "tight");
        var jpeg = Path.Combine(outRoot, $"tight-jpeg{options.JpegQuality}");
        var failed = new List<string>();
        var written = 0;
        foreach (var image in set.Images.Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(sourceRoot, image);
            using var decoded = analyzer.Decode(await File.ReadAllBytesAsync(image, cancellationToken));
            var faces = await analyzer.DetectAsync(decoded, cancellationToken);
            if (faces.Count == 0) { failed.Add(relative); continue; }
            using var crop = Crop(decoded, faces[0].Box, options);
            Write(Path.Combine(lossless, Path.ChangeExtension(relative, ".png")), PngEncoder.Encode(crop));
            Write(Path.Combine(jpeg, Path.ChangeExtension(relative, ".jpg")), JpegEncoder.Encode(crop, options.JpegQuality));
            written++;
        }
        return new TightCropSummary(lossless, jpeg, written, failed);
    }

    /// <summary>The grey Size×Size crop of the padded square around <paramref name="box"/>.</summary>
    public static RgbImage Crop(RgbImage image, Detection.FaceBox box, TightCropOptions options)
    {
        var side = Math.Max(box.Width, box.Height) * (1 + 2 * options.Padding);
        var s = options.Size / (double)side;
        double cx = box.X + box.Width / 2.0, cy = box.Y + box.Height / 2.0;
        var crop = AffineWarp.ToRgb(image, new AffineMatrix(s, 0, options.Size / 2.0 - cx * s, 0, s, options.Size / 2.0 - cy * s), options.Size, options.Size);
        for (var y = 0; y < crop.Height; y++)
        {
            var row = crop.Row(y);
            for (var x = 0; x < row.Length; x += 3)
                row[x] = row[x + 1] = row[x + 2] = (byte)Math.Clamp((int)MathF.Round(0.299f * row[x] + 0.587f * row[x + 1] + 0.114f * row[x + 2]), 0, 255);
        }
        return crop;
    }

    private static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}
