namespace FaceMatch.Models.Manifest;

/// <summary>How the shipped embedders' match thresholds were chosen (docs/vision.md has the numbers).</summary>
public static class ModelThresholds
{
    public const string ZeroFalseAccepts =
        "Cosine similarity. The lowest value, rounded up to 3 decimals, that accepts no impostor pair among all labelled pairs "
        + "available, with the default pipeline (ultraface-rfb320 + faceapi-landmark68 five-point alignment, no flip): ../shared/data/faces, "
        + "its tight 150x150 grey crops and their JPEG-q50 copies (342 impostor pairs each), and every pair of different people "
        + "within one of face-api's six demo photos (31). Chosen on the test data itself; a tenant's policy threshold overrides it.";
}
