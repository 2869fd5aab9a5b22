using FaceMatch.Models.Conversion.Tfjs;
using Google.Protobuf;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>
/// Every op the converter handles, on small synthetic graphs: converted to ONNX and run in ONNX
/// Runtime, against TensorFlow.js on the same seeded batch of two inputs.
/// </summary>
[Collection(TfjsReferenceCollection.Name)]
public class OpParityTests(TfjsReference tfjs)
{
    public static TheoryData<string> Cases => new(OpCases.All.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void OpMatchesTfjs(string name)
    {
        var testCase = OpCases.All[name];
        var seed = name.Aggregate(17, (h, ch) => unchecked(h * 31 + ch));
        var writer = new TfjsGraphWriter();
        writer.Placeholder("x", [-1, .. testCase.ItemShape]);
        var outputs = testCase.Build(new OpGraph(writer, new Random(seed)));
        var dir = Path.Combine(tfjs.WorkDir, "ops", name);
        var json = writer.Save(dir);

        var onnxNames = outputs.Select((_, i) => $"out{i}").ToList();
        var model = TfjsToOnnxConverter.Convert(TfjsGraphModel.Load(json), new TfjsConversionOptions
        {
            GraphName = name,
            InputName = "x",
            Outputs = outputs.Select((o, i) => new TfjsOutputBinding(o, onnxNames[i])).ToList(),
        });
        var onnxPath = Path.Combine(dir, "model.onnx");
        File.WriteAllBytes(onnxPath, model.ToByteArray());

        var random = new Random(seed + 1);
        var count = 2 * (int)testCase.ItemShape.Aggregate(1L, (a, b) => a * b);
        var input = new FloatTensor([2, .. testCase.ItemShape.Select(d => (int)d)],
            Enumerable.Range(0, count).Select(_ => (float)(testCase.Low + random.NextDouble() * (testCase.High - testCase.Low))).ToArray());

        var reference = tfjs.Run(json, [("x", input)], outputs);
        var actual = OnnxRun.Run(onnxPath, [("x", input)], onnxNames);
        for (var o = 0; o < outputs.Length; o++)
            Parity.AssertClose(reference[o], actual[o], $"{name}: {outputs[o]}");
    }
}
