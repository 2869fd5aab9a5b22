using FaceMatch.Models.Manifest;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>face-api.js 68-point face landmark net (112x112 RGB face crop -> 68 points).</summary>
public sealed class FaceApiLandmark68Recipe : FaceApiRecipe
{
    public const string ModelId = "faceapi-landmark68";

    public override string Id => ModelId;

    protected override string ModelName => FaceLandmark68NetGraph.ModelName;

    protected override string Upstream => "face-api.js (Vincent Mühler, MIT): its own 68-point landmark net; the training data is not stated in the package";

    protected override ModelProto BuildGraph(FaceApiWeightMap weights) => FaceLandmark68NetGraph.Build(weights);

    protected override ModelEntry Describe(string onnxFile, string onnxSha256, ModelSource source) => new()
    {
        Id = Id,
        Role = ModelRole.Landmarks,
        File = onnxFile,
        Default = true,
        Sha256 = onnxSha256,
        Source = source,
        // The graph subtracts face-api's RGB mean and divides by 255 itself.
        Input = RawRgbInput(FaceLandmark68NetGraph.InputName, FaceLandmark68NetGraph.InputSize),
        Outputs =
        [
            new ModelOutput
            {
                Name = FaceLandmark68NetGraph.OutputName,
                Shape = [-1, 2 * FaceLandmark68NetGraph.PointCount],
                Meaning = "68 points as x0, y0, x1, y1, ... relative to the 112x112 input (0..1), iBUG 300-W order (jaw 0-16, "
                    + "brows 17-26, nose 27-35, eyes 36-47, mouth 48-67). Input: the face box crop padded to a square "
                    + "(centred) and resized bilinearly to 112x112; undo that padding and scale to map back.",
            },
        ],
    };
}
