using System.Numerics;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Server.Tests.Support.Attacks;

/// <summary>Where a print is held in front of the camera: angles in degrees, shifts as fractions of the print's width.</summary>
public readonly record struct PrintPose(double Yaw, double Pitch, double Roll, double ShiftX, double ShiftY, double Distance = 1)
{
    public static PrintPose Facing => new(0, 0, 0, 0, 0);
}

/// <summary>
/// A photo printed on paper and filmed: the print is a textured surface in 3-D (flat, or bent about its vertical axis
/// with the centre nearer the camera), rendered by a pinhole camera in front of a plain room. What a camera sees of
/// a print is imitated only coarsely: a white paper margin, ink that cannot reach black or white, a slight blur, light
/// falling off with the surface's angle, sensor noise and JPEG. The geometry is exact: a flat print's every point
/// moves by one homography between frames, a bent one's do not.
/// </summary>
public sealed class PrintedPhoto : IDisposable
{
    public const int FrameWidth = 640, FrameHeight = 480;
    private const double Focal = 620;                    // pixels: about a phone's 55° horizontal field of view
    private const double Margin = 0.05;                  // paper margin, as a fraction of the print's width
    private const int GridColumns = 64, GridRows = 64;

    private readonly RgbImage _texture;
    private readonly double _width, _height;              // the print's size in world units (width 1)

    public PrintedPhoto(byte[] photo)
    {
        using var source = new ImageDecoder().Decode(photo);
        // The texture is about as large as the print will appear, so bilinear sampling needs no mip levels.
        var scale = Math.Min(1.0, 560.0 / source.Height);
        using var resized = AffineWarp.Resize(source, Math.Max(1, (int)(source.Width * scale)), Math.Max(1, (int)(source.Height * scale)));
        var margin = (int)Math.Round(resized.Width * Margin);
        _texture = Ink(resized, margin);
        _width = 1;
        _height = _texture.Height / (double)_texture.Width;
    }

    /// <summary>The print's width in camera pixels at distance 1, so that its height fills about 80 % of the frame.</summary>
    private double BaseDistance => Focal * _height / (0.8 * FrameHeight);

    /// <summary>One camera frame of the print at <paramref name="pose"/>, bent with radius <paramref name="bendRadius"/> (0: flat), as JPEG.</summary>
    public byte[] Capture(PrintPose pose, double bendRadius, int seed)
    {
        using var frame = RgbImage.Allocate(FrameWidth, FrameHeight);
        Room(frame);
        var depth = new float[FrameWidth * FrameHeight];
        Array.Fill(depth, float.PositiveInfinity);

        var rotation = Matrix4x4.CreateFromYawPitchRoll((float)(pose.Yaw * Math.PI / 180), (float)(pose.Pitch * Math.PI / 180), (float)(pose.Roll * Math.PI / 180));
        var translation = new Vector3((float)pose.ShiftX, (float)pose.ShiftY, (float)(BaseDistance * pose.Distance));
        var towardsLight = Vector3.Normalize(new Vector3(-0.3f, -0.4f, -1f));   // the light is on the camera's side, a little above and left

        // Project a grid over the print; each cell's two triangles are filled with the texture, nearest surface first.
        var screen = new Vector3[(GridColumns + 1) * (GridRows + 1)];
        var shade = new float[screen.Length];
        for (var r = 0; r <= GridRows; r++)
            for (var c = 0; c <= GridColumns; c++)
            {
                var u = (c / (double)GridColumns - 0.5) * _width;
                var v = (r / (double)GridRows - 0.5) * _height;
                var (point, normal) = Surface(u, v, bendRadius);
                var world = Vector3.Transform(point, rotation) + translation;
                var n = Vector3.TransformNormal(normal, rotation);
                screen[r * (GridColumns + 1) + c] = new Vector3((float)(Focal * world.X / world.Z + FrameWidth / 2.0), (float)(Focal * world.Y / world.Z + FrameHeight / 2.0), world.Z);
                shade[r * (GridColumns + 1) + c] = 0.78f + 0.22f * Math.Max(0, Vector3.Dot(n, towardsLight));
            }
        for (var r = 0; r < GridRows; r++)
            for (var c = 0; c < GridColumns; c++)
            {
                int a = r * (GridColumns + 1) + c, b = a + 1, d = a + GridColumns + 1, e = d + 1;
                Vector2 ta = Tex(c, r), tb = Tex(c + 1, r), td = Tex(c, r + 1), te = Tex(c + 1, r + 1);
                Fill(frame, depth, (screen[a], ta, shade[a]), (screen[b], tb, shade[b]), (screen[e], te, shade[e]));
                Fill(frame, depth, (screen[a], ta, shade[a]), (screen[e], te, shade[e]), (screen[d], td, shade[d]));
            }
        Noise(frame, seed);
        return JpegEncoder.Encode(frame, quality: 88);
    }

