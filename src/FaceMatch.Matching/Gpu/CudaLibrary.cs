using System.Reflection;
using System.Runtime.InteropServices;

namespace FaceMatch.Matching.Gpu;

/// <summary>
/// libfacematch_cuda.so (native/cuda), loaded on first use if it is there. Entry points are bound as unmanaged
/// function pointers so that a missing library is an ordinary "not available" answer, never a load-time crash.
/// </summary>
/// <remarks>UNTESTED ON HARDWARE: the library could not be built or run where this was written (no nvcc, no GPU).</remarks>
internal sealed unsafe class CudaLibrary
{
    public const int MaxK = 1024; // FM_CUDA_MAX_K
    private const string FileName = "libfacematch_cuda.so";

    private static readonly Lazy<(CudaLibrary? Library, string? Error)> Loaded = new(Load);

    public static CudaLibrary? Instance => Loaded.Value.Library;
    public static string? LoadError => Loaded.Value.Error;

    public delegate* unmanaged<int*, int> DeviceCount { get; private init; }
    public delegate* unmanaged<byte*> LastErrorPtr { get; private init; }
    public delegate* unmanaged<int, int, int, nint*, int> GalleryCreate { get; private init; }
    public delegate* unmanaged<nint, void> GalleryDestroy { get; private init; }
    public delegate* unmanaged<nint, int, int, float*, int> GalleryUpload { get; private init; }
    public delegate* unmanaged<nint, int, int, byte*, int> GallerySetDead { get; private init; }
    public delegate* unmanaged<nint, int, float*, int, int, float*, int*, int> Search { get; private init; }

    public string LastError() => Marshal.PtrToStringUTF8((nint)LastErrorPtr()) ?? "unknown CUDA error";

    /// <summary>Throws with the library's own message if <paramref name="code"/> is an error.</summary>
    public void Check(int code, string what)
    {
        if (code != 0) throw new InvalidOperationException($"CUDA {what} failed ({code}): {LastError()}");
    }

    private static (CudaLibrary?, string?) Load()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("FACEMATCH_CUDA_LIBRARY") is { Length: > 0 } explicitPath) candidates.Add(explicitPath);
        candidates.Add(Path.Combine(AppContext.BaseDirectory, FileName));
        candidates.Add(FileName); // LD_LIBRARY_PATH and the system search path
        string? lastError = null;
        foreach (var path in candidates)
        {
            if (!NativeLibrary.TryLoad(path, typeof(CudaLibrary).Assembly, DllImportSearchPath.SafeDirectories, out var handle))
            {
                lastError = $"{FileName} not found (looked at {string.Join(", ", candidates)})";
                continue;
            }
            try
            {
                var lib = new CudaLibrary
                {
                    DeviceCount = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "fm_cuda_device_count"),
                    LastErrorPtr = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(handle, "fm_cuda_last_error"),
                    GalleryCreate = (delegate* unmanaged<int, int, int, nint*, int>)NativeLibrary.GetExport(handle, "fm_cuda_gallery_create"),
                    GalleryDestroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(handle, "fm_cuda_gallery_destroy"),
                    GalleryUpload = (delegate* unmanaged<nint, int, int, float*, int>)NativeLibrary.GetExport(handle, "fm_cuda_gallery_upload"),
                    GallerySetDead = (delegate* unmanaged<nint, int, int, byte*, int>)NativeLibrary.GetExport(handle, "fm_cuda_gallery_set_dead"),
                    Search = (delegate* unmanaged<nint, int, float*, int, int, float*, int*, int>)NativeLibrary.GetExport(handle, "fm_cuda_search"),
                };
                int count = 0;
                if (lib.DeviceCount(&count) != 0 || count <= 0)
                    return (null, $"{path} loaded but no CUDA device is usable: {lib.LastError()}");
                return (lib, null);
            }
            catch (EntryPointNotFoundException e)
            {
                return (null, $"{path} is not a FaceMatch CUDA library: {e.Message}");
            }
        }
        return (null, lastError);
    }
}

/// <summary>Whether searches can run with <see cref="Galleries.SearchDevice.Cuda"/> here, and why not.</summary>
public static class CudaSupport
{
    public static bool IsAvailable => CudaLibrary.Instance != null;

    /// <summary>Why CUDA cannot be used (library missing, no device), or null if it can.</summary>
    public static string? UnavailableReason => CudaLibrary.LoadError;
}
