using FaceMatch.Models.Conversion.FaceApi;
using FaceMatch.Models.Manifest;
using FaceMatch.Tests;

namespace FaceMatch.Models.Conversion.Tests.FaceApi;

/// <summary>
/// Shared by the parity tests: face-api's own outputs (one Node run for all nets) and the ONNX files
/// converted by the same recipes `make models` runs, written to a temporary folder.
/// </summary>
public sealed class FaceApiParityFixture : IDisposable
{
    public FaceApiReference Reference { get; } = new();
    public string OutDir { get; } = Directory.CreateTempSubdirectory("facematch-faceapi-onnx-").FullName;
    private readonly Dictionary<string, ModelEntry> _entries = [];
    private readonly Lock _lock = new();

    /// <summary>Converts with <paramref name="recipe"/> once and returns its manifest entry.</summary>
    public ModelEntry Convert(FaceApiRecipe recipe)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(recipe.Id, out var entry))
                _entries[recipe.Id] = entry = recipe.Convert(new ConversionContext(TestPaths.Deps, OutDir));
            return entry;
        }
    }

    public string PathOf(ModelEntry entry) => Path.Combine(OutDir, entry.File);

    public void Dispose()
    {
        Reference.Dispose();
        try { Directory.Delete(OutDir, recursive: true); } catch (IOException) { }
    }
}
