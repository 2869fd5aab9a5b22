using System.Numerics;

namespace FaceMatch.Vision.Detection;

/// <summary>
/// Turns BlazeFace's raw heads into candidate faces in model-input pixels. The model (the 256×256
/// "back" variant) predicts, per anchor, a score logit and 16 regressors: box centre offset
/// (dx, dy) from the anchor centre, box size (w, h), and six keypoints as (x, y) offsets from the
/// anchor centre, all in input pixels. Anchors sit at cell centres of a stride-16 grid (2 per
/// cell, 512 in all) followed by a stride-32 grid (6 per cell, 384 in all).
/// </summary>
public sealed class BlazeFaceDecoder
{
    public const int Keypoints = 6;
    public const int Regressors = 4 + 2 * Keypoints;
    private readonly Vector2[] _anchors;

    public BlazeFaceDecoder(int inputSize = 256)
    {
        InputSize = inputSize;
        _anchors = CreateAnchors(inputSize);
    }

    public int InputSize { get; }
    public int AnchorCount => _anchors.Length;

    internal static Vector2[] CreateAnchors(int inputSize)
    {
        var anchors = new List<Vector2>();
        foreach (var (stride, perCell) in new[] { (inputSize / 16, 2), (inputSize / 8, 6) })
        {
            var cells = (inputSize + stride - 1) / stride;
            for (var y = 0; y < cells; y++)
                for (var x = 0; x < cells; x++)
                    for (var n = 0; n < perCell; n++)
                        anchors.Add(new Vector2(stride * (x + 0.5f), stride * (y + 0.5f)));
        }
        return anchors.ToArray();
    }

    /// <summary>
    /// Decodes one image's heads. <paramref name="scores"/> holds one logit per anchor and
    /// <paramref name="regressors"/> <see cref="Regressors"/> values per anchor, both in anchor
    /// order (stride-16 anchors first).
    /// </summary>
    public List<FaceDetection> Decode(ReadOnlySpan<float> scores, ReadOnlySpan<float> regressors, float minScore)
    {
        if (scores.Length != _anchors.Length || regressors.Length != _anchors.Length * Regressors)
            throw new ArgumentException($"BlazeFace heads must hold {_anchors.Length} anchors");
        var minLogit = Logit(minScore);
        var found = new List<FaceDetection>();
        for (var i = 0; i < _anchors.Length; i++)
        {
            if (scores[i] < minLogit) continue;
            var r = regressors.Slice(i * Regressors, Regressors);
            var a = _anchors[i];
            var cx = a.X + r[0];
            var cy = a.Y + r[1];
            var box = new FaceBox(cx - r[2] / 2, cy - r[3] / 2, r[2], r[3]);
            var points = new Vector2[Keypoints];
            for (var k = 0; k < Keypoints; k++) points[k] = new Vector2(a.X + r[4 + 2 * k], a.Y + r[5 + 2 * k]);
            found.Add(new FaceDetection(box, Sigmoid(Math.Clamp(scores[i], -100f, 100f)), points));
        }
        return found;
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
    private static float Logit(float p) => p <= 0 ? float.NegativeInfinity : p >= 1 ? float.PositiveInfinity : MathF.Log(p / (1 - p));
}
