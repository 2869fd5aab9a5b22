using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>Runs an ONNX model in ONNX Runtime (CPU, full graph optimisation, as the server does).</summary>
public static class OnnxRun
{
    public static IReadOnlyList<FloatTensor> Run(string modelPath, IReadOnlyList<(string Name, FloatTensor Tensor)> inputs, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2 };
        using var session = new InferenceSession(modelPath, options);
        return Run(session, inputs, outputs);
    }

    public static IReadOnlyList<FloatTensor> Run(InferenceSession session, IReadOnlyList<(string Name, FloatTensor Tensor)> inputs, IReadOnlyList<string> outputs)
    {
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Tensor.Values, i.Tensor.Shape.Select(d => (long)d).ToArray())).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, outputs.ToList());
            return results.Select(r => new FloatTensor(
                r.GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray(),
                r.GetTensorDataAsSpan<float>().ToArray())).ToList();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}

/// <summary>The parity criterion: every element within 1e-4 * max(1, |reference|).</summary>
public static class Parity
{
    public const double Tolerance = 1e-4;

    /// <returns>The largest error relative to the allowance (1.0 = at the limit), for reporting.</returns>
    public static double AssertClose(FloatTensor reference, FloatTensor actual, string label)
    {
        Assert.True(reference.Shape.SequenceEqual(actual.Shape),
            $"{label}: shape [{string.Join(",", actual.Shape)}] differs from the reference [{string.Join(",", reference.Shape)}]");
        var worst = 0.0;
        var worstIndex = -1;
        var failures = 0;
        for (var i = 0; i < reference.Values.Length; i++)
        {
            double e = reference.Values[i], a = actual.Values[i];
            var ratio = Math.Abs(a - e) / (Tolerance * Math.Max(1, Math.Abs(e)));
            if (double.IsNaN(ratio) || ratio > 1) failures++;
            if (double.IsNaN(ratio) || ratio > worst)
            {
                worst = double.IsNaN(ratio) ? double.PositiveInfinity : ratio;
                worstIndex = i;
            }
        }
        if (failures > 0)
            Assert.Fail(
            $"{label}: {failures} of {reference.Values.Length} elements differ by more than {Tolerance} x max(1,|ref|); " +
            $"worst at {worstIndex}: onnx {actual.Values[worstIndex]} vs tfjs {reference.Values[worstIndex]}");
        return worst;
    }
}
