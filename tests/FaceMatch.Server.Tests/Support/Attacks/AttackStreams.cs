namespace FaceMatch.Server.Tests.Support.Attacks;

/// <summary>
/// Presentation attacks as the frame streams a session receives (docs/liveness.md lists what each should meet).
/// Deterministic: the same photo and seed give the same frames.
/// </summary>
public static class AttackStreams
{
    /// <summary>The attacks by name, as tests and the measurements in docs/liveness.md use them.</summary>
    public static IReadOnlyDictionary<string, Func<byte[], int, IReadOnlyList<byte[]>>> All { get; } =
        new Dictionary<string, Func<byte[], int, IReadOnlyList<byte[]>>>
        {
            ["held-up-print"] = (photo, frames) => HeldUpPrint(photo, frames),
            ["curved-print"] = (photo, frames) => CurvedPrint(photo, frames),
            ["still-photo"] = (photo, frames) => StillPhoto(photo, frames),
        };

    /// <summary>
    /// A print held up by hand: each frame shifted, scaled, rolled and tilted towards or away from the camera a little
    /// differently (a hand never keeps still), i.e. one plane homography from frame to frame.
    /// </summary>
    public static IReadOnlyList<byte[]> HeldUpPrint(byte[] photo, int frames, int seed = 1)
    {
        using var print = new PrintedPhoto(photo);
        return Enumerable.Range(0, frames).Select(i => print.Capture(new PrintPose(
            Yaw: 9 * Math.Sin(1.7 * i + 0.3), Pitch: 7 * Math.Sin(1.1 * i + 1.0), Roll: 3 * Math.Sin(0.9 * i),
            ShiftX: 0.05 * Math.Sin(1.3 * i), ShiftY: 0.04 * Math.Cos(1.1 * i), Distance: 1 + 0.07 * Math.Sin(0.7 * i + 0.5)),
            bendRadius: 0, seed: seed * 1000 + i)).ToList();
    }

    /// <summary>
    /// A print bent about its vertical axis, centre towards the camera (a radius of 0.6 print widths: about a 95° arc),
    /// and turned from one side to the other: the bend gives the face parallax a flat print lacks, the print's own
    /// features do not move against each other.
    /// </summary>
    public static IReadOnlyList<byte[]> CurvedPrint(byte[] photo, int frames, int seed = 2)
    {
        using var print = new PrintedPhoto(photo);
        return Enumerable.Range(0, frames).Select(i =>
        {
            var sweep = frames == 1 ? 0 : i / (double)(frames - 1) * 2 - 1;   // -1 .. 1
            return print.Capture(new PrintPose(Yaw: 20 * sweep, Pitch: 3 * Math.Sin(1.3 * i), Roll: 1.5 * Math.Sin(0.8 * i),
                ShiftX: 0.03 * Math.Sin(i), ShiftY: 0.02 * Math.Cos(1.4 * i)), bendRadius: 0.6, seed: seed * 1000 + i);
        }).ToList();
    }

    /// <summary>
    /// A print bent harder (radius 0.35 print widths) and swept further (−30° to +30°) than <see cref="CurvedPrint"/>: the
    /// measured limit of the planar cue (docs/liveness.md), not one of the streams the tests require to fail.
    /// </summary>
    public static IReadOnlyList<byte[]> StronglyCurvedPrint(byte[] photo, int frames, int seed = 3)
    {
        using var print = new PrintedPhoto(photo);
        return Enumerable.Range(0, frames).Select(i =>
            print.Capture(new PrintPose(Yaw: frames == 1 ? 0 : -30 + 60.0 * i / (frames - 1), 0, 0, 0, 0), bendRadius: 0.35, seed: seed * 1000 + i)).ToList();
    }

    /// <summary>The photo itself sent as every frame, byte for byte (a still image fed to the stream).</summary>
    public static IReadOnlyList<byte[]> StillPhoto(byte[] photo, int frames) => Enumerable.Repeat(photo, frames).ToList();
}
