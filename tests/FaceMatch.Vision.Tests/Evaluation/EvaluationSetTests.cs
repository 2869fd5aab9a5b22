using FaceMatch.Vision.Evaluation;

namespace FaceMatch.Vision.Tests.Evaluation;

public sealed class EvaluationSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-evalset").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private void Touch(string relative)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
    }

    [Fact]
    public void FolderGivesEveryGenuineAndImpostorPairOnce()
    {
        Touch("ann/1.jpg"); Touch("ann/2.png"); Touch("ann/3.jpeg");
        Touch("bob/1.jpg"); Touch("bob/2.jpg");
        Touch("_multi/group.jpg"); Touch("bob/notes.txt");
        var set = EvaluationSet.FromFolder(_dir);
        Assert.Equal(3 + 1, set.Pairs.Count(p => p.Same));          // C(3,2) + C(2,2)
        Assert.Equal(3 * 2, set.Pairs.Count(p => !p.Same));
        Assert.DoesNotContain(set.Images, i => i.Contains("_multi") || i.EndsWith(".txt"));
        Assert.Equal(set.Pairs.Count, set.Pairs.Select(p => (p.PathA, p.PathB)).Distinct().Count());
    }

    [Fact]
    public void CsvPathsResolveAgainstTheFileAndHeaderIsOptional()
    {
        File.WriteAllText(Path.Combine(_dir, "pairs.csv"), "path_a,path_b,same\na.jpg, sub/b.jpg ,1\n\n# comment\n/abs/c.jpg,d.jpg,0\n");
        var set = EvaluationSet.FromCsv(Path.Combine(_dir, "pairs.csv"));
        Assert.Equal(2, set.Pairs.Count);
        Assert.Equal(Path.Combine(_dir, "sub", "b.jpg"), set.Pairs[0].PathB);
        Assert.True(set.Pairs[0].Same);
        Assert.Equal("/abs/c.jpg", set.Pairs[1].PathA);
        Assert.False(set.Pairs[1].Same);
    }

    [Theory]
    [InlineData("a.jpg,b.jpg,2\n")]
    [InlineData("a.jpg,b.jpg\n")]
    [InlineData("\n")]
    public void MalformedCsvIsRejectedWithItsLine(string text)
    {
        File.WriteAllText(Path.Combine(_dir, "bad.csv"), text);
        Assert.Throws<FormatException>(() => EvaluationSet.FromCsv(Path.Combine(_dir, "bad.csv")));
    }

    [Fact]
    public async Task EvaluatorScoresPairsAndReportsFailedImages()
    {
        Touch("ann/1.jpg"); Touch("ann/2.jpg"); Touch("bob/1.jpg"); Touch("bob/broken.jpg");
        var set = EvaluationSet.FromFolder(_dir);
        // Ann's images point one way, Bob's another; the broken image has no face.
        Task<float[]?> Embed(string path) => Task.FromResult<float[]?>(
            path.EndsWith("broken.jpg") ? null : path.Contains("/ann/") ? [1f, 0.1f] : [0.1f, 1f]);
        var report = await Evaluator.RunAsync(set, Embed);
        Assert.Equal(["broken.jpg"], report.FailedImages.Select(Path.GetFileName));
        Assert.Equal(1, report.Metrics.GenuinePairs);
        Assert.Equal(2, report.Metrics.ImpostorPairs);
        Assert.Equal(3, report.SkippedPairs);
        Assert.Equal(1.0, report.Metrics.Auc);
        Assert.Equal(1.0, report.AccuracyAt(0.5));
        Assert.Equal(1 / 3.0, report.AccuracyAt(0.0), 12);  // everything accepted: only the genuine pair is right
    }
}
