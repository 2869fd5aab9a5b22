using FaceMatch.Models.Manifest;
using FaceMatch.Models.Conversion.Tfjs;
using FaceMatch.Tests;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>What `make models` produced (models/manifest.json and its files), and the sources they came from.</summary>
public static class ConvertedModels
{
    private static readonly Lazy<ModelManifest> LazyManifest = new(() =>
    {
        if (!File.Exists(TestPaths.ManifestPath))
            throw new InvalidOperationException($"{TestPaths.ManifestPath} is missing: run `make models` before the model tests");
        return ModelManifest.Load(TestPaths.ManifestPath);
    });

    public static ModelManifest Manifest => LazyManifest.Value;

    public static ModelEntry Entry(string id) =>
        Manifest.Models.SingleOrDefault(m => m.Id == id)
        ?? throw new InvalidOperationException($"{TestPaths.ManifestPath} has no model '{id}': rerun `make models`");

    public static TfjsModelSpec Spec(string id) => HumanModels.All.Single(s => s.Id == id);

    /// <summary>The original model.json in the unpacked package.</summary>
    public static string SourceJson(string id) =>
        new TfjsModelRecipe(Spec(id)).ModelJsonPath(new ConversionContext(TestPaths.Deps, TestPaths.Models));

    /// <summary>The demo group photo from the face-api package (three people, faces 200-300 px).</summary>
    public static string SamplePhoto => Path.Combine(TestPaths.Deps, "face-api", "package", "demo", "sample1.jpg");

    /// <summary>Face of the woman on the right of sample1.jpg, square, in photo pixels (x0, y0, x1, y1).</summary>
    public static readonly (double, double, double, double) RightFace = (1425, 175, 1725, 475);
    /// <summary>Face of the woman in the middle of sample1.jpg.</summary>
    public static readonly (double, double, double, double) MiddleFace = (790, 390, 1090, 690);
    /// <summary>Context around the right face for the detector: the face fills about 40% of the square.</summary>
    public static readonly (double, double, double, double) RightFaceContext = (1255, 10, 1895, 650);

    /// <summary>Feeds RGB pixels the way a manifest input says: channel order, then (pixel - mean[c]) * scale[c].</summary>
    public static FloatTensor Normalise(FloatTensor pixels, ModelInput input)
    {
        var channels = pixels.Shape[^1];
        var bgr = input.ColorOrder == "BGR";
        var values = new float[pixels.Values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var c = i % channels;
            var source = bgr ? i - c + (channels - 1 - c) : i;
            values[i] = (pixels.Values[source] - input.Mean[c]) * input.Scale[c];
        }
        return pixels with { Values = values };
    }

    /// <summary>Seeded uniform pixels in 0..255, as [count, h, w, 3].</summary>
    public static FloatTensor RandomPixels(int seed, int count, int height, int width)
    {
        var random = new Random(seed);
        var values = new float[count * height * width * 3];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 255);
        return new([count, height, width, 3], values);
    }
}
