using System.Globalization;

namespace FaceMatch.Load;

/// <summary>
/// One scrape of a Prometheus text exposition (format 0.0.4): each sample's value by its series (the metric name with
/// its label set as written, <c>facematch_admission_refused_total{reason="congested"}</c>) and each family's type
/// from its <c># TYPE</c> line. Timestamps are ignored; lines that are not samples are skipped.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(Dictionary<string, double> samples, Dictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyDictionary<string, double> Samples { get; }
    /// <summary>counter, gauge, histogram, summary or untyped, by family name.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static PrometheusText Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (line[0] == '#')
            {
                if (line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["#", "TYPE", var family, var type]) types[family] = type;
                continue;
            }
            if (SplitSample(line) is ({ } series, { } value)) samples[series] = value;
        }
        return new PrometheusText(samples, types);
    }

    /// <summary>The metric name of a series: what comes before its labels.</summary>
    public static string NameOf(string series) => series.IndexOf('{') is var brace and >= 0 ? series[..brace] : series;

    /// <summary>The family a series belongs to and its type: a histogram's _bucket, _sum and _count belong to it.</summary>
    public (string Family, string Type) FamilyOf(string series)
    {
        var name = NameOf(series);
        if (Types.TryGetValue(name, out var type)) return (name, type);
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
            if (name.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(name[..^suffix.Length], out var t) && t is "histogram" or "summary")
                return (name[..^suffix.Length], t);
        return (name, "untyped");
    }

    /// <summary>A sample line's series and value; labels may hold spaces and escaped quotes inside their quotes.</summary>
    private static (string?, double?) SplitSample(string line)
    {
        var end = line.IndexOfAny([' ', '\t', '{']);
        if (end < 0) return (null, null);
        if (line[end] == '{')
        {
            var quoted = false;
            for (end++; end < line.Length; end++)
            {
                var c = line[end];
                if (quoted && c == '\\') end++;
                else if (c == '"') quoted = !quoted;
                else if (!quoted && c == '}') break;
            }
            if (end >= line.Length) return (null, null);
            end++;
        }
        var series = line[..end];
        var fields = line[end..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 0 && ParseValue(fields[0]) is { } value ? (series, value) : (null, null);
    }

    private static double? ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null,
    };
}
