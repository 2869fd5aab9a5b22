using System.Runtime.CompilerServices;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Quantization;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Ann;

/// <summary>
/// The approximate index's own copy of its vectors, int8 with one scale and the element sum per vector (the layout
/// the int8 kernels read), in fixed segments of native memory: growing never moves a vector, so searches can read
/// while the single writer appends. A quarter of the float32 bytes; scores from it only steer the graph search,
/// the gallery re-ranks the candidates exactly.
/// </summary>
internal sealed unsafe class NodeVectors : IDisposable
{
    public const int SegmentShift = 16;
    public const int SegmentSize = 1 << SegmentShift;
    private const int SegmentMask = SegmentSize - 1;

    private readonly int _dimension;
    private readonly List<AlignedBuffer> _owned = [];
    private Segment[] _segments = [];

    public NodeVectors(int dimension)
    {
        _dimension = dimension;
        Stride = RowLayout.RowBytes(dimension, VectorPrecision.Int8);
    }

    /// <summary>Bytes from one vector to the next (padded to whole 64-byte lines, zero-filled).</summary>
    public int Stride { get; }

    public long NativeBytes { get; private set; }

    /// <summary>Writes vector <paramref name="node"/> (single writer; the node is not reachable by readers yet).</summary>
    public void Set(int node, ReadOnlySpan<float> normalized)
    {
        int s = node >> SegmentShift;
        if (s >= _segments.Length) Grow(s + 1);
        var seg = _segments[s];
        int i = node & SegmentMask;
        var dst = new Span<sbyte>(seg.Data + (long)i * Stride, Stride);
        seg.Scales[i] = Int8Quantizer.Quantize(normalized, dst);
        dst[_dimension..].Clear();
        int sum = 0;
        foreach (var x in dst) sum += x;
        seg.Sums[i] = sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Row(int node) => Volatile.Read(ref _segments)[node >> SegmentShift].Data + (long)(node & SegmentMask) * Stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Scale(int node) => Volatile.Read(ref _segments)[node >> SegmentShift].Scales[node & SegmentMask];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Sum(int node) => Volatile.Read(ref _segments)[node >> SegmentShift].Sums[node & SegmentMask];

    private void Grow(int segments)
    {
        var grown = new Segment[segments];
        Array.Copy(_segments, grown, _segments.Length);
        for (int s = _segments.Length; s < segments; s++)
        {
            var buffer = new AlignedBuffer((long)SegmentSize * Stride);
            _owned.Add(buffer);
            grown[s] = new Segment(buffer.Data, new float[SegmentSize], new int[SegmentSize]);
            NativeBytes += buffer.Length;
        }
        Volatile.Write(ref _segments, grown);
    }

    public void Dispose()
    {
        foreach (var b in _owned) b.Dispose();
        _owned.Clear();
        _segments = [];
    }

    private sealed class Segment(byte* data, float[] scales, int[] sums)
    {
        public readonly byte* Data = data;
        public readonly float[] Scales = scales;
        public readonly int[] Sums = sums;
    }
}
