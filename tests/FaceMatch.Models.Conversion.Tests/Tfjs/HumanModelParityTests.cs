using FaceMatch.Models.Conversion.Tfjs;
using Xunit.Abstractions;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>
/// Each model `make models` converted, run in ONNX Runtime, against its original in TensorFlow.js
/// on the same batch: three seeded random images in the model's input range and one real face crop.
/// </summary>
[Collection(TfjsReferenceCollection.Name)]
public class HumanModelParityTests(TfjsReference tfjs, ITestOutputHelper log)
{
    public static TheoryData<string> ModelIds => new(HumanModels.All.Select(s => s.Id));

    [Theory]
    [MemberData(nameof(ModelIds))]
    public void ConvertedModelMatchesTfjs(string id)
    {
        var entry = ConvertedModels.Entry(id);
        var spec = ConvertedModels.Spec(id);
        var sourceJson = ConvertedModels.SourceJson(id);
        // The manifest describes exactly the files on disk: the ONNX output and the sources it came from.
        Assert.Equal(entry.Sha256, FileHash.Sha256(entry.ResolvedPath));
        Assert.Equal(entry.Source!.Files[0].Sha256, FileHash.Sha256(sourceJson));

        int height = entry.Input.Shape[1], width = entry.Input.Shape[2];
        Assert.Equal(-1, entry.Input.Shape[0]);
        var box = spec.Role == Manifest.ModelRole.Detector ? ConvertedModels.RightFaceContext : ConvertedModels.RightFace;
        var pixels = FloatTensor.Concat(
            ConvertedModels.RandomPixels(seed: 20261122, count: 3, height, width),
            tfjs.Crop(ConvertedModels.SamplePhoto, box, height, width));
        var batch = ConvertedModels.Normalise(pixels, entry.Input);

        var placeholder = TfjsGraphModel.Load(sourceJson).Nodes.Single(n => n.Op == "Placeholder").Name;
        var reference = tfjs.Run(sourceJson, [(placeholder, batch)], spec.Outputs.Select(o => o.Tensor).ToList());
        var actual = OnnxRun.Run(entry.ResolvedPath, [(entry.Input.Name, batch)], spec.Outputs.Select(o => o.Name).ToList());

        for (var o = 0; o < spec.Outputs.Count; o++)
        {
            var worst = Parity.AssertClose(reference[o], actual[o], $"{id}/{spec.Outputs[o].Name}");
            Assert.Equal(entry.Outputs.Single(e => e.Name == spec.Outputs[o].Name).Shape[1..], actual[o].Shape[1..]);
            log.WriteLine($"{id}/{spec.Outputs[o].Name} [{string.Join(",", actual[o].Shape)}]: worst error {worst:P1} of the allowance");
        }
    }
}
