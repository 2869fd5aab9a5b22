using System.Numerics;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Inference;

namespace FaceMatch.Vision.Liveness;

/// <summary>
/// A face's dense landmarks from MediaPipe FaceMesh: 468 points (x, y in frame pixels, z relative depth on the x scale)
/// and the net's face score. Only what the session's liveness cues read; no pixels.
/// </summary>
public sealed record MeshPoints(Vector3[] Points, float FaceScore)
{
    public const int Count = 468;

    /// <summary>The points' image positions.</summary>
    public Vector2[] Image => Points.Select(p => new Vector2(p.X, p.Y)).ToArray();
}

/// <summary>
/// Runs FaceMesh (manifest role mesh) on a square crop centred on the detector box, side the box's longer side ×
/// <see cref="CropScale"/>, resized to the net's 192×192; the points come back in frame pixels. The crop is not rotated:
/// faces in a session are upright to within the roll the net tolerates.
/// </summary>
public sealed class FaceMesh : IAsyncDisposable
{
    private readonly BatchedModel _model;
    private readonly ImageTensorFormat _format;
    private readonly int _meshOutput, _flagOutput;

    public FaceMesh(BatchedModel model, float cropScale)
    {
        _model = model;
        _format = model.InputFormat;
        CropScale = cropScale;
        var names = model.OutputNames.ToList();
        _meshOutput = names.IndexOf("mesh");
        _flagOutput = names.IndexOf("face_flag");
        if (_meshOutput < 0 || model.Entry.Outputs.FirstOrDefault(o => o.Name == "mesh") is not { Shape: [_, 3 * MeshPoints.Count] })
            throw new ModelManifestException($"mesh '{model.Entry.Id}': an output 'mesh' of {3 * MeshPoints.Count} values (468 points) is needed");
    }

    public float CropScale { get; }
    public BatchedModel Model => _model;

    public async Task<MeshPoints> LocateAsync(RgbImage image, FaceBox box, CancellationToken cancellationToken)
    {
        var crop = CropFor(box);
        var outputs = await _model.RunAsync(t => AffineWarp.ToTensor(image, crop, _format, t), cancellationToken).ConfigureAwait(false);
        var mesh = outputs[_meshOutput];
        var back = crop.Invert();
        var scale = (float)(1 / crop.A);
        var points = new Vector3[MeshPoints.Count];
        for (var i = 0; i < points.Length; i++)
        {
            var p = back.Apply(new Vector2(mesh[3 * i], mesh[3 * i + 1]));
            points[i] = new Vector3(p, mesh[3 * i + 2] * scale);
        }
        return new MeshPoints(points, _flagOutput >= 0 ? outputs[_flagOutput][0] : 1f);
    }

    /// <summary>Frame → net input: the square around the box, resized to the input.</summary>
    public AffineMatrix CropFor(FaceBox box) =>
        PassiveLiveness.CropFor(box, new ModelCrop { Scale = CropScale }, int.MaxValue, int.MaxValue, _format.Width, _format.Height);

    public ValueTask DisposeAsync() => _model.DisposeAsync();
}
