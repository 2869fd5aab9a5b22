namespace FaceMatch.Models.Runtime;

/// <summary>Where ONNX Runtime executes: the CPU, or a CUDA device by ordinal.</summary>
public readonly record struct ExecutionDevice(bool IsCuda, int DeviceId)
{
    public const string Variable = "FACEMATCH_DEVICE";
    public static readonly ExecutionDevice Cpu = new(false, 0);

    /// <summary>Parses FACEMATCH_DEVICE: "cpu" (default), "cuda" or "cuda:N".</summary>
    public static ExecutionDevice Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Equals("cpu", StringComparison.OrdinalIgnoreCase))
            return Cpu;
        var t = text.Trim().ToLowerInvariant();
        if (t == "cuda") return new(true, 0);
        if (t.StartsWith("cuda:") && int.TryParse(t.AsSpan(5), out var id) && id >= 0) return new(true, id);
        throw new ArgumentException($"{Variable}='{text}' is not understood: use cpu, cuda or cuda:N");
    }

    public static ExecutionDevice FromEnvironment() => Parse(Environment.GetEnvironmentVariable(Variable));

    public override string ToString() => IsCuda ? $"cuda:{DeviceId}" : "cpu";
}
