using FaceMatch.Models.Conversion;
using FaceMatch.Models.Conversion.Faceplugin;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Conversion.Tfjs;
using FaceMatch.Tests;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>`models convert` end to end on real recipes: files, verification and the manifest merge.</summary>
public sealed class ModelConversionRunTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "facematch-convert-" + Guid.NewGuid().ToString("N")[..8]);
    private static readonly IModelRecipe[] Recipes =
        [new TfjsModelRecipe(HumanModels.BlazeFace), new TfjsModelRecipe(HumanModels.Liveness), new FacepluginRecipe(FacepluginModels.Rfb320)];

    public ModelConversionRunTests() => Directory.CreateDirectory(_out);

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private ConversionContext Context => new(TestPaths.Deps, _out);

    private static ModelEntry OperatorEntry(string id, ModelRole role, bool isDefault) => new()
    {
        Id = id, Role = role, File = "/opt/models/" + id + ".onnx", Default = isDefault,
        Source = new ModelSource { Package = "insightface", Version = "buffalo_l", Format = "onnx" },
        Input = new ModelInput { Name = "input.1", Shape = [-1, 3, 640, 640], Layout = "NCHW", ColorOrder = "BGR", Mean = [127.5f, 127.5f, 127.5f], Scale = [1 / 128f, 1 / 128f, 1 / 128f] },
        Outputs = [new ModelOutput { Name = "448", Shape = [-1, 1] }],
    };

    [Fact]
    public void RewritesTheManifestKeepingOperatorEntriesAndTheirDefaults()
    {
        var stale = OperatorEntry("old-converted", ModelRole.Embedder, false) with
        {
            Source = new ModelSource { Package = "x", Version = "1", Format = TfjsModelRecipe.Format },
        };
        new ModelManifest { Models = [OperatorEntry("scrfd", ModelRole.Detector, true), stale] }.Save(Path.Combine(_out, "manifest.json"));
        var log = new List<string>();

        ModelConversionRun.Run(Recipes, Context, log.Add);

        var manifest = ModelManifest.Load(Path.Combine(_out, "manifest.json"));
        Assert.Equal(["blazeface", "liveness", "ultraface-rfb320", "scrfd"], manifest.Models.Select(m => m.Id));
        // The operator's default detector stays the default; the converted default (RFB-320) steps back.
        Assert.True(FacepluginModels.Rfb320.Default);
        Assert.Same(manifest.Models.Single(m => m.Id == "scrfd"), manifest.ForRole(ModelRole.Detector));
        Assert.DoesNotContain(manifest.Models, m => m.Role == ModelRole.Detector && m.Id != "scrfd" && m.Default);
        // The operator's entry comes back field for field.
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(OperatorEntry("scrfd", ModelRole.Detector, true), ModelManifest.JsonOptions),
            System.Text.Json.JsonSerializer.Serialize(manifest.Models.Single(m => m.Id == "scrfd"), ModelManifest.JsonOptions));
        Assert.Contains(log, l => l.Contains("dropping 'old-converted'"));
        foreach (var id in new[] { "blazeface", "liveness" })
        {
            var entry = manifest.Models.Single(m => m.Id == id);
            Assert.True(File.Exists(entry.ResolvedPath));
            Assert.Equal(FileHash.Sha256(entry.ResolvedPath), entry.Sha256);
            Assert.Equal(TfjsModelRecipe.Format, entry.Source!.Format);
            Assert.Equal("3.0.4", entry.Source.Version);
            Assert.All(entry.Source.Files, f => Assert.Equal(64, f.Sha256.Length));
        }
    }

    [Fact]
    public void ConvertingTwiceGivesIdenticalFiles()
    {
        var first = ModelConversionRun.Run(Recipes, Context).Models.Select(m => m.Sha256).ToList();
        var second = ModelConversionRun.Run(Recipes, Context).Models.Select(m => m.Sha256).ToList();
        Assert.Equal(first, second);
    }

    [Fact]
    public void AnOperatorEntryWithARecipeIdStopsTheRunBeforeOverwritingAnything()
    {
        new ModelManifest { Models = [OperatorEntry("blazeface", ModelRole.Detector, true)] }.Save(Path.Combine(_out, "manifest.json"));
        var e = Assert.Throws<ModelConversionException>(() => ModelConversionRun.Run(Recipes, Context));
        Assert.Contains("rename it", e.Message);
        Assert.False(File.Exists(Path.Combine(_out, "blazeface.onnx")));
    }

    [Fact]
    public void AnUnreadableManifestIsNotSilentlyReplaced()
    {
        File.WriteAllText(Path.Combine(_out, "manifest.json"), "{ \"version\": 1, \"models\": [ { \"id\": ");
        var e = Assert.Throws<ModelConversionException>(() => ModelConversionRun.Run(Recipes, Context));
        Assert.Contains("fix or remove it", e.Message);
    }

    [Fact]
    public void MissingPackagesGiveAClearError()
    {
        var e = Assert.Throws<ModelConversionException>(() =>
            ModelConversionRun.Run(Recipes, new ConversionContext(Path.Combine(_out, "no-deps"), _out)));
        Assert.Contains("make deps", e.Message);

        Directory.CreateDirectory(Path.Combine(_out, "empty-deps"));
        e = Assert.Throws<ModelConversionException>(() =>
            ModelConversionRun.Run(Recipes, new ConversionContext(Path.Combine(_out, "empty-deps"), _out)));
        Assert.Contains("converting 'blazeface' failed", e.Message);
        Assert.Contains("package.json", e.Message);
    }

    [Fact]
    public void VerificationRejectsAnEntryThatDoesNotDescribeTheFile()
    {
        var entry = ModelConversionRun.Run([new TfjsModelRecipe(HumanModels.Liveness)], Context).Models.Single();
        var path = Path.Combine(_out, entry.File);
        ModelConversionRun.Verify(entry, path);
        var wrong = entry with { Outputs = [new ModelOutput { Name = "probability", Shape = [-1, 2] }] };
        var e = Assert.Throws<ModelConversionException>(() => ModelConversionRun.Verify(wrong, path));
        Assert.Contains("no output 'probability'", e.Message);
    }
}
