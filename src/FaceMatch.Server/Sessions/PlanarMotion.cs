using System.Numerics;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// Whether a face's landmarks moved between two frames the way a flat object's do. Every motion of a printed photo
/// or a screen (shift, scale, rotation, perspective tilt) maps its points by one plane homography; a real head
/// turning, nodding or changing expression does not (the nose tip moves against the eyes and the face outline).
/// So: fit the homography by least squares and measure what it leaves unexplained, relative to the face's size.
/// </summary>
public static class PlanarMotion
{
    /// <summary>How far the points moved (RMS, over the face size) and how far the best homography misses them.</summary>
    public readonly record struct Fit(double Motion, double Residual);

    /// <returns>null when fewer than five point pairs are usable (a homography has eight degrees of freedom).</returns>
    public static Fit? Measure(ReadOnlySpan<Vector2> from, ReadOnlySpan<Vector2> to, double faceSize)
    {
        if (from.Length != to.Length || from.Length < 5 || faceSize <= 0) return null;
        var h = Estimate(from, to);
        if (h is null) return null;
        double motion = 0, residual = 0;
        for (var i = 0; i < from.Length; i++)
        {
            motion += Vector2.DistanceSquared(from[i], to[i]);
            residual += Vector2.DistanceSquared(Apply(h, from[i]), to[i]);
        }
        return new Fit(Math.Sqrt(motion / from.Length) / faceSize, Math.Sqrt(residual / from.Length) / faceSize);
    }

    /// <summary>
    /// <paramref name="from"/>'s points carried by the best homography onto <paramref name="to"/>: where they would be had
    /// the face moved as a flat object; null when no homography can be fitted.
    /// </summary>
    public static Vector2[]? Flatten(ReadOnlySpan<Vector2> from, ReadOnlySpan<Vector2> to)
    {
        if (from.Length != to.Length || from.Length < 5 || Estimate(from, to) is not { } h) return null;
        var mapped = new Vector2[from.Length];
        for (var i = 0; i < from.Length; i++) mapped[i] = Apply(h, from[i]);
        return mapped;
    }

    /// <summary>The direct linear transform with Hartley normalisation, h33 fixed at 1: eight unknowns by normal equations.</summary>
    private static double[]? Estimate(ReadOnlySpan<Vector2> from, ReadOnlySpan<Vector2> to)
    {
        var (fromT, fromPoints) = Normalise(from);
        var (toT, toPoints) = Normalise(to);
        var ata = new double[8, 8];
        var atb = new double[8];
        Span<double> row = stackalloc double[8];
        for (var i = 0; i < fromPoints.Length; i++)
        {
            var (x, y) = fromPoints[i];
            var (u, v) = toPoints[i];
            // u = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), v likewise with h3..h5: linear in h after multiplying out.
            Accumulate(ata, atb, row, [x, y, 1, 0, 0, 0, -u * x, -u * y], u);
            Accumulate(ata, atb, row, [0, 0, 0, x, y, 1, -v * x, -v * y], v);
        }
        if (Solve(ata, atb) is not { } h) return null;
        // Back to pixel coordinates: H = T_to⁻¹ · Hn · T_from.
        double[] hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1];
        var full = Multiply(Invert(toT), Multiply(hn, fromT));
        return full[8] == 0 ? null : full.Select(e => e / full[8]).ToArray();
    }

    private static void Accumulate(double[,] ata, double[] atb, Span<double> row, ReadOnlySpan<double> a, double b)
    {
        a.CopyTo(row);
        for (var r = 0; r < 8; r++)
        {
            atb[r] += row[r] * b;
            for (var c = 0; c < 8; c++) ata[r, c] += row[r] * row[c];
        }
    }

    /// <summary>Gaussian elimination with partial pivoting; null when the points are degenerate (collinear, coincident).</summary>
    private static double[]? Solve(double[,] a, double[] b)
    {
        const int n = 8;
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            if (Math.Abs(a[pivot, col]) < 1e-12) return null;
            if (pivot != col)
            {
                for (var c = 0; c < n; c++) (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
                (b[col], b[pivot]) = (b[pivot], b[col]);
            }
            for (var r = col + 1; r < n; r++)
            {
                var f = a[r, col] / a[col, col];
                for (var c = col; c < n; c++) a[r, c] -= f * a[col, c];
                b[r] -= f * b[col];
            }
        }
        var x = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            var s = b[r];
            for (var c = r + 1; c < n; c++) s -= a[r, c] * x[c];
            x[r] = s / a[r, r];
        }
        return x;
    }

    /// <summary>Centroid to the origin, mean distance √2: keeps the normal equations well conditioned.</summary>
    private static (double[] T, (double X, double Y)[] Points) Normalise(ReadOnlySpan<Vector2> points)
    {
        double cx = 0, cy = 0;
        foreach (var p in points) { cx += p.X; cy += p.Y; }
        cx /= points.Length;
        cy /= points.Length;
        double mean = 0;
        foreach (var p in points) mean += Math.Sqrt((p.X - cx) * (p.X - cx) + (p.Y - cy) * (p.Y - cy));
        mean /= points.Length;
        var s = mean > 0 ? Math.Sqrt(2) / mean : 1;
        var result = new (double, double)[points.Length];
        for (var i = 0; i < points.Length; i++) result[i] = ((points[i].X - cx) * s, (points[i].Y - cy) * s);
        return ([s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1], result);
    }

    private static Vector2 Apply(double[] h, Vector2 p)
    {
        var w = h[6] * p.X + h[7] * p.Y + h[8];
        return new Vector2((float)((h[0] * p.X + h[1] * p.Y + h[2]) / w), (float)((h[3] * p.X + h[4] * p.Y + h[5]) / w));
    }

    private static double[] Multiply(double[] a, double[] b)
    {
        var m = new double[9];
        for (var r = 0; r < 3; r++)
            for (var c = 0; c < 3; c++)
                m[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
        return m;
    }

    /// <summary>Inverse of a normalising similarity [s 0 tx; 0 s ty; 0 0 1].</summary>
    private static double[] Invert(double[] t) => [1 / t[0], 0, -t[2] / t[0], 0, 1 / t[4], -t[5] / t[4], 0, 0, 1];
}
