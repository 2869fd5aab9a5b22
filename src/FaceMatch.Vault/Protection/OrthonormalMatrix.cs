using System.Numerics;
using System.Runtime.InteropServices;

namespace FaceMatch.Vault.Protection;

/// <summary>
/// A secret random orthonormal matrix Q (d×d). Multiplying every template of a tenant by Q keeps inner products
/// and norms, so cosine scores inside the tenant are unchanged, while the same face under two tenants' matrices
/// gives two unrelated-looking vectors. Q is drawn from the Haar distribution: Householder QR of a Gaussian
/// matrix, with column signs fixed by R's diagonal.
/// </summary>
internal sealed class OrthonormalMatrix
{
    private readonly float[] _rows; // row-major

    private OrthonormalMatrix(int dimension, float[] rows)
    {
        Dimension = dimension;
        _rows = rows;
    }

    public int Dimension { get; }

    /// <summary>Entry (row, column), for tests.</summary>
    internal float this[int row, int column] => _rows[row * Dimension + column];

    public static OrthonormalMatrix Generate(ReadOnlySpan<byte> seed, int dimension)
    {
        if (dimension is < 2 or > 4096) throw new VaultArgumentException($"embedding dimension must be within 2..4096, got {dimension}");
        var n = dimension;
        var a = new double[n * n];
        using (var gaussian = new SeededGaussian(seed))
            for (var i = 0; i < a.Length; i++) a[i] = gaussian.Next();

        // Householder QR in place: reflector k zeroes column k below the diagonal.
        var reflectors = new double[n][];
        var diagonalSigns = new double[n];
        for (var k = 0; k < n; k++)
        {
            var norm = 0.0;
            for (var i = k; i < n; i++) norm += a[i * n + k] * a[i * n + k];
            norm = Math.Sqrt(norm);
            var x0 = a[k * n + k];
            var alpha = x0 >= 0 ? -norm : norm; // R[k,k]; sign chosen to avoid cancellation
            var v = new double[n - k];
            for (var i = k; i < n; i++) v[i - k] = a[i * n + k];
            v[0] -= alpha;
            var vNorm = 0.0;
            foreach (var e in v) vNorm += e * e;
            vNorm = Math.Sqrt(vNorm);
            if (vNorm > 0)
                for (var i = 0; i < v.Length; i++) v[i] /= vNorm;
            reflectors[k] = v;
            diagonalSigns[k] = alpha >= 0 ? 1.0 : -1.0;
            // A[k:, k:] -= 2 v (vᵀ A[k:, k:])
            for (var j = k; j < n; j++)
            {
                var dot = 0.0;
                for (var i = k; i < n; i++) dot += v[i - k] * a[i * n + j];
                dot *= 2;
                for (var i = k; i < n; i++) a[i * n + j] -= dot * v[i - k];
            }
        }

        // Q = H0 H1 … H(n-1): apply the reflectors to the identity, last first.
        var q = new double[n * n];
        for (var i = 0; i < n; i++) q[i * n + i] = 1.0;
        for (var k = n - 1; k >= 0; k--)
        {
            var v = reflectors[k];
            for (var j = 0; j < n; j++)
            {
                var dot = 0.0;
                for (var i = k; i < n; i++) dot += v[i - k] * q[i * n + j];
                dot *= 2;
                for (var i = k; i < n; i++) q[i * n + j] -= dot * v[i - k];
            }
        }

        // Haar measure needs R with a positive diagonal: flip the columns of Q where R[k,k] < 0.
        var rows = new float[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                rows[i * n + j] = (float)(q[i * n + j] * diagonalSigns[j]);
        Array.Clear(a);
        Array.Clear(q);
        return new OrthonormalMatrix(n, rows);
    }

    /// <summary>destination = Q · source.</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length != Dimension)
            throw new VaultArgumentException($"embedding has {source.Length} values, the tenant's template space has {Dimension}");
        if (destination.Length < Dimension) throw new VaultArgumentException("destination is shorter than the embedding");
        if (source.Overlaps(destination)) throw new VaultArgumentException("source and destination must not overlap");
        var rows = _rows.AsSpan();
        for (var i = 0; i < Dimension; i++)
            destination[i] = Dot(rows.Slice(i * Dimension, Dimension), source);
    }

    /// <summary>source = Qᵀ · destination, the inverse (for tests: the rotation loses nothing).</summary>
    internal void ApplyTranspose(ReadOnlySpan<float> source, Span<float> destination)
    {
        destination[..Dimension].Clear();
        for (var i = 0; i < Dimension; i++)
        {
            var row = _rows.AsSpan(i * Dimension, Dimension);
            for (var j = 0; j < Dimension; j++) destination[j] += row[j] * source[i];
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            for (var k = 0; k < va.Length; k++) sum += va[k] * vb[k];
            i = va.Length * Vector<float>.Count;
        }
        var total = Vector.Sum(sum);
        for (; i < a.Length; i++) total += a[i] * b[i];
        return total;
    }
}
