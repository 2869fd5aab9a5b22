namespace FaceMatch.Matching.Quantization;

/// <summary>A vector quantised to int8 with one symmetric scale: element i ≈ Values[i] * Scale.</summary>
public sealed record QuantizedVector(sbyte[] Values, float Scale)
{
    /// <summary>Quantises <paramref name="vector"/> (see <see cref="Int8Quantizer"/>).</summary>
    public static QuantizedVector From(ReadOnlySpan<float> vector)
    {
        var values = new sbyte[vector.Length];
        float scale = Int8Quantizer.Quantize(vector, values);
        return new QuantizedVector(values, scale);
    }
}

/// <summary>
/// Symmetric per-vector int8 quantisation: scale = max|x| / 127, q = round(x / scale) in [-127, 127].
/// Symmetric (no zero point) so that a dot product of two quantised vectors is one integer sum times two
/// scales; -128 is never used, which keeps the range symmetric around zero.
/// </summary>
public static class Int8Quantizer
{
    /// <summary>Quantises into <paramref name="destination"/> (same length) and returns the scale (0 for an all-zero vector).</summary>
    public static float Quantize(ReadOnlySpan<float> source, Span<sbyte> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("destination is shorter than source", nameof(destination));
        float max = 0;
        foreach (var x in source)
        {
            if (!float.IsFinite(x)) throw new ArgumentException("vector has a non-finite element", nameof(source));
            max = Math.Max(max, Math.Abs(x));
        }
        if (max == 0)
        {
            destination[..source.Length].Clear();
            return 0f;
        }
        float scale = max / 127f;
        float inv = 127f / max;
        for (int i = 0; i < source.Length; i++)
            destination[i] = (sbyte)Math.Clamp((int)MathF.Round(source[i] * inv), -127, 127);
        return scale;
    }
}
