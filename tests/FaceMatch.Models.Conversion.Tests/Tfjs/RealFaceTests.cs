using FaceMatch.Models.Manifest;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>
/// The converted models, fed the way their manifest entries say, behave as documented on a real
/// photo: this checks the recorded normalisation and output meanings, not just numerical parity.
/// </summary>
[Collection(TfjsReferenceCollection.Name)]
public class RealFaceTests(TfjsReference tfjs)
{
    private FloatTensor Input(ModelEntry entry, params (double, double, double, double)[] boxes) =>
        ConvertedModels.Normalise(
            FloatTensor.Concat(boxes.Select(b => tfjs.Crop(ConvertedModels.SamplePhoto, b, entry.Input.Shape[1], entry.Input.Shape[2])).ToArray()),
            entry.Input);

    [Fact]
    public void BlazeFaceFindsTheFaceWhereItIsUsingTheDocumentedAnchors()
    {
        var entry = ConvertedModels.Entry("blazeface");
        var outputs = OnnxRun.Run(entry.ResolvedPath, [(entry.Input.Name, Input(entry, ConvertedModels.RightFaceContext))],
            ["scores_16", "regressors_16", "scores_8", "regressors_8"]);

        // Decode the best anchor as the manifest describes: grid cell centre + regressed offset.
        var best = (Logit: float.MinValue, Grid: 0, Index: 0);
        for (var g = 0; g < 2; g++)
            for (var i = 0; i < outputs[2 * g].Values.Length; i++)
                if (outputs[2 * g].Values[i] > best.Logit) best = (outputs[2 * g].Values[i], g, i);
        var (stride, perCell) = best.Grid == 0 ? (16, 2) : (32, 6);
        var cell = best.Index / perCell;
        var anchorX = (cell % (256 / stride) + 0.5) * stride;
        var anchorY = (cell / (256 / stride) + 0.5) * stride;
        var r = outputs[2 * best.Grid + 1].Values.AsSpan(best.Index * 16, 16);
        var probability = 1 / (1 + Math.Exp(-best.Logit));

        Assert.True(probability > 0.9, $"face probability {probability:F3}");
        // The face centre in the 640 px context square, scaled to 256: (1575-1255, 325-10) * 0.4 = (128, 126).
        Assert.InRange(anchorX + r[0], 118, 138);
        Assert.InRange(anchorY + r[1], 116, 140);
        Assert.InRange(r[2], 40, 100);
        // Keypoints 0 and 1 are the eyes: above the box centre and apart horizontally.
        Assert.True(r[5] < r[1] + 5 && r[7] < r[1] + 5, "eyes should not sit below the face centre");
        Assert.True(Math.Abs(r[4] - r[6]) > 10, "the two eye keypoints should be apart");
    }

    [Fact]
    public void FaceMeshFlagsFacesAndNotNoise()
    {
        var entry = ConvertedModels.Entry("facemesh");
        var faces = Input(entry, ConvertedModels.RightFace, ConvertedModels.MiddleFace);
        var noise = ConvertedModels.Normalise(ConvertedModels.RandomPixels(7, 1, 192, 192), entry.Input);
        var outputs = OnnxRun.Run(entry.ResolvedPath, [(entry.Input.Name, FloatTensor.Concat(faces, noise))], ["mesh", "face_flag"]);

        Assert.True(outputs[1].Values[0] > 0.9 && outputs[1].Values[1] > 0.9, $"face flags {outputs[1].Values[0]}, {outputs[1].Values[1]}");
        Assert.True(outputs[1].Values[2] < 0.1, $"noise face flag {outputs[1].Values[2]}");
        // The 468 (x, y) landmarks of a centred face lie inside the 192 px crop, spread over its middle.
        var mesh = outputs[0].Values.AsSpan(0, 1404).ToArray();
        var xs = mesh.Where((_, i) => i % 3 == 0).ToArray();
        var ys = mesh.Where((_, i) => i % 3 == 1).ToArray();
        Assert.All(xs.Concat(ys), v => Assert.InRange(v, 0, 192));
        Assert.True(xs.Max() - xs.Min() > 60 && ys.Max() - ys.Min() > 60, "the mesh should cover the face");
    }

    [Fact]
    public void MobileFaceEmbedsTheSameFaceCloserThanAnotherPerson()
    {
        var entry = ConvertedModels.Entry("mobileface");
        var (x0, y0, x1, y1) = ConvertedModels.RightFace;
        var embeddings = OnnxRun.Run(entry.ResolvedPath,
            [(entry.Input.Name, Input(entry, ConvertedModels.RightFace, (x0 + 8, y0 + 6, x1 + 8, y1 + 6), ConvertedModels.MiddleFace))],
            ["embedding"])[0];
        double Cosine(int a, int b)
        {
            var u = embeddings.Values.AsSpan(a * 256, 256);
            var v = embeddings.Values.AsSpan(b * 256, 256);
            double dot = 0, nu = 0, nv = 0;
            for (var k = 0; k < 256; k++) { dot += u[k] * v[k]; nu += u[k] * u[k]; nv += v[k] * v[k]; }
            return dot / Math.Sqrt(nu * nv);
        }
        var same = Cosine(0, 1);
        var different = Math.Max(Cosine(0, 2), Cosine(1, 2));
        Assert.True(same > different + 0.2, $"same person {same:F3}, different people {different:F3}");
    }

    [Fact]
    public void LivenessAndAntispoofGiveProbabilities()
    {
        foreach (var id in new[] { "antispoof", "liveness" })
        {
            var entry = ConvertedModels.Entry(id);
            var output = OnnxRun.Run(entry.ResolvedPath, [(entry.Input.Name, Input(entry, ConvertedModels.RightFace, ConvertedModels.MiddleFace))],
                [entry.Outputs[0].Name])[0];
            Assert.All(output.Values, v => Assert.InRange(v, 0f, 1f));
            if (id == "liveness")
                for (var b = 0; b < 2; b++) Assert.Equal(1.0, output.Values[2 * b] + output.Values[2 * b + 1], 5);
        }
    }
}
