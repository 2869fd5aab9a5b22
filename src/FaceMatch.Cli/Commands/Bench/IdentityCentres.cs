namespace FaceMatch.Cli.Commands.Bench;

/// <summary>
/// The centres of a benchmark's synthetic identities: uniform on the unit sphere of all <c>dimension</c> coordinates
/// (isotropic), or uniform on the unit sphere of a random <c>intrinsicDimension</c>-dimensional subspace, the closer
/// stand-in for face embeddings, whose identities vary along far fewer directions than they have coordinates.
/// </summary>
/// <remarks>
/// Each centre is regenerated from its own seed, so no table of centres is kept; the subspace's orthonormal basis
/// (intrinsicDimension x dimension floats) is drawn once from the benchmark's seed.
/// </remarks>
internal sealed class IdentityCentres
{
    private readonly int _seed, _dimension;
    private readonly float[][]? _basis;

    public IdentityCentres(int seed, int dimension, int intrinsicDimension)
    {
        _seed = seed;
        _dimension = dimension;
        if (intrinsicDimension > 0 && intrinsicDimension < dimension) _basis = OrthonormalBasis(seed, dimension, intrinsicDimension);
    }

    /// <summary>The subspace's dimension, or the full dimension for isotropic centres.</summary>
    public int IntrinsicDimension => _basis?.Length ?? _dimension;

    /// <summary>Identity <paramref name="id"/>'s centre (unit length).</summary>
    public void Centre(int id, Span<float> centre)
    {
        var random = new RandomEmbeddings(unchecked(_seed * 7919 + id + 1));
        if (_basis is null)
        {
            random.NextUnit(centre);
            return;
        }
        // A uniform direction in the subspace's coordinates; the basis is orthonormal, so the centre is unit length.
        Span<float> z = stackalloc float[_basis.Length];
        random.NextUnit(z);
        centre.Clear();
        for (int j = 0; j < z.Length; j++)
        {
            var axis = _basis[j];
            for (int i = 0; i < centre.Length; i++) centre[i] += z[j] * axis[i];
        }
    }

    // Gram-Schmidt on random Gaussian directions (twice per axis, for float rounding): a random orthonormal basis.
    private static float[][] OrthonormalBasis(int seed, int dimension, int rank)
    {
        var random = new RandomEmbeddings(unchecked(seed ^ 0x5EED_BA5E));
        var basis = new float[rank][];
        for (int j = 0; j < rank; j++)
        {
            var v = new float[dimension];
            random.NextUnit(v);
            for (int pass = 0; pass < 2; pass++)
            {
                for (int p = 0; p < j; p++)
                {
                    double dot = 0;
                    for (int i = 0; i < dimension; i++) dot += (double)v[i] * basis[p][i];
                    for (int i = 0; i < dimension; i++) v[i] -= (float)dot * basis[p][i];
                }
                double norm = 0;
                for (int i = 0; i < dimension; i++) norm += (double)v[i] * v[i];
                float inv = (float)(1 / Math.Sqrt(norm));
                for (int i = 0; i < dimension; i++) v[i] *= inv;
            }
            basis[j] = v;
        }
        return basis;
    }
}
