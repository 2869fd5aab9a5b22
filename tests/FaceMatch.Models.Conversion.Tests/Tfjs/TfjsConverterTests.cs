using FaceMatch.Models.Conversion.Tfjs;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>Converter behaviour that needs no reference runtime: weight decoding, errors, graph shape.</summary>
public sealed class TfjsConverterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "facematch-tfjs-unit-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void QuantisedWeightsDecodeAsValueTimesScalePlusMin()
    {
        var w = new TfjsGraphWriter();
        float[] values = [-1f, -0.25f, 0.5f, 2f];
        w.Const("u8", values, [4], "uint8");
        w.Const("u16", values, [4], "uint16");
        w.Const("f16", [0.1f, -3.5f, 65504f, 1e-5f], [4], "float16");
        w.Const("f32", values, [2, 2]);
        var model = TfjsGraphModel.Load(w.Save(_dir));

        // uint8 over [-1, 2]: scale 3/255, so the grid points -1 and 2 are exact and the others round to a level.
        var u8 = model.Weights["u8"].Floats!;
        Assert.Equal(-1f, u8[0]);
        Assert.Equal(2f, u8[3], 6);
        Assert.InRange(Math.Abs(u8[1] - -0.25f), 0, 3.0 / 255 / 2 + 1e-7);
        var u16 = model.Weights["u16"].Floats!;
        Assert.InRange(Math.Abs(u16[2] - 0.5f), 0, 3.0 / 65535 / 2 + 1e-7);
        // float16 widens exactly: the value is the nearest half, not the original float.
        Assert.Equal([(float)(Half)0.1f, -3.5f, 65504f, (float)(Half)1e-5f], model.Weights["f16"].Floats!);
        Assert.Equal([2L, 2L], model.Weights["f32"].Shape);
        Assert.Equal(values, model.Weights["f32"].Floats!);
    }

    [Fact]
    public void ShardsShorterThanTheManifestAreRejected()
    {
        var w = new TfjsGraphWriter();
        w.Const("a", new float[16], [16]);
        var json = w.Save(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "weights.bin"), new byte[10]);
        var e = Assert.Throws<TfjsFormatException>(() => TfjsGraphModel.Load(json));
        Assert.Contains("runs past the end", e.Message);
    }

    [Fact]
    public void WeightPathsMayNotLeaveTheModelFolder()
    {
        var json = new TfjsGraphWriter().Save(_dir);
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"weights.bin\"", "\"../../etc/passwd\""));
        var e = Assert.Throws<TfjsFormatException>(() => TfjsGraphModel.Load(json));
        Assert.Contains("leaves the model folder", e.Message);
    }

    [Fact]
    public void UnsupportedOpsAreAllNamedInOneError()
    {
        var w = new TfjsGraphWriter();
        w.Placeholder("x", -1, 4);
        w.Op("Relu", "r", ["x"]);
        w.Op("NonMaxSuppressionV5", "nms", ["r"]);
        w.Op("Einsum", "e", ["nms"]);
        var model = TfjsGraphModel.Load(w.Save(_dir));
        var e = Assert.Throws<TfjsFormatException>(() =>
            TfjsToOnnxConverter.Convert(model, new TfjsConversionOptions { Outputs = [new("e", "out")] }));
        Assert.Contains("Einsum, NonMaxSuppressionV5", e.Message);
    }

    [Fact]
    public void AReshapeThatMixesTheBatchIsRefusedWithTheReason()
    {
        var w = new TfjsGraphWriter();
        w.Placeholder("x", 1, 4, 4, 3);
        w.Op("Reshape", "flat", ["x", w.Ints("shape", 4, 12)]);
        var model = TfjsGraphModel.Load(w.Save(_dir));
        var e = Assert.Throws<TfjsFormatException>(() =>
            TfjsToOnnxConverter.Convert(model, new TfjsConversionOptions { Outputs = [new("flat", "out")] }));
        Assert.Contains("mixes the batch dimension", e.Message);
        Assert.Contains("flat", e.Message);
    }

    [Fact]
    public void AFixedBatchOfOneBecomesDynamicThroughReshapes()
    {
        // Like BlazeFace: the placeholder and the reshape both say batch 1.
        var w = new TfjsGraphWriter();
        w.Placeholder("x", 1, 4, 4, 2);
        w.Op("Reshape", "flat", ["x", w.Ints("shape", 1, 16, 2)]);
        var path = Path.Combine(_dir, "m.onnx");
        var model = TfjsToOnnxConverter.Convert(TfjsGraphModel.Load(w.Save(_dir)),
            new TfjsConversionOptions { InputName = "input", Outputs = [new("flat", "out")] });
        File.WriteAllBytes(path, model.ToByteArray());

        Assert.Equal("batch", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("batch", model.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
        var input = new FloatTensor([3, 4, 4, 2], Enumerable.Range(0, 96).Select(i => (float)i).ToArray());
        var output = OnnxRun.Run(path, [("input", input)], ["out"])[0];
        Assert.Equal([3, 16, 2], output.Shape);
        Assert.Equal(input.Values, output.Values);
    }

    [Fact]
    public void ConvertedBlazeFaceKeepsTransposesAtTheEdgesOnly()
    {
        // The body runs NCHW; NHWC is restored only where the graph needs it (its reshaped outputs).
        var spec = ConvertedModels.Spec("blazeface");
        var model = TfjsToOnnxConverter.Convert(TfjsGraphModel.Load(ConvertedModels.SourceJson("blazeface")), new TfjsConversionOptions
        {
            InputName = spec.InputName,
            Outputs = spec.Outputs.Select(o => new TfjsOutputBinding(o.Tensor, o.Name)).ToList(),
        });
        var transposes = model.Graph.Node.Count(n => n.OpType == "Transpose");
        var convs = model.Graph.Node.Count(n => n.OpType == "Conv");
        Assert.Equal(69, convs);
        Assert.Equal(1 + 4, transposes);
    }

    [Fact]
    public void SamePaddingPutsTheOddPixelAtTheEnd()
    {
        var w = new TfjsGraphWriter();
        w.Placeholder("x", -1, 6, 5, 1);
        w.Op("Conv2D", "c", ["x", w.Const("f", new float[9], [3, 3, 1, 1])], a => a.Window("SAME", 2, 2));
        var model = TfjsToOnnxConverter.Convert(TfjsGraphModel.Load(w.Save(_dir)), new TfjsConversionOptions { Outputs = [new("c", "out")] });
        var conv = model.Graph.Node.Single(n => n.OpType == "Conv");
        // H 6, stride 2: out 3, total pad 1 -> (0, 1). W 5: out 3, total pad 2 -> (1, 1).
        Assert.Equal([0L, 1L, 1L, 1L], conv.Attribute.Single(a => a.Name == "pads").Ints);
        var output = model.Graph.Output.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue).Skip(1);
        Assert.Equal([3L, 3L, 1L], output);
    }
}
