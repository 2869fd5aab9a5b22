using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Quantization;

namespace FaceMatch.Matching.Storage;

/// <summary>
/// One generation of a gallery's rows: fixed capacity, append-only, with tombstones. Every matrix is a contiguous
/// 64-byte-aligned native block, rows padded to whole cache lines (<see cref="RowLayout"/>).
/// </summary>
/// <remarks>
/// Concurrency: one writer at a time (the gallery's lock) appends and tombstones; any number of readers scan
/// rows [0, <see cref="Count"/>) read once at the start of their search. A row is fully written before Count is
/// published (release store), so a reader never sees a half-written row. Rows never move within a store;
/// compaction and growth build a new store and publish it, and this one is freed when its last reader leaves
/// (reference count: the gallery holds one reference until it retires the store).
/// </remarks>
internal sealed unsafe class RowStore
{
    private readonly AlignedBuffer? _float32;
    private readonly AlignedBuffer? _compressed;
    private readonly AlignedBuffer? _scales;
    private readonly AlignedBuffer? _rowSums;
    private readonly byte[] _dead;
    private readonly string[] _ids;
    private int _count;
    private int _deadCount;
    private int _refs = 1;
    private static long s_nextId;

    public RowStore(int dimension, int capacity, VectorPrecision scanPrecision, bool keepFloat32)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        Dimension = dimension;
        Capacity = capacity;
        ScanPrecision = scanPrecision;
        _dead = new byte[capacity];
        _ids = new string[capacity];
        try
        {
            if (scanPrecision == VectorPrecision.Float32 || keepFloat32)
            {
                Float32Stride = RowLayout.RowBytes(dimension, VectorPrecision.Float32);
                _float32 = new AlignedBuffer((long)capacity * Float32Stride);
            }
            if (scanPrecision != VectorPrecision.Float32)
            {
                CompressedStride = RowLayout.RowBytes(dimension, scanPrecision);
                _compressed = new AlignedBuffer((long)capacity * CompressedStride);
                if (scanPrecision == VectorPrecision.Int8)
                {
                    _scales = new AlignedBuffer((long)capacity * sizeof(float));
                    // Each int8 row's element sum: the VNNI kernels' exact correction (see Int8Ops).
                    _rowSums = new AlignedBuffer((long)capacity * sizeof(int));
                }
            }
        }
        catch
        {
            FreeBuffers();
            throw;
        }
    }

    /// <summary>Unique per store instance: a device mirror of an older store knows it must re-upload.</summary>
    public long Id { get; } = Interlocked.Increment(ref s_nextId);

    public int Dimension { get; }
    public int Capacity { get; }
    public VectorPrecision ScanPrecision { get; }
    public int Float32Stride { get; }
    public int CompressedStride { get; }
    public bool HasFloat32 => _float32 != null;

    /// <summary>Rows written so far (live and tombstoned). Readers take this once per search.</summary>
    public int Count => Volatile.Read(ref _count);

    public int DeadCount => Volatile.Read(ref _deadCount);
    public int LiveCount => Count - DeadCount;

    /// <summary>Native bytes held by this store's matrices.</summary>
    public long NativeBytes => (_float32?.Length ?? 0) + (_compressed?.Length ?? 0) + (_scales?.Length ?? 0) + (_rowSums?.Length ?? 0);

    /// <summary>Native bytes one row costs across every matrix and per-row array.</summary>
    public long BytesPerRow => (HasFloat32 ? Float32Stride : 0) + CompressedStride +
                               (ScanPrecision == VectorPrecision.Int8 ? sizeof(float) + sizeof(int) : 0);

    /// <summary>Bytes a full scan of <paramref name="rows"/> rows of the given matrix reads.</summary>
    public long ScanBytes(VectorPrecision precision, int rows) =>
        (long)rows * (precision == VectorPrecision.Float32 ? Float32Stride : CompressedStride) +
        (precision == VectorPrecision.Int8 ? (long)rows * (sizeof(float) + sizeof(int)) : 0);

    /// <summary>Tombstone flags (1 = removed), indexed by row. Read without locks: a flag only ever goes 0 → 1.</summary>
    public byte[] DeadFlags => _dead;

    public bool IsDead(int row) => Volatile.Read(ref _dead[row]) != 0;

    public string IdAt(int row) => _ids[row];

    /// <summary>The matrix to scan for <paramref name="precision"/>, or null if this store does not hold it.</summary>
    public ScanMatrix? Matrix(VectorPrecision precision)
    {
        if (precision == VectorPrecision.Float32)
            return _float32 == null ? null : new ScanMatrix(_float32.Data, Float32Stride, VectorPrecision.Float32, null, Dimension);
        if (precision != ScanPrecision || _compressed == null) return null;
        return new ScanMatrix(_compressed.Data, CompressedStride, precision, _scales == null ? null : (float*)_scales.Data, Dimension,
            _rowSums == null ? null : (int*)_rowSums.Data);
    }

    public float* Float32Row(int row) => (float*)(_float32!.Data + (long)row * Float32Stride);

    /// <summary>
    /// Rows [<paramref name="first"/>, first + <paramref name="count"/>) as float vectors end to end: the float32 copy
    /// if the store keeps one, else the compressed values decoded (float16 exactly, int8 as value * scale).
    /// </summary>
    public void CopyRowsAsFloat(int first, int count, Span<float> into)
    {
        for (int i = 0; i < count; i++)
        {
            int row = first + i;
            var dst = into.Slice(i * Dimension, Dimension);
            if (_float32 != null)
            {
                new ReadOnlySpan<float>(Float32Row(row), Dimension).CopyTo(dst);
                continue;
            }
            byte* p = _compressed!.Data + (long)row * CompressedStride;
            if (ScanPrecision == VectorPrecision.Float16)
            {
                var h = new ReadOnlySpan<Half>(p, Dimension);
                for (int d = 0; d < Dimension; d++) dst[d] = (float)h[d];
            }
            else
            {
                var q = new ReadOnlySpan<sbyte>(p, Dimension);
                float scale = ((float*)_scales!.Data)[row];
                for (int d = 0; d < Dimension; d++) dst[d] = q[d] * scale;
            }
        }
    }

    /// <summary>Appends an already L2-normalised vector. Caller holds the writer lock and has checked capacity.</summary>
    public int Append(string id, ReadOnlySpan<float> normalized)
    {
        int row = _count;
        if (row >= Capacity) throw new InvalidOperationException("row store is full");
        if (_float32 != null)
        {
            var dst = new Span<float>(_float32.Data + (long)row * Float32Stride, Float32Stride / sizeof(float));
            normalized.CopyTo(dst);
            dst[normalized.Length..].Clear();
        }
        if (_compressed != null)
        {
            byte* p = _compressed.Data + (long)row * CompressedStride;
            if (ScanPrecision == VectorPrecision.Float16)
            {
                var dst = new Span<Half>(p, CompressedStride / 2);
                Float16Encoder.Encode(normalized, dst);
                dst[normalized.Length..].Clear();
            }
            else
            {
                var dst = new Span<sbyte>(p, CompressedStride);
                ((float*)_scales!.Data)[row] = Int8Quantizer.Quantize(normalized, dst);
                dst[normalized.Length..].Clear();
                int sum = 0;
                foreach (var x in dst) sum += x;
                ((int*)_rowSums!.Data)[row] = sum;
            }
        }
        _ids[row] = id;
        _dead[row] = 0;
        Volatile.Write(ref _count, row + 1);
        return row;
    }

    /// <summary>Appends a copy of <paramref name="source"/>'s row (same layout), without re-encoding.</summary>
    public int AppendCopy(RowStore source, int sourceRow)
    {
        int row = _count;
        if (row >= Capacity) throw new InvalidOperationException("row store is full");
        if (_float32 != null)
            Buffer.MemoryCopy(source._float32!.Data + (long)sourceRow * Float32Stride, _float32.Data + (long)row * Float32Stride, Float32Stride, Float32Stride);
        if (_compressed != null)
        {
            Buffer.MemoryCopy(source._compressed!.Data + (long)sourceRow * CompressedStride, _compressed.Data + (long)row * CompressedStride, CompressedStride, CompressedStride);
            if (_scales != null)
            {
                ((float*)_scales.Data)[row] = ((float*)source._scales!.Data)[sourceRow];
                ((int*)_rowSums!.Data)[row] = ((int*)source._rowSums!.Data)[sourceRow];
            }
        }
        _ids[row] = source._ids[sourceRow];
        _dead[row] = 0;
        Volatile.Write(ref _count, row + 1);
        return row;
    }

    /// <summary>Tombstones a row; scans skip it from the next candidate check on.</summary>
    public void MarkDead(int row)
    {
        if (_dead[row] != 0) return;
        Volatile.Write(ref _dead[row], 1);
        Interlocked.Increment(ref _deadCount);
    }

    /// <summary>Takes a reader reference; false if the store has already been retired and freed.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _refs);
            if (refs == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs) return true;
        }
    }

    /// <summary>Drops a reference (a reader's, or the gallery's on retirement); the last one frees the native memory.</summary>
    public void Release()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs == 0) FreeBuffers();
        else if (refs < 0) throw new InvalidOperationException("row store released more often than acquired");
    }

    private void FreeBuffers()
    {
        _float32?.Dispose();
        _compressed?.Dispose();
        _scales?.Dispose();
        _rowSums?.Dispose();
    }
}

/// <summary>A view of one matrix of a store: where it starts, how far apart rows are, and int8 row scales and sums.</summary>
internal readonly unsafe struct ScanMatrix(byte* data, int stride, VectorPrecision precision, float* scales, int dimension,
    int* rowSums = null)
{
    public byte* Data { get; } = data;
    public int Stride { get; } = stride;
    public VectorPrecision Precision { get; } = precision;
    public float* Scales { get; } = scales;
    public int Dimension { get; } = dimension;
    public int* RowSums { get; } = rowSums;
    public int PaddedElements => RowLayout.PaddedElements(Dimension, Precision);
}
