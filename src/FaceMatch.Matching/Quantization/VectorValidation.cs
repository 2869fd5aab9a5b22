namespace FaceMatch.Matching.Quantization;

/// <summary>Checks and L2-normalises embeddings on their way into a gallery or a search.</summary>
public static class VectorValidation
{
    /// <summary>
    /// Writes <paramref name="source"/> scaled to unit length into <paramref name="destination"/>.
    /// Throws <see cref="ArgumentException"/> naming <paramref name="what"/> if the vector has the wrong length,
    /// a NaN or infinite element, or zero length (no direction to compare).
    /// </summary>
    public static void NormalizeInto(ReadOnlySpan<float> source, Span<float> destination, int dimension, string what)
    {
        if (source.Length != dimension)
            throw new ArgumentException($"{what} has {source.Length} elements; this gallery holds {dimension}-dimensional vectors");
        double sum = 0;
        for (int i = 0; i < source.Length; i++)
        {
            float x = source[i];
            if (!float.IsFinite(x))
                throw new ArgumentException($"{what} has a non-finite element at index {i}");
            sum += (double)x * x;
        }
        if (sum == 0 || !double.IsFinite(sum))
            throw new ArgumentException($"{what} has zero (or unrepresentable) length and cannot be compared by cosine");
        float inv = (float)(1.0 / Math.Sqrt(sum));
        for (int i = 0; i < source.Length; i++)
            destination[i] = source[i] * inv;
    }
}
