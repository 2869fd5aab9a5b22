using System.Numerics;

namespace FaceMatch.Vision.Imaging;

/// <summary>
/// A 2×3 affine map x' = A·x + B·y + C, y' = D·x + E·y + F in continuous image coordinates (origin at the
/// top-left corner of the top-left pixel, y down; pixel (i, j) has its centre at (i + 0.5, j + 0.5)).
/// Warps take the matrix that maps SOURCE points to DESTINATION points and invert it themselves.
/// </summary>
public readonly record struct AffineMatrix(double A, double B, double C, double D, double E, double F)
{
    public static AffineMatrix Identity => new(1, 0, 0, 0, 1, 0);

    public static AffineMatrix Translation(double dx, double dy) => new(1, 0, dx, 0, 1, dy);

    public static AffineMatrix Scaling(double sx, double sy) => new(sx, 0, 0, 0, sy, 0);

    /// <summary>
    /// Rotation by <paramref name="degrees"/> about <paramref name="centre"/>. With y pointing down a positive
    /// angle turns the picture clockwise on screen (x axis towards y axis).
    /// </summary>
    public static AffineMatrix Rotation(double degrees, Vector2 centre)
    {
        var r = degrees * Math.PI / 180.0;
        double c = Math.Cos(r), s = Math.Sin(r);
        // T(centre) · R · T(-centre)
        return new AffineMatrix(c, -s, centre.X - c * centre.X + s * centre.Y,
            s, c, centre.Y - s * centre.X - c * centre.Y);
    }

    /// <summary>Linear part's determinant; |det| is the area scale factor.</summary>
    public double Determinant => A * E - B * D;

    /// <summary>This map followed by <paramref name="next"/> (the matrix product next · this).</summary>
    public AffineMatrix Then(AffineMatrix next) => new(
        next.A * A + next.B * D, next.A * B + next.B * E, next.A * C + next.B * F + next.C,
        next.D * A + next.E * D, next.D * B + next.E * E, next.D * C + next.E * F + next.F);

    public AffineMatrix Invert()
    {
        var det = Determinant;
        if (Math.Abs(det) < 1e-12 || !double.IsFinite(det))
            throw new InvalidOperationException("affine matrix is singular");
        double a = E / det, b = -B / det, d = -D / det, e = A / det;
        return new AffineMatrix(a, b, -(a * C + b * F), d, e, -(d * C + e * F));
    }

    public Vector2 Apply(Vector2 p) => new((float)(A * p.X + B * p.Y + C), (float)(D * p.X + E * p.Y + F));

    public (double X, double Y) Apply(double x, double y) => (A * x + B * y + C, D * x + E * y + F);

    internal void CopyTo(Span<double> six)
    {
        six[0] = A; six[1] = B; six[2] = C; six[3] = D; six[4] = E; six[5] = F;
    }
}

/// <summary>An integer pixel rectangle [X, X + Width) × [Y, Y + Height).</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
}
