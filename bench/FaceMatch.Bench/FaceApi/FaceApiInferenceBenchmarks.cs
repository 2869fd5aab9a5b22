using BenchmarkDotNet.Attributes;
using FaceMatch.Models.Conversion;
using FaceMatch.Models.Conversion.FaceApi;
using FaceMatch.Models.Manifest;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Bench.FaceApi;

/// <summary>
/// ONNX Runtime (CPU) latency of the converted face-api.js nets, converted in setup from the
/// pinned package with the same recipes `make models` runs.
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*FaceApiInference*' --job short
/// </summary>
[MemoryDiagnoser]
public class FaceApiInferenceBenchmarks
{
    private string _dir = "";
    private readonly Dictionary<string, (InferenceSession Session, ModelEntry Entry, OrtValue Input)> _nets = [];
    private RunOptions _runOptions = null!;

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var deps = Path.Combine(BenchPaths.RepoRoot, ".deps");
        _runOptions = new RunOptions();
        _dir = Directory.CreateTempSubdirectory("facematch-bench-faceapi-").FullName;
        FaceApiRecipe[] recipes = [new FaceApiRecognitionRecipe(), new FaceApiSsdMobilenetV1Recipe(), new FaceApiLandmark68Recipe()];
        foreach (var recipe in recipes)
        {
            var entry = recipe.Convert(new ConversionContext(deps, _dir));
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            var shape = entry.Input.Shape;
            // A fixed pseudo-image, made once so the timing is the inference alone.
            var input = new float[Batch * shape[1] * shape[2] * shape[3]];
            for (var i = 0; i < input.Length; i++) input[i] = (i * 7919) % 256;
            var value = OrtValue.CreateTensorValueFromMemory(input, [Batch, shape[1], shape[2], shape[3]]);
            _nets[recipe.Id] = (new InferenceSession(Path.Combine(_dir, entry.File), options), entry, value);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (session, _, input) in _nets.Values) { session.Dispose(); input.Dispose(); }
        _nets.Clear();
        _runOptions.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public float Recognition() => Run(FaceApiRecognitionRecipe.ModelId);

    [Benchmark]
    public float SsdMobilenetV1() => Run(FaceApiSsdMobilenetV1Recipe.ModelId);

    [Benchmark]
    public float Landmark68() => Run(FaceApiLandmark68Recipe.ModelId);

    private float Run(string id)
    {
        var (session, entry, input) = _nets[id];
        using var results = session.Run(_runOptions, [entry.Input.Name], [input], [entry.Outputs[0].Name]);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }
}
