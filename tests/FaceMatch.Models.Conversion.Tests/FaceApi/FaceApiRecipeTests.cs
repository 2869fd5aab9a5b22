using FaceMatch.Models.Conversion.FaceApi;
using FaceMatch.Models.Manifest;
using FaceMatch.Tests;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Models.Conversion.Tests.FaceApi;

public sealed class FaceApiRecipeTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("facematch-faceapi-recipe-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    /// <summary>Recipe id, its role, and whether it is its role's default (the descriptor net and the 68-point landmarks are).</summary>
    public static TheoryData<string, ModelRole, bool> Recipes => new()
    {
        { FaceApiRecognitionRecipe.ModelId, ModelRole.Embedder, true },
        { FaceApiSsdMobilenetV1Recipe.ModelId, ModelRole.Detector, false },
        { FaceApiLandmark68Recipe.ModelId, ModelRole.Landmarks, true },
    };

    private static FaceApiRecipe RecipeFor(string id) => id switch
    {
        FaceApiRecognitionRecipe.ModelId => new FaceApiRecognitionRecipe(),
        FaceApiSsdMobilenetV1Recipe.ModelId => new FaceApiSsdMobilenetV1Recipe(),
        FaceApiLandmark68Recipe.ModelId => new FaceApiLandmark68Recipe(),
        _ => throw new ArgumentException(id),
    };

    [Theory]
    [MemberData(nameof(Recipes))]
    public void ManifestEntryMatchesTheWrittenModelAndItsSources(string id, ModelRole role, bool isDefault)
    {
        var entry = RecipeFor(id).Convert(new ConversionContext(TestPaths.Deps, _out));
        var onnx = Path.Combine(_out, entry.File);

        Assert.Equal((id, role, isDefault), (entry.Id, entry.Role, entry.Default));
        Assert.Equal(FileHash.Sha256(onnx), entry.Sha256);
        Assert.False(File.Exists(onnx + ".tmp"));

        var source = entry.Source!;
        Assert.Equal(("@vladmandic/face-api", "1.7.15", "MIT", "faceapi-weights"), (source.Package, source.Version, source.License, source.Format));
        Assert.StartsWith("face-api.js", source.Upstream);
        Assert.Equal(2, source.Files.Count);
        Assert.EndsWith("-weights_manifest.json", source.Files[0].Path);
        Assert.EndsWith(".bin", source.Files[1].Path);
        foreach (var file in source.Files)
            Assert.Equal(FileHash.Sha256(Path.Combine(FaceApiRecipe.PackageDir(TestPaths.Deps), file.Path)), file.Sha256);

        // The entry's input/output contract is what the ONNX graph really declares, batch dynamic.
        using var session = new InferenceSession(onnx);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", entry.Input.Name);
        Assert.Equal(entry.Input.Name, input.Key);
        Assert.Equal(entry.Input.Shape, input.Value.Dimensions);
        Assert.Equal(-1, entry.Input.Shape[0]);
        Assert.Equal(("NHWC", "RGB"), (entry.Input.Layout, entry.Input.ColorOrder));
        Assert.Equal([0f, 0f, 0f], entry.Input.Mean);
        Assert.Equal([1f, 1f, 1f], entry.Input.Scale);
        Assert.Equal(entry.Outputs.Select(o => o.Name), session.OutputNames);
        foreach (var o in entry.Outputs)
        {
            Assert.Equal(o.Shape, session.OutputMetadata[o.Name].Dimensions);
            Assert.False(string.IsNullOrWhiteSpace(o.Meaning));
        }
    }

    [Fact]
    public void ConversionIsByteForByteReproducible()
    {
        var recipe = new FaceApiLandmark68Recipe();
        var first = recipe.Convert(new ConversionContext(TestPaths.Deps, Path.Combine(_out, "a")));
        var second = recipe.Convert(new ConversionContext(TestPaths.Deps, Path.Combine(_out, "b")));
        Assert.Equal(first.Sha256, second.Sha256);
    }

    [Theory]
    [InlineData(FaceApiRecognitionRecipe.ModelId, 150, 128)]
    [InlineData(FaceApiLandmark68Recipe.ModelId, 112, 136)]
    public void BatchItemsAreComputedIndependently(string id, int size, int outputLength)
    {
        // A batch of 3 must give each item the result it gets alone (dynamic batch, no cross-item mixing).
        var entry = RecipeFor(id).Convert(new ConversionContext(TestPaths.Deps, _out));
        using var session = new InferenceSession(Path.Combine(_out, entry.File));
        var random = new Random(7);
        var item = size * size * 3;
        var batch = new float[3 * item];
        for (var i = 0; i < batch.Length; i++) batch[i] = (float)(random.NextDouble() * 255);

        var together = Run(session, entry, batch, 3);
        for (var b = 0; b < 3; b++)
        {
            var alone = Run(session, entry, batch.AsSpan(b * item, item).ToArray(), 1);
            var report = ParityReport.Compare(alone, together.AsSpan(b * outputLength, outputLength), 1e-5);
            Assert.True(report.Violations == 0, $"batch item {b}: {report}");
        }
        Assert.False(together.AsSpan(0, outputLength).SequenceEqual(together.AsSpan(outputLength, outputLength)));
    }

    [Fact]
    public void AnotherPackageVersionIsRefused()
    {
        var deps = Path.Combine(_out, "deps");
        Directory.CreateDirectory(Path.Combine(deps, "face-api", "package"));
        File.WriteAllText(Path.Combine(deps, "face-api", "package", "package.json"), """{"name":"@vladmandic/face-api","version":"1.7.14"}""");

        var e = Assert.Throws<FaceApiWeightsException>(() => new FaceApiRecognitionRecipe().Convert(new ConversionContext(deps, _out)));
        Assert.Contains("1.7.14", e.Message);
        Assert.Contains("1.7.15", e.Message);
        Assert.Empty(Directory.GetFiles(_out, "*.onnx"));
    }

    [Fact]
    public void MissingPackageSaysHowToGetIt()
    {
        var e = Assert.Throws<FaceApiWeightsException>(() =>
            new FaceApiSsdMobilenetV1Recipe().Convert(new ConversionContext(Path.Combine(_out, "nothing"), _out)));
        Assert.Contains("make deps", e.Message);
    }

    private static float[] Run(InferenceSession session, ModelEntry entry, float[] input, int batch)
    {
        long[] shape = [batch, entry.Input.Shape[1], entry.Input.Shape[2], entry.Input.Shape[3]];
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var results = session.Run(new RunOptions(), [entry.Input.Name], [value], [entry.Outputs[0].Name]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
