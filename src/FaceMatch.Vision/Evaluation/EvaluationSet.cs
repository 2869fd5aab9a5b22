namespace FaceMatch.Vision.Evaluation;

/// <summary>A list of image pairs labelled same-person or not.</summary>
public sealed record EvaluationSet(IReadOnlyList<LabelledPair> Pairs)
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png"];

    public IEnumerable<string> Images => Pairs.SelectMany(p => new[] { p.PathA, p.PathB }).Distinct();

    /// <summary>
    /// Every genuine pair within each person's folder and every impostor pair across folders.
    /// Folders whose name starts with '_' (e.g. _multi, _hard) hold no single identity and are skipped.
    /// </summary>
    public static EvaluationSet FromFolder(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"evaluation folder not found: {root}");
        var people = Directory.GetDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('_'))
            .Order(StringComparer.Ordinal)
            .Select(d => Directory.GetFiles(d).Where(IsImage).Order(StringComparer.Ordinal).ToArray())
            .Where(files => files.Length > 0)
            .ToArray();
        if (people.Length < 2) throw new ArgumentException($"{root}: need at least two person folders with images");
        var pairs = new List<LabelledPair>();
        for (var p = 0; p < people.Length; p++)
        {
            for (var i = 0; i < people[p].Length; i++)
            {
                for (var j = i + 1; j < people[p].Length; j++) pairs.Add(new(people[p][i], people[p][j], true));
                for (var q = p + 1; q < people.Length; q++)
                    foreach (var other in people[q]) pairs.Add(new(people[p][i], other, false));
            }
        }
        return new EvaluationSet(pairs);
    }

    /// <summary>Reads <c>path_a,path_b,same</c> lines (same is 1 or 0; an optional header; paths relative to the file).</summary>
    public static EvaluationSet FromCsv(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"pairs file not found: {file}", file);
        var dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var pairs = new List<LabelledPair>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(file))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            if (lineNo == 1 && cells.Length == 3 && cells[2].Equals("same", StringComparison.OrdinalIgnoreCase)) continue;
            if (cells.Length != 3 || (cells[2] != "0" && cells[2] != "1"))
                throw new FormatException($"{file}:{lineNo}: expected path_a,path_b,same with same 1 or 0");
            pairs.Add(new(Path.GetFullPath(cells[0], dir), Path.GetFullPath(cells[1], dir), cells[2] == "1"));
        }
        if (pairs.Count == 0) throw new FormatException($"{file}: no pairs");
        return new EvaluationSet(pairs);
    }

    private static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());
}

public sealed record LabelledPair(string PathA, string PathB, bool Same);
