using System.Runtime.InteropServices;
using FaceMatch.Matching.Kernels;

namespace FaceMatch.Matching.Storage;

/// <summary>
/// A 64-byte-aligned block of native memory (NativeMemory.AlignedAlloc), outside the GC heap so a large gallery
/// never moves, never fragments the large-object heap and is read with plain pointers. Memory is not
/// zeroed up front (pages are committed as rows are written); writers zero any padding they leave.
/// </summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    private byte* _data;

    public AlignedBuffer(long bytes)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        Length = Math.Max(bytes, RowLayout.Alignment);
        try
        {
            _data = (byte*)NativeMemory.AlignedAlloc((nuint)Length, RowLayout.Alignment);
        }
        catch (OutOfMemoryException)
        {
            throw new InsufficientMemoryException($"could not allocate {Length} bytes of native memory for a gallery matrix");
        }
        NativeMemoryLedger.Add(Length);
    }

    public long Length { get; }

    public byte* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(AlignedBuffer));

    public void Dispose()
    {
        var p = _data;
        if (p == null) return;
        _data = null;
        NativeMemory.AlignedFree(p);
        NativeMemoryLedger.Add(-Length);
    }
}
