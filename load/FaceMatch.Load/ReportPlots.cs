using ScottPlot;

namespace FaceMatch.Load;

/// <summary>
/// The run over time, one point per second (ScottPlot): latency.png, the p50 (dashed) and p99 (solid) of the calls
/// that succeeded, per kind; throughput.png, calls issued, succeeded per kind, refused and failed, per second.
/// </summary>
public static class ReportPlots
{
    public const string LatencyFile = "latency.png";
    public const string ThroughputFile = "throughput.png";
    private const int Width = 1200, Height = 600;

    public static void Write(LoadReport report, string directory)
    {
        Latency(report).SavePng(Path.Combine(directory, LatencyFile), Width, Height);
        Throughput(report).SavePng(Path.Combine(directory, ThroughputFile), Width, Height);
    }

    private static Plot Latency(LoadReport report)
    {
        var plot = NewPlot($"Latency per second, calls that succeeded ({Shape(report)})", "ms");
        foreach (var row in report.Windows.GroupBy(w => w.Call).OrderBy(r => ColorIndex(r.Key)))
        {
            // A second in which no call of the kind succeeded has no latency: no point, rather than a zero.
            var points = row.Where(p => p.Ok > 0).ToList();
            var color = plot.Add.Palette.GetColor(ColorIndex(row.Key));
            Line(plot, points.Select(p => (double)p.Second), points.Select(p => p.P99Ms), $"{row.Key} p99", color, LinePattern.Solid, marker: 4);
            Line(plot, points.Select(p => (double)p.Second), points.Select(p => p.P50Ms), $"{row.Key} p50", color, LinePattern.Dashed, marker: 4);
        }
        plot.Axes.SetLimitsY(0, Math.Max(1, report.Windows.Where(w => w.Ok > 0).Select(w => w.P99Ms).DefaultIfEmpty(1).Max() * 1.1));
        return plot;
    }

    private static Plot Throughput(LoadReport report)
    {
        var plot = NewPlot($"Calls per second ({Shape(report)})", "calls/s");
        var calls = report.Windows.Where(w => w.Call != LatencyBook.FrameRow).ToList();
        // Every second of the run, so that a second without completions shows as zero rather than as a line across it.
        var last = Math.Max(report.IssuedPerSecond.Count - 1, calls.Select(w => w.Second).DefaultIfEmpty(0).Max());
        var seconds = Enumerable.Range(0, last + 1).Select(s => (double)s).ToArray();
        double[] PerSecond(IEnumerable<WindowPoint> points, Func<WindowPoint, long> value)
        {
            var ys = new double[seconds.Length];
            foreach (var p in points) ys[p.Second] += value(p);
            return ys;
        }
        Line(plot, seconds, seconds.Select(s => s < report.IssuedPerSecond.Count ? (double)report.IssuedPerSecond[(int)s] : 0), "issued", Colors.Black, LinePattern.Dotted);
        foreach (var row in calls.GroupBy(w => w.Call).OrderBy(r => ColorIndex(r.Key)))
            Line(plot, seconds, PerSecond(row, p => p.Ok), $"{row.Key} ok", plot.Add.Palette.GetColor(ColorIndex(row.Key)), LinePattern.Solid);
        if (calls.Any(w => w.Refused > 0))
            Line(plot, seconds, PerSecond(calls, p => p.Refused), "refused (RESOURCE_EXHAUSTED)", Colors.Red, LinePattern.Dashed);
        if (calls.Any(w => w.Errors > 0))
            Line(plot, seconds, PerSecond(calls, p => p.Errors), "other errors", Colors.DarkRed, LinePattern.Dotted);
        plot.Axes.SetLimitsY(0, Math.Max(1, report.IssuedPerSecond.DefaultIfEmpty(0).Max() * 1.15));
        return plot;
    }

    private static Plot NewPlot(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("seconds since the first call");
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>One colour per kind, the same in both plots.</summary>
    private static int ColorIndex(string row) => Enum.GetValues<CallKind>().Select(CallKinds.Name).ToList().IndexOf(row) is var i and >= 0 ? i : 5;

    private static void Line(Plot plot, IEnumerable<double> xs, IEnumerable<double> ys, string label, Color color, LinePattern pattern, float marker = 0)
    {
        var x = xs.ToArray();
        if (x.Length == 0) return;
        var line = plot.Add.Scatter(x, ys.ToArray(), color);
        line.LegendText = label;
        line.LinePattern = pattern;
        line.LineWidth = 2;
        line.MarkerSize = x.Length == 1 ? Math.Max(5, marker) : marker;
    }

    private static string Shape(LoadReport report) => report.Rate is { } rate ? $"open loop, {ReportWriter.N(rate)}/s" : $"closed loop, {report.Concurrency} in flight";
}
