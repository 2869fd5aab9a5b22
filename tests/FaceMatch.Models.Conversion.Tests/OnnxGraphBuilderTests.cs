using FaceMatch.Models.Conversion.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FaceMatch.Models.Conversion.Tests;

public class OnnxGraphBuilderTests
{
    [Fact]
    public void BuiltGraphRunsInOnnxRuntimeWithDynamicBatch()
    {
        // y = relu(x * w + b) over a [batch, 3] input: exercises inputs, initializers, attributes-free ops and outputs.
        var g = new OnnxGraphBuilder("tiny");
        var x = g.AddInput("x", TensorProto.Types.DataType.Float, [null, 3]);
        var w = g.AddInitializer("w", [2f, -1f, 0.5f], [3]);
        var b = g.AddInitializer("b", [1f, 1f, -4f], [3]);
        var scaled = g.AddNode("Mul", [x, w]);
        var shifted = g.AddNode("Add", [scaled, b]);
        var y = g.AddNode("Relu", [shifted], "y");
        g.AddOutput(y, TensorProto.Types.DataType.Float, [null, 3]);

        using var session = new InferenceSession(g.Build("test").ToByteArray());
        float[] input = [1, 2, 3, -1, -2, 10];
        using var value = OrtValue.CreateTensorValueFromMemory(input, [2, 3]);
        using var results = session.Run(new RunOptions(), ["x"], [value], ["y"]);
        var output = results[0].GetTensorDataAsSpan<float>().ToArray();

        float[] expected = [3, 0, 0, 0, 3, 1];
        Assert.Equal(expected, output);
    }

    [Fact]
    public void UniqueNamesNeverCollide()
    {
        var g = new OnnxGraphBuilder("names");
        var names = Enumerable.Range(0, 5).Select(_ => g.UniqueName("conv")).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal("conv", names[0]);
    }

    [Fact]
    public void ReservedNamesAreLeftForTheirNamedNode()
    {
        var g = new OnnxGraphBuilder("reserved");
        g.ReserveName("out");
        Assert.Equal("out_1", g.UniqueName("out"));
        var x = g.AddInput("x", TensorProto.Types.DataType.Float, [null, 2]);
        var relu = g.AddNode("Relu", [x], "out");
        Assert.NotEqual("out", relu);
        Assert.Equal("out", g.AddNamedNode("Identity", [relu], "out"));
        Assert.Throws<InvalidOperationException>(() => g.AddNamedNode("Identity", [relu], "out"));
        g.AddOutput("out", TensorProto.Types.DataType.Float, [null, 2]);

        using var session = new InferenceSession(g.Build("test").ToByteArray());
        using var value = OrtValue.CreateTensorValueFromMemory(new float[] { -1, 2 }, [1, 2]);
        using var results = session.Run(new RunOptions(), ["x"], [value], ["out"]);
        Assert.Equal([0f, 2f], results[0].GetTensorDataAsSpan<float>().ToArray());
    }
}
