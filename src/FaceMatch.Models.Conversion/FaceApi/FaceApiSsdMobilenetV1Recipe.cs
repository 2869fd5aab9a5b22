using FaceMatch.Models.Manifest;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>face-api.js SSD MobileNetV1 face detector (512x512 RGB -> 5118 decoded boxes and face scores, before NMS).</summary>
public sealed class FaceApiSsdMobilenetV1Recipe : FaceApiRecipe
{
    public const string ModelId = "faceapi-ssd-mobilenetv1";

    public override string Id => ModelId;

    protected override string ModelName => SsdMobilenetV1Graph.ModelName;

    protected override string Upstream => "face-api.js (Vincent Mühler, MIT): its SSD MobileNet v1 face detector";

    protected override ModelProto BuildGraph(FaceApiWeightMap weights) => SsdMobilenetV1Graph.Build(weights);

    protected override ModelEntry Describe(string onnxFile, string onnxSha256, ModelSource source) => new()
    {
        Id = Id,
        Role = ModelRole.Detector,
        File = onnxFile,
        // BlazeFace is the pipeline's default detector; this one is an alternative the pipeline may choose.
        Default = false,
        Sha256 = onnxSha256,
        Source = source,
        // The graph maps 0..255 to -1..1 itself.
        Input = RawRgbInput(SsdMobilenetV1Graph.InputName, SsdMobilenetV1Graph.InputSize),
        Outputs =
        [
            new ModelOutput
            {
                Name = SsdMobilenetV1Graph.BoxesName,
                Shape = [-1, SsdMobilenetV1Graph.AnchorCount, 4],
                Meaning = "per anchor, the decoded box (ymin, xmin, ymax, xmax) relative to the 512x512 input (0..1, may "
                    + "exceed it: clamp). face-api feeds the photo padded with zeros at the bottom/right to a square, resized "
                    + "bilinearly to 512x512; multiply by the padded side to get pixels.",
            },
            new ModelOutput
            {
                Name = SsdMobilenetV1Graph.ScoresName,
                Shape = [-1, SsdMobilenetV1Graph.AnchorCount],
                Meaning = "per anchor, the face probability (sigmoid). face-api keeps scores >= 0.5 (minConfidence) and runs "
                    + "greedy non-maximum suppression with IoU 0.5, at most 100 faces.",
            },
        ],
    };
}
