namespace FaceMatch.Matching.Storage;

/// <summary>Process-wide count of the native bytes every gallery holds, for metrics and limits.</summary>
public static class NativeMemoryLedger
{
    private static long _bytes;

    /// <summary>Native bytes currently allocated by FaceMatch.Matching (all galleries, including retired stores still being read).</summary>
    public static long AllocatedBytes => Interlocked.Read(ref _bytes);

    internal static void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);
}
