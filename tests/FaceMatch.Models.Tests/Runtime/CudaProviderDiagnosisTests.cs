using System.Runtime.InteropServices;
using FaceMatch.Models.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Models.Tests.Runtime;

/// <summary>The reason given when FACEMATCH_DEVICE=cuda cannot be honoured.</summary>
public sealed class CudaProviderDiagnosisTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-cuda-diagnosis").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheCpuBuildIsToldToBuildWithMakeGpu()
    {
        using var options = new SessionOptions(); // loads libonnxruntime.so
        var runtime = CudaProviderDiagnosis.LoadedRuntimeDirectory();
        Assert.NotNull(runtime);
        Assert.True(File.Exists(Path.Combine(runtime, CudaProviderDiagnosis.RuntimeFile)), runtime);

        // The tests build against the CPU package, which has no CUDA provider.
        var message = CudaProviderDiagnosis.Describe();
        Assert.Contains($"no {CudaProviderDiagnosis.ProviderFile} in {runtime}", message);
        Assert.Contains("make gpu", message);
    }

    [Fact]
    public void WithTheProviderPresentEveryCudaLibraryTheLoaderCannotFindIsNamed()
    {
        // Stands in for the GPU build's folder: only the provider's presence matters before the libraries are tried.
        File.WriteAllBytes(Path.Combine(_dir, CudaProviderDiagnosis.ProviderFile), []);
        var message = CudaProviderDiagnosis.Describe(_dir);
        Assert.DoesNotContain("make gpu", message);
        foreach (var library in CudaProviderDiagnosis.CudaLibraries)
        {
            var loads = NativeLibrary.TryLoad(library, out var handle);
            if (loads) NativeLibrary.Free(handle);
            Assert.True(loads != message.Contains(library), $"{library} (loads: {loads}) in: {message}");
        }
        if (CudaProviderDiagnosis.CudaLibraries.Any(message.Contains)) Assert.Contains("LD_LIBRARY_PATH", message);
    }
}
