using FaceMatch.Vision.Evaluation;

namespace FaceMatch.Vision.Tests.Evaluation;

public sealed class LivenessReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-liveset").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static LivenessReport Report(double[] live, double[] spoof) => new(
        [.. live.Select((s, i) => new ScoredImage($"live/{i}.jpg", true, s)), .. spoof.Select((s, i) => new ScoredImage($"spoof/{i}.jpg", false, s))], []);

    [Fact]
    public void ApcerCountsAttacksClassedLiveAndBpcerLivePeopleRejected()
    {
        var r = Report([0.9, 0.8, 0.4, 0.95], [0.1, 0.6, 0.3, 0.2, 0.05]);
        Assert.Equal(1 / 5.0, r.Apcer(0.5));     // 0.6 gets through
        Assert.Equal(1 / 4.0, r.Bpcer(0.5));     // 0.4 is rejected
        Assert.Equal(0.0, r.Apcer(0.6 + 1e-9));
        Assert.Equal(1 / 4.0, r.Bpcer(0.6));     // a score equal to the threshold is live
        Assert.Equal(2 / 5.0, r.Apcer(0.3));
    }

    [Fact]
    public void TheThresholdForATargetApcerAcceptsNoMoreAttacksThanAllowed()
    {
        var spoof = Enumerable.Range(0, 200).Select(i => i / 400.0).ToArray();      // 0 .. 0.4975
        var live = new[] { 0.494, 0.6, 0.7, 0.9 };
        var r = Report(live, spoof);
        var (threshold, bpcer) = r.AtApcer(1e-2)!.Value;
        Assert.True(r.Apcer(threshold) <= 1e-2, $"APCER {r.Apcer(threshold)} at {threshold}");
        Assert.Equal(r.Bpcer(threshold), bpcer);
        Assert.Equal(0.0, bpcer);                  // two attacks (0.495, 0.4975) may pass, so 0.494 still does
        Assert.Equal(0.25, r.AtApcer(0)!.Value.Bpcer, 9);   // none may pass: 0.494 is rejected
    }

    [Fact]
    public void SeparationNeedsBothKindsAndRatesNeedTheirOwnKind()
    {
        var liveOnly = Report([0.9, 0.2], []);
        Assert.Null(liveOnly.Separation);
        Assert.Null(liveOnly.Apcer(0.5));
        Assert.Null(liveOnly.AtApcer(1e-2));
        Assert.Equal(0.5, liveOnly.Bpcer(0.5));
        var both = Report([0.9, 0.8], [0.1, 0.85]);
        Assert.Equal(0.75, both.Separation!.Auc, 9);
    }

    [Fact]
    public void FolderTakesImagesAtAnyDepthUnderLiveAndSpoof()
    {
        foreach (var f in new[] { "live/a.jpg", "live/x/y/b.png", "spoof/print/c.jpeg", "spoof/d.webp", "spoof/notes.txt", "other/e.jpg" })
        {
            var path = Path.Combine(_dir, f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, []);
        }
        var set = LivenessSet.FromFolder(_dir);
        Assert.Equal(["a.jpg", "b.png"], set.Live.Select(Path.GetFileName).Order());
        Assert.Equal(["c.jpeg", "d.webp"], set.Spoof.Select(Path.GetFileName).Order());
        Assert.Throws<ArgumentException>(() => LivenessSet.FromFolder(Path.Combine(_dir, "other")));
        Assert.Throws<DirectoryNotFoundException>(() => LivenessSet.FromFolder(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public async Task ImagesWithoutAFaceOrThatFailToDecodeAreListedNotScored()
    {
        var set = new LivenessSet(["l1", "l2"], ["s1", "s2"]);
        var report = await LivenessEvaluator.RunAsync(set, path => path switch
        {
            "l2" => Task.FromResult<double?>(null),
            "s2" => throw new InvalidDataException("not an image"),
            "l1" => Task.FromResult<double?>(0.9),
            _ => Task.FromResult<double?>(0.1),
        });
        Assert.Equal(["l2", "s2"], report.FailedImages.Order());
        Assert.Equal([0.9], report.LiveScores);
        Assert.Equal([0.1], report.SpoofScores);
    }
}
