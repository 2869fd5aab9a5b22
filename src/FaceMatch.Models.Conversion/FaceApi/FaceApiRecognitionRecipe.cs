using FaceMatch.Models.Manifest;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>face-api.js face descriptor net (ResNet-34, 150x150 RGB -> 128-d): the default embedder.</summary>
public sealed class FaceApiRecognitionRecipe : FaceApiRecipe
{
    public const string ModelId = "faceapi-recognition";

    public override string Id => ModelId;

    protected override string ModelName => FaceRecognitionNetGraph.ModelName;

    protected override string Upstream => "face-api.js (Vincent Mühler, MIT): a port of dlib's ResNet face descriptor (Davis King)";

    protected override ModelProto BuildGraph(FaceApiWeightMap weights) => FaceRecognitionNetGraph.Build(weights);

    protected override ModelEntry Describe(string onnxFile, string onnxSha256, ModelSource source) => new()
    {
        Id = Id,
        Role = ModelRole.Embedder,
        File = onnxFile,
        Default = true,
        Sha256 = onnxSha256,
        Source = source,
        // The graph subtracts face-api's RGB mean and divides by 255 itself.
        Input = RawRgbInput(FaceRecognitionNetGraph.InputName, FaceRecognitionNetGraph.InputSize),
        Threshold = new ModelThreshold { Value = 0.944f, Method = ModelThresholds.ZeroFalseAccepts + " Highest impostor 0.9432 (tight crops)." },
        Outputs =
        [
            new ModelOutput
            {
                Name = FaceRecognitionNetGraph.OutputName,
                Shape = [-1, FaceRecognitionNetGraph.DescriptorLength],
                Meaning = "128-d face descriptor, not L2-normalised (as face-api computeFaceDescriptor returns it); "
                    + "same person when the Euclidean distance is below about 0.6. Input: the face crop padded "
                    + "to a square (centred) and resized bilinearly to 150x150.",
            },
        ],
    };
}
