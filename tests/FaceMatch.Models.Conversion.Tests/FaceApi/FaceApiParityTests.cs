using FaceMatch.Models.Conversion.FaceApi;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace FaceMatch.Models.Conversion.Tests.FaceApi;

/// <summary>
/// Each converted net, run in ONNX Runtime, against face-api.js itself on the identical input batch
/// (seeded random 0..255 tensors and a real face from demo/sample1.jpg): every output element must
/// satisfy |onnx - faceapi| &lt;= 1e-4 * max(1, |faceapi|).
/// </summary>
public sealed class FaceApiParityTests(FaceApiParityFixture fixture, ITestOutputHelper output) : IClassFixture<FaceApiParityFixture>
{
    private const double RelativeTolerance = 1e-4;

    [Fact]
    public void RecognitionNetMatchesFaceApiComputeFaceDescriptor() =>
        AssertParity(new FaceApiRecognitionRecipe(), "recognition", ["descriptor"]);

    [Fact]
    public void SsdMobilenetV1MatchesFaceApiBoxesAndScoresBeforeNms() =>
        AssertParity(new FaceApiSsdMobilenetV1Recipe(), "ssd", ["boxes", "scores"]);

    [Fact]
    public void Landmark68NetMatchesFaceApiRunNet() =>
        AssertParity(new FaceApiLandmark68Recipe(), "landmarks", ["landmarks"]);

    private void AssertParity(FaceApiRecipe recipe, string net, string[] outputNames)
    {
        var entry = fixture.Convert(recipe);
        var run = fixture.Reference[net];
        Assert.Equal(entry.Input.Shape.Skip(1), run.Input.Shape.Skip(1));
        Assert.Equal(outputNames, entry.Outputs.Select(o => o.Name));

        using var session = new InferenceSession(fixture.PathOf(entry));
        using var input = OrtValue.CreateTensorValueFromMemory(run.Input.Data, run.Input.LongShape);
        using var results = session.Run(new RunOptions(), [entry.Input.Name], [input], outputNames);
        for (var k = 0; k < outputNames.Length; k++)
        {
            var expected = run.Outputs[outputNames[k]];
            var actualShape = results[k].GetTensorTypeAndShape().Shape;
            Assert.Equal(expected.LongShape, actualShape);
            var actual = results[k].GetTensorDataAsSpan<float>();
            var report = ParityReport.Compare(expected.Data, actual, RelativeTolerance);
            output.WriteLine($"{recipe.Id}/{outputNames[k]} vs face-api ({fixture.Reference.Backend}): {report}");
            Assert.True(report.Violations == 0, $"{recipe.Id}/{outputNames[k]}: {report}");
            AssertBatchItemsDiffer(expected, outputNames[k]);
        }
    }

    /// <summary>Guards against a degenerate reference (e.g. all zeros) that any broken graph could also match.</summary>
    private static void AssertBatchItemsDiffer(FaceApiReference.Tensor t, string name)
    {
        var per = t.Data.Length / t.Shape[0];
        var first = t.Data.AsSpan(0, per);
        var last = t.Data.AsSpan(t.Data.Length - per, per);
        Assert.False(first.SequenceEqual(last), $"{name}: the reference gives identical outputs for a random tensor and the real face");
        Assert.Contains(t.Data, v => v != 0);
    }
}

/// <summary>The worst deviations of one output from its reference.</summary>
public readonly record struct ParityReport(double MaxAbs, double MaxScaled, int WorstIndex, float WorstExpected, float WorstActual, int Violations, int Count)
{
    /// <summary>Compares element by element; "scaled" is |a - e| / max(1, |e|), the quantity held to the tolerance.</summary>
    public static ParityReport Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        if (expected.Length != actual.Length)
            throw new ArgumentException($"{actual.Length} values vs {expected.Length} expected");
        double maxAbs = 0, maxScaled = 0;
        int worst = 0, violations = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            var abs = Math.Abs(a - e);
            if (double.IsNaN(abs)) abs = double.PositiveInfinity;
            var scaled = abs / Math.Max(1.0, Math.Abs(e));
            if (abs > maxAbs) maxAbs = abs;
            if (scaled > maxScaled) { maxScaled = scaled; worst = i; }
            if (!(scaled <= tolerance)) violations++;
        }
        return new ParityReport(maxAbs, maxScaled, worst, expected.Length > 0 ? expected[worst] : 0, actual.Length > 0 ? actual[worst] : 0, violations, expected.Length);
    }

    public override string ToString() =>
        $"max |diff| {MaxAbs:E3}, max scaled {MaxScaled:E3} at [{WorstIndex}] (expected {WorstExpected:G9}, got {WorstActual:G9}), {Violations}/{Count} over tolerance";
}