    private Vector2 Tex(int c, int r) => new(c / (float)GridColumns * (_texture.Width - 1), r / (float)GridRows * (_texture.Height - 1));

    /// <summary>The print's point at (u, v) and its outward normal: bent on a cylinder of the given radius about the vertical axis.</summary>
    private static (Vector3 Point, Vector3 Normal) Surface(double u, double v, double radius)
    {
        if (radius <= 0) return (new Vector3((float)u, (float)v, 0), new Vector3(0, 0, -1));
        var angle = u / radius;
        return (new Vector3((float)(radius * Math.Sin(angle)), (float)v, (float)(-radius * (1 - Math.Cos(angle)))),
            new Vector3((float)Math.Sin(angle), 0, (float)-Math.Cos(angle)));
    }

    private void Fill(RgbImage frame, float[] depth, (Vector3 P, Vector2 T, float S) a, (Vector3 P, Vector2 T, float S) b, (Vector3 P, Vector2 T, float S) c)
    {
        var minX = Math.Max(0, (int)Math.Floor(Math.Min(a.P.X, Math.Min(b.P.X, c.P.X))));
        var maxX = Math.Min(FrameWidth - 1, (int)Math.Ceiling(Math.Max(a.P.X, Math.Max(b.P.X, c.P.X))));
        var minY = Math.Max(0, (int)Math.Floor(Math.Min(a.P.Y, Math.Min(b.P.Y, c.P.Y))));
        var maxY = Math.Min(FrameHeight - 1, (int)Math.Ceiling(Math.Max(a.P.Y, Math.Max(b.P.Y, c.P.Y))));
        var area = Edge(a.P, b.P, c.P.X, c.P.Y);
        if (Math.Abs(area) < 1e-6) return;
        for (var y = minY; y <= maxY; y++)
        {
            var row = frame.Row(y);
            for (var x = minX; x <= maxX; x++)
            {
                float px = x + 0.5f, py = y + 0.5f;
                var wa = Edge(b.P, c.P, px, py) / area;
                var wb = Edge(c.P, a.P, px, py) / area;
                var wc = 1 - wa - wb;
                if (wa < 0 || wb < 0 || wc < 0) continue;
                var z = wa * a.P.Z + wb * b.P.Z + wc * c.P.Z;
                if (z >= depth[y * FrameWidth + x]) continue;
                depth[y * FrameWidth + x] = z;
                var t = wa * a.T + wb * b.T + wc * c.T;
                var s = wa * a.S + wb * b.S + wc * c.S;
                var (r, g, bl) = Sample(t.X, t.Y);
                row[x * 3] = (byte)Math.Clamp(r * s, 0, 255);
                row[x * 3 + 1] = (byte)Math.Clamp(g * s, 0, 255);
                row[x * 3 + 2] = (byte)Math.Clamp(bl * s, 0, 255);
            }
        }
    }

    private static float Edge(Vector3 a, Vector3 b, float x, float y) => (b.X - a.X) * (y - a.Y) - (b.Y - a.Y) * (x - a.X);

