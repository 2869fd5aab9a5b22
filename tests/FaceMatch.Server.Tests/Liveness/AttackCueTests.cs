using System.Numerics;
using FaceMatch.Models.Manifest;
using FaceMatch.Server.Sessions;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support.Attacks;
using FaceMatch.Tests;
using FaceMatch.Vision;
using Xunit.Abstractions;

namespace FaceMatch.Server.Tests.Liveness;

/// <summary>
/// Every attack generator's stream, made from one photo of each of ../shared's people, through the real vision pipeline
/// and the session verdict in process: each cue's score is printed (docs/liveness.md's table) and no attack may be live.
/// Beside them, a live head made from the same photo: its own FaceMesh points (x, y and the net's depth) turned in
/// depth, which must be live.
/// </summary>
public sealed class AttackCueTests(ITestOutputHelper log)
{
    [Fact]
    public async Task No_attack_stream_is_live_and_a_head_turning_in_depth_is()
    {
        await using var analyzer = await FaceAnalyzer.CreateAsync(ModelManifest.Load(TestPaths.ManifestPath), new VisionOptions());
        var failures = new List<string>();
        foreach (var (person, photos) in ServiceFixture.People(photos: 1))
        {
            var photo = File.ReadAllBytes(photos[0]);
            foreach (var (attack, make) in AttackStreams.All.Append(new("strongly-curved-print (measured, not required)", (p, n) => AttackStreams.StronglyCurvedPrint(p, n))))
            {
                var frames = new List<FrameObservation>();
                foreach (var frame in make(photo, 5))
                    frames.Add(FrameObservation.From(frames.Count, 1_000 + 100L * frames.Count, await analyzer.AnalyzeAsync(frame), receivedMs: 100L * frames.Count));
                var verdict = SessionLiveness.Decide(frames, 3, 0, analyzer.Liveness.Threshold);
                log.WriteLine($"{person} {attack}: {verdict.Describe()}");
                if (verdict.Live && !attack.StartsWith("strongly")) failures.Add($"{person} {attack}");
            }

            var analysis = await analyzer.AnalyzeAsync(photo);
            var mesh = analysis.Mesh!.Points;
            var centre = mesh.Aggregate(Vector3.Zero, (s, p) => s + p) / mesh.Length;
            var head = new[] { -12f, -6f, 0f, 6f, 12f }.Select((yaw, i) =>
            {
                var turn = Matrix4x4.CreateRotationY(yaw * MathF.PI / 180);
                var points = mesh.Select(p => Vector3.Transform(p - centre, turn) + centre).Select(p => new Vector2(p.X, p.Y)).ToArray();
                return new FrameObservation(i, 1_000 + 100L * i, 1, analysis.Embedding, 1, analysis.Liveness!.Value.Combined, points, analysis.MainFace!.Box.Width)
                {
                    ReceivedMs = 100L * i,
                    Box = analysis.MainFace.Box,
                };
            }).ToList();
            var live = SessionLiveness.Decide(head, 3, 0, analyzer.Liveness.Threshold);
            log.WriteLine($"{person} head turning -12..12 deg: {live.Describe()}");
            if (!live.Live) failures.Add($"{person} head");
        }
        Assert.True(failures.Count == 0, "judged wrongly: " + string.Join(", ", failures));
    }
}
