namespace FaceMatch.Matching.Kernels;

/// <summary>
/// How a vector is laid out in a gallery matrix and in a prepared query: rows start on 64-byte boundaries and are
/// zero-padded to a multiple of 64 bytes, so every kernel path consumes whole steps and loads never straddle a
/// cache line. The padding is zero in rows and queries alike, so it adds nothing to a dot product.
/// </summary>
internal static class RowLayout
{
    public const int Alignment = 64;

    public static int ElementBytes(VectorPrecision precision) => precision switch
    {
        VectorPrecision.Float32 => 4,
        VectorPrecision.Float16 => 2,
        VectorPrecision.Int8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    /// <summary>Elements per stored row, rounded up to fill whole 64-byte lines.</summary>
    public static int PaddedElements(int dimension, VectorPrecision precision)
    {
        int perLine = Alignment / ElementBytes(precision);
        return (dimension + perLine - 1) / perLine * perLine;
    }

    /// <summary>Bytes from one row to the next.</summary>
    public static int RowBytes(int dimension, VectorPrecision precision) =>
        PaddedElements(dimension, precision) * ElementBytes(precision);

    /// <summary>Bytes per query element as the path reads it (float for float rows; int16 or int8 for int8 rows).</summary>
    public static int QueryElementBytes(VectorPrecision precision, KernelPath path) => precision switch
    {
        VectorPrecision.Int8 => path is KernelPath.AvxVnni256 or KernelPath.Avx512Vnni ? 1 : 2,
        _ => 4,
    };

    /// <summary>Bytes from one prepared query to the next (64-byte aligned).</summary>
    public static int QueryBytes(int dimension, VectorPrecision precision, KernelPath path)
    {
        int bytes = PaddedElements(dimension, precision) * QueryElementBytes(precision, path);
        return (bytes + Alignment - 1) / Alignment * Alignment;
    }
}
