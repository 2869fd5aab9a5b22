using System.Runtime.InteropServices;

namespace FaceMatch.Models.Runtime;

/// <summary>
/// Says what is missing when ONNX Runtime's CUDA execution provider does not load. ONNX Runtime reports only the
/// first file the dynamic loader could not open; this looks for the provider beside the libonnxruntime.so the
/// process loaded and tries every CUDA library the provider links, so one message names all that are missing.
/// </summary>
internal static class CudaProviderDiagnosis
{
    public const string RuntimeFile = "libonnxruntime.so";
    public const string ProviderFile = "libonnxruntime_providers_cuda.so";

    /// <summary>
    /// What libonnxruntime_providers_cuda.so of Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 links besides glibc and
    /// libstdc++ (`readelf -d`, NEEDED): CUDA 13's cuBLASLt, cuBLAS, cuRAND and runtime, and the NVIDIA driver.
    /// </summary>
    public static IReadOnlyList<string> CudaLibraries { get; } =
        ["libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10", "libcudart.so.13", "libcuda.so.1"];

    /// <summary>Inspects this process: where ONNX Runtime was loaded from, and which CUDA libraries load.</summary>
    public static string Describe() => Describe(LoadedRuntimeDirectory());

    /// <summary>The same for a runtime in <paramref name="runtimeDirectory"/> (null: not known).</summary>
    internal static string Describe(string? runtimeDirectory)
    {
        if (runtimeDirectory is null || !File.Exists(Path.Combine(runtimeDirectory, ProviderFile)))
            return $"this build has no CUDA execution provider (no {ProviderFile} {(runtimeDirectory is null ? "" : $"in {runtimeDirectory}, ")}beside {RuntimeFile}); " +
                   "build with `make gpu`, which publishes with the Microsoft.ML.OnnxRuntime.Gpu.Linux package";
        var missing = CudaLibraries.Where(library => !CanLoad(library)).ToList();
        if (missing.Count > 0)
            return $"{ProviderFile} needs libraries the loader cannot find: {string.Join(", ", missing.Select(Explain))}; " +
                   "install them (CUDA 13 and the NVIDIA driver) and put their folders on LD_LIBRARY_PATH";
        return $"{ProviderFile} and the CUDA libraries it links all load, so the cause is in ONNX Runtime's message " +
               "(device ordinal, driver version)";
    }

    private static string Explain(string library) => library == "libcuda.so.1" ? library + " (the NVIDIA driver)" : library;

    /// <summary>The folder of the libonnxruntime.so mapped into this process (Linux: /proc/self/maps), or null.</summary>
    internal static string? LoadedRuntimeDirectory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/');
                if (slash < 0) continue;
                var path = line[slash..];
                if (Path.GetFileName(path) == RuntimeFile) return Path.GetDirectoryName(path);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>
    /// Whether the dynamic loader finds <paramref name="library"/> as it would for the provider, which has no RUNPATH:
    /// LD_LIBRARY_PATH, ld.so.cache, the system folders.
    /// </summary>
    private static bool CanLoad(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }
}
