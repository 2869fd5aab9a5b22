using FaceMatch.Vision.Evaluation;

namespace FaceMatch.Vision.Tests.Evaluation;

public class VerificationMetricsTests
{
    [Fact]
    public void PerfectSeparationGivesAucOneAndZeroErrors()
    {
        var m = VerificationMetrics.Compute([0.9, 0.8, 0.7], [0.1, 0.2, 0.3, 0.4]);
        Assert.Equal(1.0, m.Auc);
        Assert.Equal(0.0, m.Eer);
        Assert.Equal(1.0, m.TarAtFar1e3);
        Assert.InRange(m.ThresholdAtFar1e3, 0.4, 0.7);
    }

    [Fact]
    public void AucMatchesPairwiseCountingWithTies()
    {
        var rng = new Random(7);
        // Rounded scores make ties common, which the rank formula must count as one half.
        var gen = Enumerable.Range(0, 200).Select(_ => Math.Round(rng.NextDouble() * 0.6 + 0.3, 2)).ToArray();
        var imp = Enumerable.Range(0, 500).Select(_ => Math.Round(rng.NextDouble() * 0.6, 2)).ToArray();
        double wins = 0;
        foreach (var g in gen) foreach (var i in imp) wins += g > i ? 1 : g == i ? 0.5 : 0;
        Assert.Equal(wins / (gen.Length * imp.Length), VerificationMetrics.Compute(gen, imp).Auc, 12);
    }

    [Fact]
    public void TarAtFarNeverAcceptsMoreImpostorsThanAllowed()
    {
        var rng = new Random(11);
        var gen = Enumerable.Range(0, 300).Select(_ => rng.NextDouble() * 0.5 + 0.4).ToArray();
        var imp = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 0.6).ToArray();
        var m = VerificationMetrics.Compute(gen, imp);
        Assert.True(imp.Count(s => s >= m.ThresholdAtFar1e2) <= 10);
        Assert.True(imp.Count(s => s >= m.ThresholdAtFar1e3) <= 1);
        Assert.Equal(gen.Count(s => s >= m.ThresholdAtFar1e2) / 300.0, m.TarAtFar1e2, 12);
        // One step lower and more impostors than allowed would pass: the threshold is the lowest valid one.
        var lower = imp.Where(s => s < m.ThresholdAtFar1e2).Max();
        Assert.True(imp.Count(s => s >= lower) > 10);
    }

    [Fact]
    public void EerSitsWhereErrorRatesCross()
    {
        // Genuine 0.5..0.9, impostor 0.1..0.6: overlapping ranges give a non-zero EER.
        double[] gen = [0.5, 0.6, 0.7, 0.8, 0.9];
        double[] imp = [0.1, 0.2, 0.3, 0.55, 0.6];
        var m = VerificationMetrics.Compute(gen, imp);
        var frr = gen.Count(s => s < m.EerThreshold) / 5.0;
        var far = imp.Count(s => s >= m.EerThreshold) / 5.0;
        Assert.Equal((frr + far) / 2, m.Eer, 12);
        Assert.InRange(m.Eer, 0.1, 0.3);
    }

    [Fact]
    public void EmptyInputIsRejected() =>
        Assert.Throws<ArgumentException>(() => VerificationMetrics.Compute([], [0.1]));
}

public class DecidabilityTests
{
    [Fact]
    public void DPrimeIsTheMeanGapOverThePooledStandardDeviation()
    {
        // Means 2 and 0, sample variances 1 and 1: d' = 2 / sqrt((1 + 1) / 2) = 2.
        Assert.Equal(2.0, VerificationMetrics.Compute([1, 2, 3], [-1, 0, 1]).DPrime, 12);
        // Same gap, impostor variance 9: d' = 2 / sqrt(5).
        Assert.Equal(2 / Math.Sqrt(5), VerificationMetrics.Compute([1, 2, 3], [-3, 0, 3]).DPrime, 12);
    }

    [Fact]
    public void AtFarAgreesWithTheFixedOperatingPoints()
    {
        var rng = new Random(3);
        var gen = Enumerable.Range(0, 100).Select(_ => rng.NextDouble() * 0.5 + 0.45).ToArray();
        var imp = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 0.6).ToArray();
        var m = VerificationMetrics.Compute(gen, imp);
        Assert.Equal((m.TarAtFar1e2, m.ThresholdAtFar1e2), VerificationMetrics.AtFar(gen, imp, 1e-2));
        var (_, t) = VerificationMetrics.AtFar(gen, imp, 0.05);
        Assert.True(imp.Count(s => s >= t) <= 50 && t < m.ThresholdAtFar1e2);
    }
}
