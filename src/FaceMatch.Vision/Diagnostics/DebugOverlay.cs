using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Vision.Diagnostics;

/// <summary>
/// Renders what the pipeline saw, for a person to check: the frame with every face's box and
/// keypoints, and below it each face's aligned crop exactly as the embedder receives it.
/// </summary>
public static class DebugOverlay
{
    private static readonly Rgb24 BoxColour = new(0, 255, 0);
    private static readonly Rgb24[] KeypointColours =
        [new(255, 0, 0), new(0, 0, 255), new(255, 255, 0), new(255, 0, 255), new(0, 255, 255), new(255, 128, 0)];

    public static byte[] RenderPng(FaceAnalyzer analyzer, RgbImage frame, IReadOnlyList<FaceDetection> faces)
    {
        var crops = faces.Select(f => analyzer.Embedder.AlignedCrop(frame, f)).ToList();
        try
        {
            var stripHeight = crops.Count == 0 ? 0 : crops.Max(c => c.Height) + 4;
            var width = Math.Max(frame.Width, crops.Sum(c => c.Width + 4));
            using var canvas = RgbImage.Allocate(width, frame.Height + stripHeight);
            canvas.Pixels.Clear();
            Blit(frame, canvas, 0, 0);
            var thickness = Math.Max(1, frame.Width / 400);
            foreach (var f in faces)
            {
                DrawRectangle(canvas, (int)f.Box.X, (int)f.Box.Y, (int)f.Box.Right, (int)f.Box.Bottom, thickness, BoxColour);
                for (var k = 0; k < f.Keypoints.Length; k++)
                {
                    var r = 2 * thickness + 1;
                    var p = f.Keypoints[k];
                    FillRectangle(canvas, (int)p.X - r, (int)p.Y - r, (int)p.X + r, (int)p.Y + r, KeypointColours[k % KeypointColours.Length]);
                }
            }
            var x = 0;
            foreach (var crop in crops)
            {
                Blit(crop, canvas, x, frame.Height + 4);
                x += crop.Width + 4;
            }
            return PngEncoder.Encode(canvas);
        }
        finally
        {
            foreach (var c in crops) c.Dispose();
        }
    }

    private static void Blit(RgbImage source, RgbImage target, int x, int y)
    {
        for (var row = 0; row < source.Height && y + row < target.Height; row++)
        {
            var count = Math.Min(source.Width, target.Width - x) * 3;
            source.Row(row)[..count].CopyTo(target.Row(y + row).Slice(x * 3, count));
        }
    }

    private static void FillRectangle(RgbImage image, int x0, int y0, int x1, int y1, Rgb24 colour)
    {
        x0 = Math.Max(0, x0); y0 = Math.Max(0, y0);
        x1 = Math.Min(image.Width - 1, x1); y1 = Math.Min(image.Height - 1, y1);
        for (var y = y0; y <= y1; y++)
        {
            var row = image.Row(y);
            for (var x = x0; x <= x1; x++) { row[3 * x] = colour.R; row[3 * x + 1] = colour.G; row[3 * x + 2] = colour.B; }
        }
    }

    private static void DrawRectangle(RgbImage image, int x0, int y0, int x1, int y1, int t, Rgb24 colour)
    {
        FillRectangle(image, x0, y0, x1, y0 + t - 1, colour);
        FillRectangle(image, x0, y1 - t + 1, x1, y1, colour);
        FillRectangle(image, x0, y0, x0 + t - 1, y1, colour);
        FillRectangle(image, x1 - t + 1, y0, x1, y1, colour);
    }
}
