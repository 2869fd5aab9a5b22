using FaceMatch.Models.Manifest;

namespace FaceMatch.Models.Conversion.Faceplugin;

/// <summary>One model file of the faceplugin package and how the pipeline feeds and reads it.</summary>
public sealed record FacepluginModel
{
    public required string Id { get; init; }
    public required ModelRole Role { get; init; }
    public bool Default { get; init; }
    /// <summary>Path inside the unpacked package.</summary>
    public required string PackagePath { get; init; }
    public required string License { get; init; }
    public required string Upstream { get; init; }
    public required ModelInput Input { get; init; }
    public required List<ModelOutput> Outputs { get; init; }
    public ModelThreshold? Threshold { get; init; }

    public ModelEntry Describe(string file, string sha256, ModelSource source) => new()
    {
        Id = Id,
        Role = Role,
        File = file,
        Default = Default,
        Sha256 = sha256,
        Source = source,
        Input = Input,
        Outputs = Outputs,
        Threshold = Threshold,
    };
}

/// <summary>
/// The models FaceMatch takes from faceplugin-face-recognition-js@0.0.1 (npm; the package declares MIT). Input
/// conventions are those of the package's own JavaScript (lib/fr_detect.js, lib/fr_feature.js).
/// </summary>
public static class FacepluginModels
{
    private static readonly float[] Mean127 = [127f, 127f, 127f];
    private static readonly float[] Scale128 = [1 / 128f, 1 / 128f, 1 / 128f];

    /// <summary>The package's convention for both models: NCHW, one input named "input", (p − 127)/128.</summary>
    private static ModelInput Input(int height, int width, string colorOrder, string notes) => new()
    {
        Name = "input",
        Shape = [-1, 3, height, width],
        Layout = "NCHW",
        ColorOrder = colorOrder,
        Mean = Mean127,
        Scale = Scale128,
        Notes = notes,
    };

    /// <summary>Ultra-Light-Fast-Generic-Face-Detector-1MB, RFB variant, 320×240 input.</summary>
    public static readonly FacepluginModel Rfb320 = new()
    {
        Id = "ultraface-rfb320",
        Role = ModelRole.Detector,
        Default = true,
        PackagePath = "model/fr_detect.onnx",
        License = "MIT (package); the network is Linzaer's Ultra-Light-Fast-Generic-Face-Detector-1MB, MIT",
        Upstream = "github.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB, version-RFB-320, as the project identified it "
            + "(320x240 input, 4420 priors, 'scores' and 'boxes' outputs; not compared with upstream's files, which are not reachable here)",
        Input = Input(240, 320, "BGR", "whole frame letterboxed to 320x240 (aspect kept), BGR, (p-127)/128"),
        Outputs =
        [
            new ModelOutput { Name = "scores", Shape = [-1, 4420, 2], Meaning = "softmax per prior: [background, face]" },
            new ModelOutput
            {
                Name = "boxes", Shape = [-1, 4420, 4],
                Meaning = "box per prior, already decoded by the graph: x1, y1, x2, y2 as fractions of the 320x240 input",
            },
        ],
        Threshold = new ModelThreshold
        {
            Value = 0.7f,
            Method = "minimum face score: the upstream project's default (detect_imgs.py --threshold 0.7); at it every face of "
                + "face-api's six demo photos is found and nothing else",
        },
    };

    /// <summary>MobileFaceNet with ArcFace-style training, 112×112 → 512-d.</summary>
    public static readonly FacepluginModel MobileFaceNet = new()
    {
        Id = "faceplugin-mobilefacenet",
        Role = ModelRole.Embedder,
        PackagePath = "model/fr_feature.onnx",
        License = "MIT declared by the package; the weights' own licence is not stated anywhere in it",
        Upstream = "unknown: the package does not say where the weights come from; the ONNX file's doc strings name an export from "
            + "a project 'bioauth-ml' (humanode), face_feature/model/mobilefacenet.py. Clear the licence before shipping it",
        Input = Input(112, 112, "RGB", "ArcFace five-point aligned 112x112 crop, RGB, (p-127)/128"),
        Outputs = [new ModelOutput { Name = "output", Shape = [-1, 512], Meaning = "512-d embedding, not normalised (L2-normalise it)" }],
        Threshold = new ModelThreshold { Value = 0.450f, Method = ModelThresholds.ZeroFalseAccepts + " Highest impostor 0.4496 (tight crops)." },
    };

    /// <summary>
    /// The package's passive liveness net (model/fr_liveness.onnx): by its layers a MiniFASNetV2 with squeeze-and-excitation
    /// blocks (the architecture of minivision-ai's Silent-Face-Anti-Spoofing), exported from PyTorch, 128×128 input, three
    /// logits. The package's JavaScript feeds it RGB; measured on real faces it follows BGR (docs/liveness.md, and
    /// FacepluginLivenessTests pins it): index 0 with BGR is the live class.
    /// </summary>
    public static readonly FacepluginModel Liveness = new()
    {
        Id = "faceplugin-liveness",
        Role = ModelRole.Liveness,
        Default = true,
        PackagePath = "model/fr_liveness.onnx",
        License = "MIT declared by the package; the weights' origin and their own licence are not stated anywhere in it",
        Upstream = "unknown: the package does not say where the weights come from. The graph (PyTorch export, 55 Conv, 31 PReLU, three "
            + "squeeze-and-excitation blocks, 3 classes) has the shape of MiniFASNetV2-SE from minivision-ai's Silent-Face-Anti-Spoofing "
            + "(Apache-2.0), whose published weights (2.7_80x80_MiniFASNetV2, 4_0_0_80x80_MiniFASNetV1SE) take 80x80; these take 128x128, so "
            + "they are not those files. Clear the licence before shipping it",
        Input = new ModelInput
        {
            Name = "input",
            Shape = [-1, 3, 128, 128],
            Layout = "NCHW",
            ColorOrder = "BGR",
            Mean = [0, 0, 0],
            Scale = [1, 1, 1],
            Notes = "the detector box scaled 2.7x about its centre (width and height each; the scale shrinks to fit the frame, then the "
                + "crop shifts inside it), stretched to 128x128, BGR, raw 0..255",
            Crop = new ModelCrop { Scale = 2.7f, Shape = "box", Clamp = true },
        },
        Outputs =
        [
            new ModelOutput
            {
                Name = "output", Shape = [-1, 3], Activation = "softmax",
                Meaning = "logits over 3 classes; after softmax index 0 is the live probability (measured with BGR input), 1 and 2 attack classes",
            },
        ],
        Threshold = new ModelThreshold
        {
            Value = 0.5f,
            Method = "frame-level live score: the largest multiple of 0.05 at which at most 5 % of 56 bona fide faces (every face of face-api's "
                + "six demo photos and the largest face of each ../shared/data/faces photo) score below it (2 of 56; the next step, 0.55, "
                + "rejects 3). Where live becomes the likeliest class when the attack classes together are the other",
        },
    };

    public static IReadOnlyList<FacepluginModel> All { get; } = [Rfb320, MobileFaceNet, Liveness];
}
