using System.Numerics;
using FaceMatch.Server.Sessions;

namespace FaceMatch.Server.Tests.Sessions;

/// <summary>The planar-motion cue on synthetic landmark tracks: a flat object's motion against a head turning in 3D.</summary>
public sealed class PlanarMotionTests
{
    // A rough 3D face, 100 units wide: eye corners, nose bridge and tip (standing out of the face plane), mouth, jaw.
    private static readonly Vector3[] Face =
    [
        new(-35, -20, 0), new(-15, -20, 5), new(15, -20, 5), new(35, -20, 0), new(0, -10, 15), new(0, 10, 35),
        new(-20, 30, 8), new(20, 30, 8), new(0, 35, 10), new(-48, 10, -25), new(48, 10, -25), new(0, 60, -5),
    ];

    private static Vector2[] Project(Func<Vector3, Vector3> pose) =>
        Face.Select(p => pose(p)).Select(p => new Vector2(320 + 400 * p.X / (p.Z + 600), 240 + 400 * p.Y / (p.Z + 600))).ToArray();

    private static Vector3 Flat(Vector3 p) => p with { Z = 0 };

    [Fact]
    public void A_flat_photo_moved_in_any_way_leaves_almost_no_residual()
    {
        var before = Project(Flat);
        // Shift, scale, rotate in the image, tilt the print away from the camera: still one plane.
        var tilt = Matrix4x4.CreateRotationY(0.35f) * Matrix4x4.CreateRotationZ(0.2f);
        var after = Project(p => Vector3.Transform(Flat(p), tilt) * 1.1f + new Vector3(20, -10, 30));
        var fit = PlanarMotion.Measure(before, after, 100)!.Value;
        Assert.True(fit.Motion > SessionLiveness.MinMotion, $"motion {fit.Motion}");
        Assert.True(fit.Residual < 0.001, $"residual {fit.Residual}");
    }

    [Fact]
    public void A_head_turning_in_depth_leaves_a_residual_above_the_planar_bound()
    {
        var before = Project(p => p);
        var after = Project(p => Vector3.Transform(p, Matrix4x4.CreateRotationY(0.3f)));
        var fit = PlanarMotion.Measure(before, after, 100)!.Value;
        Assert.True(fit.Motion > SessionLiveness.MinMotion, $"motion {fit.Motion}");
        Assert.True(fit.Residual > SessionLiveness.PlanarResidual, $"residual {fit.Residual}");
    }

    [Fact]
    public void Too_few_or_degenerate_points_give_no_fit()
    {
        Assert.Null(PlanarMotion.Measure(new Vector2[4], new Vector2[4], 100));
        var line = Enumerable.Range(0, 8).Select(i => new Vector2(i, i)).ToArray();
        Assert.Null(PlanarMotion.Measure(line, line, 100));
    }
}
