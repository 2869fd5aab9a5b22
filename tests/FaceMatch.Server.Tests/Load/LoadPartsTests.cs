using FaceMatch.Load;

namespace FaceMatch.Server.Tests.Load;

/// <summary>The load generator's parsers: the call mix and the Prometheus text format.</summary>
public sealed class LoadPartsTests
{
    [Fact]
    public void AMixIsParsedByWeightAndDrawsEachKindInProportion()
    {
        var mix = CallMix.Parse("enroll=1, authenticate=6,identify=2,compare=1,health=0");
        Assert.Equal([CallKind.Enroll, CallKind.Authenticate, CallKind.Identify, CallKind.Compare], mix.Kinds);
        Assert.Equal("enroll=1,authenticate=6,identify=2,compare=1", mix.ToString());
        Assert.True(mix.NeedsTenant);
        Assert.False(CallMix.HealthOnly.NeedsTenant);

        var counts = Enumerable.Range(0, 10_000).Select(i => mix.Pick(i / 10_000.0)).CountBy(k => k).ToDictionary();
        Assert.Equal(1_000, counts[CallKind.Enroll]);
        Assert.Equal(6_000, counts[CallKind.Authenticate]);
        Assert.Equal(2_000, counts[CallKind.Identify]);
        Assert.Equal(1_000, counts[CallKind.Compare]);
    }

    [Theory]
    [InlineData("", "at least one")]
    [InlineData("enroll=0", "at least one")]
    [InlineData("login=1", "not a call kind")]
    [InlineData("enroll", "kind=weight")]
    [InlineData("enroll=-1", "whole number")]
    [InlineData("enroll=1,enroll=2", "twice")]
    public void ABadMixIsNamed(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => CallMix.Parse(text)).Message);

    [Fact]
    public void CallsDrawTheSameKindsFromTheSameSeed()
    {
        var options = new LoadOptions { Target = new Uri("http://127.0.0.1:1") };
        var first = Enumerable.Range(0, 200).Select(i => Scenario.KindOf(options, i)).ToList();
        Assert.Equal(first, Enumerable.Range(0, 200).Select(i => Scenario.KindOf(options, i)));
        Assert.NotEqual(first, Enumerable.Range(0, 200).Select(i => Scenario.KindOf(options with { Seed = 2 }, i)));
        Assert.Equal(4, first.Distinct().Count());
    }

    [Fact]
    public void PrometheusTextGivesEachSeriesItsValueAndFamily()
    {
        var text = PrometheusText.Parse("""
            # HELP facematch_admission_refused_total Work refused.
            # TYPE facematch_admission_refused_total counter
            facematch_admission_refused_total{reason="congested"} 12
            facematch_admission_refused_total{reason="frame_queue"} 3 1700000000000
            # TYPE facematch_analysis_queue_wait_seconds histogram
            facematch_analysis_queue_wait_seconds_bucket{le="0.001"} 1
            facematch_analysis_queue_wait_seconds_bucket{le="+Inf"} 4
            facematch_analysis_queue_wait_seconds_sum 0.25
            facematch_analysis_queue_wait_seconds_count 4
            # TYPE odd gauge
            odd{text="a } b \" c"} +Inf
            odd{text="x"} NaN
            not a sample line
            """);

        Assert.Equal(12, text.Samples["facematch_admission_refused_total{reason=\"congested\"}"]);
        Assert.Equal(3, text.Samples["facematch_admission_refused_total{reason=\"frame_queue\"}"]);
        Assert.Equal(4, text.Samples["facematch_analysis_queue_wait_seconds_bucket{le=\"+Inf\"}"]);
        Assert.Equal(double.PositiveInfinity, text.Samples["odd{text=\"a } b \\\" c\"}"]);
        Assert.True(double.IsNaN(text.Samples["odd{text=\"x\"}"]));
        Assert.Equal(("facematch_analysis_queue_wait_seconds", "histogram"), text.FamilyOf("facematch_analysis_queue_wait_seconds_count"));
        Assert.Equal(("facematch_admission_refused_total", "counter"), text.FamilyOf("facematch_admission_refused_total{reason=\"congested\"}"));
        Assert.Equal("untyped", text.FamilyOf("not").Type);
        Assert.Equal(8, text.Samples.Count);
    }
}