    private (float R, float G, float B) Sample(float x, float y)
    {
        var x0 = Math.Clamp((int)x, 0, _texture.Width - 2);
        var y0 = Math.Clamp((int)y, 0, _texture.Height - 2);
        float fx = Math.Clamp(x - x0, 0, 1), fy = Math.Clamp(y - y0, 0, 1);
        ReadOnlySpan<byte> r0 = _texture.Row(y0), r1 = _texture.Row(y0 + 1);
        Span<float> c = stackalloc float[3];
        for (var ch = 0; ch < 3; ch++)
            c[ch] = (r0[x0 * 3 + ch] * (1 - fx) + r0[(x0 + 1) * 3 + ch] * fx) * (1 - fy) + (r1[x0 * 3 + ch] * (1 - fx) + r1[(x0 + 1) * 3 + ch] * fx) * fy;
        return (c[0], c[1], c[2]);
    }

    /// <summary>The photo as ink on paper: a warm white margin, tones compressed into what ink reaches, a 3×3 blur.</summary>
    private static RgbImage Ink(RgbImage photo, int margin)
    {
        int w = photo.Width + 2 * margin, h = photo.Height + 2 * margin;
        var paper = new Rgb24(238, 234, 224);
        var print = RgbImage.Allocate(w, h);
        for (var y = 0; y < h; y++)
        {
            var row = print.Row(y);
            for (var x = 0; x < w; x++)
            {
                int sx = x - margin, sy = y - margin;
                if (sx < 0 || sy < 0 || sx >= photo.Width || sy >= photo.Height)
                {
                    row[x * 3] = paper.R; row[x * 3 + 1] = paper.G; row[x * 3 + 2] = paper.B;
                    continue;
                }
                var p = photo[sx, sy];
                // Ink darkens paper: the darkest print is far from black, and the paper's tint shows through.
                row[x * 3] = (byte)(22 + p.R * (paper.R - 22) / 255);
                row[x * 3 + 1] = (byte)(20 + p.G * (paper.G - 20) / 255);
                row[x * 3 + 2] = (byte)(20 + p.B * (paper.B - 20) / 255);
            }
        }
        using var copy = print.Clone();
        for (var y = 1; y < h - 1; y++)
        {
            var row = print.Row(y);
            for (var x = 1; x < w - 1; x++)
                for (var ch = 0; ch < 3; ch++)
                {
                    var sum = 0;
                    for (var dy = -1; dy <= 1; dy++)
                    {
                        var src = copy.Row(y + dy);
                        for (var dx = -1; dx <= 1; dx++) sum += src[(x + dx) * 3 + ch];
                    }
                    row[x * 3 + ch] = (byte)(sum / 9);
                }
        }
        return print;
    }

    /// <summary>A plain room behind the print: a lit wall, darker towards the floor, and a door frame on one side.</summary>
    private static void Room(RgbImage frame)
    {
        for (var y = 0; y < FrameHeight; y++)
        {
            var row = frame.Row(y);
            var t = y / (float)FrameHeight;
            for (var x = 0; x < FrameWidth; x++)
            {
                var door = x > FrameWidth * 0.78 && x < FrameWidth * 0.95 && y > FrameHeight * 0.1;
                var (r, g, b) = door ? (96f, 78f, 62f) : (168 - 40 * t, 160 - 38 * t, 148 - 34 * t);
                row[x * 3] = (byte)r; row[x * 3 + 1] = (byte)g; row[x * 3 + 2] = (byte)b;
            }
        }
    }

    /// <summary>Sensor noise, the same for a seed: a frame differs from the next even when nothing moved.</summary>
    private static void Noise(RgbImage frame, int seed)
    {
        var random = new Random(seed);
        for (var y = 0; y < FrameHeight; y++)
        {
            var row = frame.Row(y);
            for (var i = 0; i < row.Length; i++)
                row[i] = (byte)Math.Clamp(row[i] + (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 4, 0, 255);
        }
    }

    public void Dispose() => _texture.Dispose();
}
