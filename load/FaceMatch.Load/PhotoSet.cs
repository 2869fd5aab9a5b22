namespace FaceMatch.Load;

/// <summary>One person's photos, read once into memory.</summary>
public sealed record Person(string Name, IReadOnlyList<byte[]> Photos);

/// <summary>
/// The photos a run sends: every JPEG, PNG or WebP file of a folder, grouped by person. A sub-folder is one person
/// (folders starting with <c>_</c> are skipped, as <c>facematch eval</c> skips them); a file directly in the folder is a
/// person of its own. Read whole into memory before the run, so no file read sits inside a measured call.
/// </summary>
public sealed class PhotoSet
{
    /// <summary>More than a load run needs, and little enough that a wrong folder cannot fill the memory.</summary>
    public const long MaxTotalBytes = 512L * 1024 * 1024;

    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp"];

    private PhotoSet(IReadOnlyList<Person> people)
    {
        People = people;
        All = [.. people.SelectMany(p => p.Photos)];
    }

    public IReadOnlyList<Person> People { get; }
    public IReadOnlyList<byte[]> All { get; }

    /// <exception cref="ArgumentException">the folder is missing, holds no photo, or too many bytes of them.</exception>
    public static PhotoSet Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new ArgumentException($"--photos {directory}: no such folder");
        long total = 0;
        byte[] Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            if ((total += bytes.Length) > MaxTotalBytes) throw new ArgumentException($"--photos {directory}: more than {MaxTotalBytes >> 20} MiB of photos");
            return bytes;
        }
        static IEnumerable<string> Images(string dir) =>
            Directory.EnumerateFiles(dir).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal);

        var people = new List<Person>();
        foreach (var dir in Directory.EnumerateDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('_')).Order(StringComparer.Ordinal))
            if (Images(dir).Select(Read).ToList() is { Count: > 0 } photos) people.Add(new Person(Path.GetFileName(dir), photos));
        foreach (var file in Images(directory))
            people.Add(new Person(Path.GetFileNameWithoutExtension(file), [Read(file)]));
        return people.Count > 0 ? new PhotoSet(people) : throw new ArgumentException($"--photos {directory}: no .jpg, .jpeg, .png or .webp file");
    }
}
