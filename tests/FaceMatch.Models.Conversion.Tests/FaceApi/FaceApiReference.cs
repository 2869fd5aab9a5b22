using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using FaceMatch.Tests;

namespace FaceMatch.Models.Conversion.Tests.FaceApi;

/// <summary>
/// Runs face-api.js itself (tests/parity/faceapi/reference.js in Node, @vladmandic/face-api on the
/// tfjs wasm backend) once for all nets, on seeded random inputs plus the largest face of
/// demo/sample1.jpg, and keeps what it computed: the exact input batch each net ran on and its outputs.
/// </summary>
public sealed class FaceApiReference : IDisposable
{
    public const int Seed = 20240611;
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Net name in reference.js -> (input size, how many random inputs go before the real one).</summary>
    public static readonly IReadOnlyDictionary<string, (int Size, int RandomCount)> Nets = new Dictionary<string, (int, int)>
    {
        ["recognition"] = (150, 2),
        ["ssd"] = (512, 1),
        ["landmarks"] = (112, 2),
    };

    public string WorkDir { get; }
    public string Backend { get; }
    private readonly Dictionary<string, NetRun> _runs = [];

    public FaceApiReference()
    {
        WorkDir = Directory.CreateTempSubdirectory("facematch-faceapi-parity-").FullName;
        var parityDir = Path.Combine(TestPaths.RepoRoot, "tests", "parity", "faceapi");
        if (!Directory.Exists(Path.Combine(parityDir, "node_modules", "@vladmandic", "face-api")))
            throw new InvalidOperationException(
                $"face-api reference dependencies missing in {parityDir}/node_modules: run `make parity-faceapi-deps`");

        var random = new Random(Seed);
        var nets = new List<object>();
        foreach (var (net, (size, count)) in Nets)
        {
            var values = new float[count * size * size * 3];
            for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 255.0);
            var file = Path.Combine(WorkDir, $"{net}-random.bin");
            File.WriteAllBytes(file, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
            nets.Add(new { net, input = file, count });
        }
        var request = new
        {
            modelDir = Path.Combine(TestPaths.Deps, "face-api", "package", "model"),
            outDir = WorkDir,
            image = SampleImage,
            // wasm (default) or cpu: tfjs's pure-JS backend, much slower, for cross-checking the deviations.
            backend = Environment.GetEnvironmentVariable("FACEMATCH_FACEAPI_BACKEND") ?? "wasm",
            nets,
        };
        var requestFile = Path.Combine(WorkDir, "request.json");
        File.WriteAllText(requestFile, JsonSerializer.Serialize(request));
        RunNode(parityDir, requestFile);

        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(WorkDir, "result.json")));
        Backend = result.RootElement.GetProperty("backend").GetString()!;
        foreach (var net in result.RootElement.GetProperty("nets").EnumerateObject())
        {
            var inputShape = Shape(net.Value.GetProperty("inputShape"));
            var outputs = net.Value.GetProperty("outputs").EnumerateObject().ToDictionary(
                o => o.Name,
                o => new Tensor(Shape(o.Value), ReadFloats(Path.Combine(WorkDir, $"{net.Name}-{o.Name}.bin"))));
            _runs[net.Name] = new NetRun(new Tensor(inputShape, ReadFloats(Path.Combine(WorkDir, $"{net.Name}-input.bin"))), outputs);
        }
    }

    public static string SampleImage => Path.Combine(TestPaths.Deps, "face-api", "package", "demo", "sample1.jpg");

    public NetRun this[string net] => _runs[net];

    public void Dispose()
    {
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { }
    }

    private static void RunNode(string workingDir, string requestFile)
    {
        var psi = new ProcessStartInfo("node", ["reference.js", requestFile])
        {
            WorkingDirectory = workingDir,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(NodeTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"face-api reference did not finish within {NodeTimeout}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"face-api reference failed (exit {process.ExitCode}): {stderr.Result}{stdout.Result}");
    }

    private static int[] Shape(JsonElement e) => e.EnumerateArray().Select(d => d.GetInt32()).ToArray();

    private static float[] ReadFloats(string file) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(file)).ToArray();

    public sealed record Tensor(int[] Shape, float[] Data)
    {
        public long[] LongShape => Shape.Select(d => (long)d).ToArray();
    }

    public sealed record NetRun(Tensor Input, IReadOnlyDictionary<string, Tensor> Outputs);
}
