namespace FaceMatch.Matching.Quantization;

/// <summary>float32 → IEEE binary16, round to nearest even (the conversion <see cref="Half"/> defines).</summary>
public static class Float16Encoder
{
    public static void Encode(ReadOnlySpan<float> source, Span<Half> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("destination is shorter than source", nameof(destination));
        for (int i = 0; i < source.Length; i++)
        {
            var h = (Half)source[i];
            if (!Half.IsFinite(h))
                throw new ArgumentException($"element {i} ({source[i]}) does not fit in float16", nameof(source));
            destination[i] = h;
        }
    }
}
