namespace FaceMatch.Bench;

/// <summary>Finds the checkout (FaceMatch.sln) from wherever BenchmarkDotNet runs the benchmark.</summary>
internal static class BenchPaths
{
    public static string RepoRoot { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FaceMatch.sln"))) return dir.FullName;
        throw new InvalidOperationException("FaceMatch.sln not found above " + AppContext.BaseDirectory);
    }
}
