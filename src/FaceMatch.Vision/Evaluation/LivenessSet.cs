namespace FaceMatch.Vision.Evaluation;

/// <summary>
/// A presentation-attack test set: bona fide images under <c>live/</c> and attack images under <c>spoof/</c>, each
/// at any depth (sub-folders per person, per attack or per capture are fine). Either side may be empty.
/// </summary>
public sealed record LivenessSet(IReadOnlyList<string> Live, IReadOnlyList<string> Spoof)
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp"];

    public static LivenessSet FromFolder(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"liveness folder not found: {root}");
        var live = Images(Path.Combine(root, "live"));
        var spoof = Images(Path.Combine(root, "spoof"));
        if (live.Count + spoof.Count == 0) throw new ArgumentException($"{root}: no images under live/ or spoof/");
        return new LivenessSet(live, spoof);
    }

    private static List<string> Images(string folder) =>
        !Directory.Exists(folder) ? []
        : Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true })
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
}
