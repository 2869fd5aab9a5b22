using FaceMatch.Matching.Kernels;
using FaceMatch.Matching.Storage;

namespace FaceMatch.Matching.Gpu;

/// <summary>
/// A gallery's float32 matrix on the GPU, kept in step with the CPU store: a new store generation (growth,
/// compaction) re-uploads everything; rows appended since the last search are uploaded incrementally (rows never
/// change once written); tombstones are re-sent when their count has changed. One search at a time.
/// </summary>
/// <remarks>UNTESTED ON HARDWARE.</remarks>
internal sealed unsafe class CudaMirror : IDisposable
{
    private readonly object _lock = new();
    private nint _handle;
    private long _generation = -1;
    private int _capacity, _stride, _uploadedRows, _deadSent = -1, _deadRowsSent;

    public (float Score, int Row)[][] Search(RowStore store, long generation, int rows, float[] normalized, int queryCount, int k, float minScore)
    {
        var lib = CudaLibrary.Instance
            ?? throw new NotSupportedException($"CUDA search selected but not available: {CudaLibrary.LoadError}");
        if (k > CudaLibrary.MaxK)
            throw new NotSupportedException($"the CUDA path supports k up to {CudaLibrary.MaxK}; {k} was asked for");
        lock (_lock)
        {
            int stride = store.Float32Stride / sizeof(float);
            if (_handle == 0 || generation != _generation || store.Capacity > _capacity || stride != _stride)
            {
                Free(lib);
                nint handle;
                lib.Check(lib.GalleryCreate(0, stride, store.Capacity, &handle), "gallery allocation");
                (_handle, _generation, _capacity, _stride, _uploadedRows, _deadSent, _deadRowsSent) =
                    (handle, generation, store.Capacity, stride, 0, -1, 0);
            }
            if (rows > _uploadedRows)
            {
                lib.Check(lib.GalleryUpload(_handle, _uploadedRows, rows - _uploadedRows, store.Float32Row(_uploadedRows)), "row upload");
                _uploadedRows = rows;
            }
            int dead = store.DeadCount;
            if (dead != _deadSent || rows != _deadRowsSent)
            {
                fixed (byte* flags = store.DeadFlags)
                    lib.Check(lib.GallerySetDead(_handle, 0, rows, flags), "tombstone upload");
                (_deadSent, _deadRowsSent) = (dead, rows);
            }

            int dim = store.Dimension;
            var padded = new float[queryCount * stride];
            for (int q = 0; q < queryCount; q++)
                normalized.AsSpan(q * dim, dim).CopyTo(padded.AsSpan(q * stride, dim));
            var scores = new float[queryCount * k];
            var hitRows = new int[queryCount * k];
            fixed (float* pq = padded)
            fixed (float* ps = scores)
            fixed (int* pr = hitRows)
                lib.Check(lib.Search(_handle, rows, pq, queryCount, k, ps, pr), "search");

            var results = new (float, int)[queryCount][];
            for (int q = 0; q < queryCount; q++)
            {
                var list = new List<(float, int)>(k);
                for (int i = 0; i < k; i++)
                {
                    int row = hitRows[q * k + i];
                    float s = scores[q * k + i];
                    if (row >= 0 && s >= minScore) list.Add((s, row));
                }
                results[q] = list.ToArray();
            }
            return results;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (CudaLibrary.Instance is { } lib) Free(lib);
        }
    }

    private void Free(CudaLibrary lib)
    {
        if (_handle == 0) return;
        lib.GalleryDestroy(_handle);
        _handle = 0;
    }
}
