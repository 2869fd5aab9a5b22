using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Models.Runtime;

/// <summary>Creates ONNX Runtime sessions on the configured device, with one place for the options.</summary>
/// <param name="profilePrefix">when set, sessions write ONNX Runtime's profile (each node's run, with the execution
/// provider that ran it) to files starting with this path; for benchmarks that must show where the work ran.</param>
public sealed class OnnxSessionFactory(ExecutionDevice device, int intraOpThreads = 0, string? profilePrefix = null)
{
    public ExecutionDevice Device { get; } = device;

    public InferenceSession Create(string modelPath)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"model file not found: {modelPath}", modelPath);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (intraOpThreads > 0) options.IntraOpNumThreads = intraOpThreads;
        // Each session has its own intra-op pool; by default its threads spin after a run, and with
        // several models on few cores that spinning starves the threads that carry a frame to its
        // next stage.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (profilePrefix is not null)
        {
            // The prefix first: enabling profiling hands ONNX Runtime the prefix set at that moment.
            options.ProfileOutputPathPrefix = profilePrefix;
            options.EnableProfiling = true;
        }
        if (Device.IsCuda)
        {
            try
            {
                options.AppendExecutionProvider_CUDA(Device.DeviceId);
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                throw new InvalidOperationException(
                    $"FACEMATCH_DEVICE={Device} but ONNX Runtime's CUDA execution provider could not be loaded: " +
                    $"{CudaProviderDiagnosis.Describe()}. ONNX Runtime says: {e.Message}", e);
            }
        }
        return new InferenceSession(modelPath, options);
    }
}
