using System.Runtime.InteropServices;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Quantization;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Search;

/// <summary>
/// A batch of L2-normalised queries laid out the way one kernel path reads them: padded and 64-byte aligned,
/// float32 for float rows (pre-scaled by 2^112 for float16 rows), int16 for int8 rows (or unsigned bytes, value + 128,
/// on the VNNI path), with each int8 query's scale.
/// </summary>
internal sealed unsafe class PreparedQueries : IDisposable
{
    private readonly AlignedBuffer _buffer;

    public PreparedQueries(ReadOnlySpan<float> normalized, int count, int dimension, VectorPrecision precision, BlockScorer scorer)
    {
        Count = count;
        Precision = precision;
        Scorer = scorer;
        Pitch = RowLayout.QueryBytes(dimension, precision, scorer.Path);
        Steps = scorer.Steps(RowLayout.PaddedElements(dimension, precision));
        Scale = new float[count];
        _buffer = new AlignedBuffer(Pitch * count);
        new Span<byte>(_buffer.Data, (int)_buffer.Length).Clear();

        Span<sbyte> quantized = precision == VectorPrecision.Int8 ? new sbyte[dimension] : default;
        for (int q = 0; q < count; q++)
        {
            var source = normalized.Slice(q * dimension, dimension);
            byte* dst = Query(q);
            Scale[q] = 1f;
            switch (precision)
            {
                case VectorPrecision.Float32:
                    source.CopyTo(new Span<float>(dst, dimension));
                    break;
                case VectorPrecision.Float16:
                    var f = new Span<float>(dst, dimension);
                    for (int i = 0; i < dimension; i++) f[i] = source[i] * Float16Bits.QueryScale;
                    break;
                case VectorPrecision.Int8:
                    Scale[q] = Int8Quantizer.Quantize(source, quantized);
                    if (RowLayout.QueryElementBytes(precision, scorer.Path) == 2)
                    {
                        var s = new Span<short>(dst, dimension);
                        for (int i = 0; i < dimension; i++) s[i] = quantized[i];
                    }
                    else
                    {
                        var u = new Span<byte>(dst, dimension);
                        for (int i = 0; i < dimension; i++) u[i] = (byte)(quantized[i] + 128);
                    }
                    break;
            }
        }
    }

    public int Count { get; }
    public VectorPrecision Precision { get; }
    public BlockScorer Scorer { get; }
    public nint Pitch { get; }
    public int Steps { get; }

    /// <summary>int8: the query's quantisation scale; 1 otherwise.</summary>
    public float[] Scale { get; }

    public byte* Query(int q) => _buffer.Data + q * Pitch;

    public void Dispose() => _buffer.Dispose();
}
