using System.Numerics;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Alignment;

/// <summary>
/// A similarity transform p' = s·R(θ)·p + t: uniform scale, rotation and translation, no shear or mirroring.
/// Angles follow image coordinates (y down): positive θ turns clockwise on screen.
/// </summary>
public readonly record struct SimilarityTransform(double Scale, double RotationRadians, double TranslationX, double TranslationY)
{
    /// <summary>The 2×3 source→destination matrix, ready for <see cref="AffineWarp"/>.</summary>
    public AffineMatrix Matrix
    {
        get
        {
            double c = Scale * Math.Cos(RotationRadians), s = Scale * Math.Sin(RotationRadians);
            return new AffineMatrix(c, -s, TranslationX, s, c, TranslationY);
        }
    }

    public Vector2 Apply(Vector2 p) => Matrix.Apply(p);

    /// <summary>
    /// Least-squares similarity taking <paramref name="source"/> points onto <paramref name="target"/> points
    /// (Umeyama 1991, without reflection). In 2-D the SVD of Umeyama's covariance reduces to a closed form: with
    /// both point sets centred, s·cos θ = Σ(p·q) / Σ|p|² and s·sin θ = Σ(p × q) / Σ|p|², which minimises
    /// Σ |s·R·pᵢ + t − qᵢ|² over all scales, rotations and translations.
    /// </summary>
    public static SimilarityTransform Estimate(ReadOnlySpan<Vector2> source, ReadOnlySpan<Vector2> target) =>
        Estimate(source, target, out _);

    /// <param name="rmsError">Root-mean-square distance between the mapped source points and the targets.</param>
    public static SimilarityTransform Estimate(ReadOnlySpan<Vector2> source, ReadOnlySpan<Vector2> target, out double rmsError)
    {
        if (source.Length != target.Length)
            throw new ArgumentException($"{source.Length} source points but {target.Length} target points");
        if (source.Length < 2)
            throw new ArgumentException("a similarity transform needs at least two point pairs");
        var n = source.Length;
        double msx = 0, msy = 0, mtx = 0, mty = 0;
        for (var i = 0; i < n; i++)
        {
            if (!float.IsFinite(source[i].X) || !float.IsFinite(source[i].Y) ||
                !float.IsFinite(target[i].X) || !float.IsFinite(target[i].Y))
                throw new ArgumentException($"point pair {i} is not finite");
            msx += source[i].X; msy += source[i].Y; mtx += target[i].X; mty += target[i].Y;
        }
        msx /= n; msy /= n; mtx /= n; mty /= n;

        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < n; i++)
        {
            double px = source[i].X - msx, py = source[i].Y - msy, qx = target[i].X - mtx, qy = target[i].Y - mty;
            dot += px * qx + py * qy;
            cross += px * qy - py * qx;
            norm += px * px + py * py;
        }
        if (norm < 1e-12)
            throw new ArgumentException("source points coincide: no scale or rotation can be estimated");

        double a = dot / norm, b = cross / norm; // a = s·cos θ, b = s·sin θ
        var tx = mtx - (a * msx - b * msy);
        var ty = mty - (b * msx + a * msy);
        var result = new SimilarityTransform(Math.Sqrt(a * a + b * b), Math.Atan2(b, a), tx, ty);

        double sq = 0;
        for (var i = 0; i < n; i++)
        {
            double x = a * source[i].X - b * source[i].Y + tx - target[i].X;
            double y = b * source[i].X + a * source[i].Y + ty - target[i].Y;
            sq += x * x + y * y;
        }
        rmsError = Math.Sqrt(sq / n);
        return result;
    }
}
