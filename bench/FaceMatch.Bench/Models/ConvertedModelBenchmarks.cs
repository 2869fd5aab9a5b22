using BenchmarkDotNet.Attributes;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Models.Conversion.Tfjs;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Bench.Models;

/// <summary>
/// CPU inference of each converted model (models/ from `make models`) through ONNX Runtime, per
/// call at batch 1 and 8:
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*ConvertedModelBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class ConvertedModelBenchmarks
{
    private InferenceSession _session = null!;
    private OrtValue _input = null!;
    private string _inputName = "";
    private List<string> _outputs = [];

    [Params("blazeface", "facemesh", "antispoof", "liveness", "mobileface")]
    public string Model { get; set; } = "";

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var manifest = ModelManifest.Load(Path.Combine(BenchPaths.RepoRoot, "models", "manifest.json"));
        var entry = manifest.Models.Single(m => m.Id == Model);
        _session = new OnnxSessionFactory(ExecutionDevice.Cpu).Create(entry.ResolvedPath);
        _inputName = entry.Input.Name;
        _outputs = entry.Outputs.Select(o => o.Name).ToList();
        long[] shape = [Batch, .. entry.Input.Shape[1..].Select(d => (long)d)];
        var random = new Random(1);
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 255 - entry.Input.Mean[i % 3]) * entry.Input.Scale[i % 3];
        _input = OrtValue.CreateTensorValueFromMemory(values, shape);
    }

    [Benchmark]
    public float Infer()
    {
        using var options = new RunOptions();
        using var results = _session.Run(options, [_inputName], [_input], _outputs);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _session.Dispose();
    }
}

/// <summary>
/// Conversion cost of one TF.js graph model (parse model.json, decode weights, emit and serialise ONNX):
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*TfjsConversionBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class TfjsConversionBenchmarks
{
    private TfjsModelRecipe _recipe = null!;
    private string _json = "";

    [Params("blazeface", "mobileface")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _recipe = new TfjsModelRecipe(HumanModels.All.Single(s => s.Id == Model));
        _json = _recipe.ModelJsonPath(new FaceMatch.Models.Conversion.ConversionContext(Path.Combine(BenchPaths.RepoRoot, ".deps"), ""));
    }

    [Benchmark]
    public int LoadAndConvert()
    {
        var model = TfjsGraphModel.Load(_json);
        var onnx = TfjsToOnnxConverter.Convert(model, new TfjsConversionOptions
        {
            InputName = _recipe.Spec.InputName,
            Outputs = _recipe.Spec.Outputs.Select(o => new TfjsOutputBinding(o.Tensor, o.Name)).ToList(),
        });
        return Google.Protobuf.MessageExtensions.ToByteArray(onnx).Length;
    }
}
