namespace FaceMatch.Tests;

/// <summary>Where the tests find the repository, its build outputs and ../shared.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared beside the checkout (docs and labelled face photos); never copied into the repo.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    public static string Faces => Path.Combine(Shared, "data", "faces");
    /// <summary>Unpacked pinned npm tarballs (`make deps`).</summary>
    public static string Deps => Path.Combine(RepoRoot, ".deps");
    /// <summary>Converted models and manifest (`make models`).</summary>
    public static string Models => Path.Combine(RepoRoot, "models");
    public static string ManifestPath => Path.Combine(Models, "manifest.json");
    /// <summary>The published single-file executable (`make build`).</summary>
    public static string Executable => Path.Combine(RepoRoot, "out", "facematch");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FaceMatch.sln")))
                return dir.FullName;
        throw new InvalidOperationException("FaceMatch.sln not found above " + AppContext.BaseDirectory);
    }
}
