using System.Text.Json;
using FaceMatch.Models.Manifest;
using Google.Protobuf;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>
/// What every face-api.js conversion shares: find the pinned package under the deps folder,
/// check its version, read the weight map, build the net, write <c>&lt;id&gt;.onnx</c> and describe it.
/// Each subclass only names its weights file and builds its graph and manifest entry.
/// </summary>
public abstract class FaceApiRecipe : IModelRecipe
{
    public const string PackageName = "@vladmandic/face-api";
    public const string PackageVersion = "1.7.15";
    public const string PackageLicense = "MIT";
    public const string SourceFormat = "faceapi-weights";
    /// <summary>Folder under the deps folder the pinned tarball is unpacked into (deps/npm-packages.txt).</summary>
    public const string DepsFolder = "face-api";

    public abstract string Id { get; }

    /// <summary>The weight map's base name in the package's model/ folder.</summary>
    protected abstract string ModelName { get; }

    protected abstract ModelProto BuildGraph(FaceApiWeightMap weights);

    /// <summary>Where the net's weights come from, as far as the package says (recorded as the manifest's source.upstream).</summary>
    protected abstract string Upstream { get; }

    protected abstract ModelEntry Describe(string onnxFile, string onnxSha256, ModelSource source);

    /// <summary>
    /// Every face-api net takes a square NHWC RGB image of raw 0..255 values: each graph does its
    /// own normalisation, so the manifest asks the pipeline for none.
    /// </summary>
    protected static ModelInput RawRgbInput(string name, int size) => new()
    {
        Name = name,
        Shape = [-1, size, size, 3],
        Layout = "NHWC",
        ColorOrder = "RGB",
        Mean = [0, 0, 0],
        Scale = [1, 1, 1],
    };

    /// <summary>The unpacked package folder (…/face-api/package) under <paramref name="depsDir"/>.</summary>
    public static string PackageDir(string depsDir) => Path.Combine(depsDir, DepsFolder, "package");

    /// <summary>Reads this recipe's weights from the pinned package, checking the package is the pinned version.</summary>
    public FaceApiWeightMap LoadWeights(string depsDir)
    {
        var packageDir = PackageDir(depsDir);
        CheckPackageVersion(packageDir);
        return FaceApiWeightMap.Load(Path.Combine(packageDir, "model"), ModelName);
    }

    /// <summary>Builds the ONNX model in memory (the same bytes <see cref="Convert"/> writes).</summary>
    public ModelProto BuildModel(string depsDir) => BuildGraph(LoadWeights(depsDir));

    public ModelEntry Convert(ConversionContext context)
    {
        var packageDir = PackageDir(context.DepsDir);
        var weights = LoadWeights(context.DepsDir);
        var model = BuildGraph(weights);

        var (fileName, outPath) = OnnxFile.Write(model, context.OutDir, Id);

        var source = new ModelSource
        {
            Package = PackageName,
            Version = PackageVersion,
            License = PackageLicense,
            Upstream = Upstream,
            Format = SourceFormat,
            Files = weights.Files
                .Select(f => new SourceFile(Path.GetRelativePath(packageDir, f).Replace('\\', '/'), FileHash.Sha256(f)))
                .ToList(),
        };
        return Describe(fileName, FileHash.Sha256(outPath), source);
    }

    private static void CheckPackageVersion(string packageDir)
    {
        var packageJson = Path.Combine(packageDir, "package.json");
        if (!File.Exists(packageJson))
            throw new FaceApiWeightsException($"{PackageName} not found at {packageDir} (run `make deps`)");
        string? name, version;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(packageJson));
            name = doc.RootElement.TryGetProperty("name", out var n) ? n.GetString() : null;
            version = doc.RootElement.TryGetProperty("version", out var v) ? v.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new FaceApiWeightsException($"{packageJson} is not valid JSON: {e.Message}");
        }
        if (name != PackageName || version != PackageVersion)
            throw new FaceApiWeightsException(
                $"{packageDir} holds {name}@{version}, but the converter is written for {PackageName}@{PackageVersion}");
    }
}
