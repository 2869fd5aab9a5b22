using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Quantization;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Ann;

/// <summary>
/// The graph's nodes in native memory, one record each: the int8 copy of the vector (the int8 kernels' layout), then
/// its scale, element sum, deleted flag and level, then its level-0 links (count, then up to 2M node numbers).
/// </summary>
/// <remarks>
/// A distance needs the vector, scale and sum, and expanding a node its links: one record, read front to back, is
/// one run of adjacent cache lines the hardware prefetcher follows, instead of a miss in each of several arrays.
/// Records sit in fixed segments of 65,536 that are never moved or freed before the store, so a search can read
/// while the single writer appends. Upper-level links (one node in M has any) are separate native blocks.
/// </remarks>
internal sealed unsafe class NodeStore : IDisposable
{
    public const int SegmentShift = 16;
    public const int SegmentSize = 1 << SegmentShift;
    private const int SegmentMask = SegmentSize - 1;
    private const int HeaderBytes = 12; // scale, sum, deleted + level + 2 spare

    private readonly int _dimension, _m0, _m;
    private readonly List<AlignedBuffer> _owned = [];
    private readonly List<nint> _upperBlocks = [];
    private byte*[] _segments = [];
    private nint[][] _upper = [];

    public NodeStore(int dimension, int m)
    {
        _dimension = dimension;
        _m = m;
        _m0 = 2 * m;
        VectorBytes = RowLayout.RowBytes(dimension, VectorPrecision.Int8);
        int record = VectorBytes + HeaderBytes + (_m0 + 1) * sizeof(int);
        Stride = (record + RowLayout.Alignment - 1) / RowLayout.Alignment * RowLayout.Alignment;
    }

    public int VectorBytes { get; }
    public int Stride { get; }
    public long NativeBytes { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Record(int node) => Volatile.Read(ref _segments)[node >> SegmentShift] + (long)(node & SegmentMask) * Stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Scale(byte* record) => *(float*)(record + VectorBytes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Sum(byte* record) => *(int*)(record + VectorBytes + 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Deleted(byte* record) => record + VectorBytes + 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Level(byte* record) => record[VectorBytes + 9];

    /// <summary>A node's links on a level: [0] is the count, then the node numbers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int* Links(int node, int level)
    {
        if (level == 0) return (int*)(Record(node) + VectorBytes + HeaderBytes);
        return (int*)Volatile.Read(ref _upper)[node >> SegmentShift][node & SegmentMask] + (level - 1) * (_m + 1);
    }

    /// <summary>Single writer: writes node <paramref name="node"/> (not yet reachable by readers).</summary>
    public void Add(int node, ReadOnlySpan<float> normalized, int level)
    {
        int s = node >> SegmentShift;
        if (s >= _segments.Length) Grow(s + 1);
        byte* record = Record(node);
        new Span<byte>(record, Stride).Clear();
        var q = new Span<sbyte>(record, _dimension);
        *(float*)(record + VectorBytes) = Int8Quantizer.Quantize(normalized, q);
        int sum = 0;
        foreach (var x in q) sum += x;
        *(int*)(record + VectorBytes + 4) = sum;
        record[VectorBytes + 9] = (byte)level;
        if (level > 0)
        {
            nuint bytes = (nuint)(level * (_m + 1) * sizeof(int));
            var block = (nint)NativeMemory.AllocZeroed(bytes);
            _upperBlocks.Add(block);
            NativeBytes += (long)bytes;
            _upper[s][node & SegmentMask] = block;
        }
    }

    private void Grow(int segments)
    {
        var grown = new byte*[segments];
        var upper = new nint[segments][];
        Array.Copy(_segments, grown, _segments.Length);
        Array.Copy(_upper, upper, _upper.Length);
        for (int s = _segments.Length; s < segments; s++)
        {
            var buffer = new AlignedBuffer((long)SegmentSize * Stride);
            _owned.Add(buffer);
            grown[s] = buffer.Data;
            upper[s] = new nint[SegmentSize];
            NativeBytes += buffer.Length;
        }
        Volatile.Write(ref _upper, upper);
        Volatile.Write(ref _segments, grown);
    }

    public void Dispose()
    {
        foreach (var b in _owned) b.Dispose();
        foreach (var p in _upperBlocks) NativeMemory.Free((void*)p);
        _owned.Clear();
        _upperBlocks.Clear();
        _segments = [];
    }
}
