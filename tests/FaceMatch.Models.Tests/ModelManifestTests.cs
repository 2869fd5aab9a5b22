using FaceMatch.Models.Manifest;

namespace FaceMatch.Models.Tests;

/// <summary>Hand-written (bring-your-own) manifest entries: what is required, the defaults, and clear errors.</summary>
public sealed class ModelManifestTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "facematch-manifest-" + Guid.NewGuid().ToString("N")[..8]);

    public ModelManifestTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string modelJson)
    {
        var path = Path.Combine(_dir, "manifest.json");
        File.WriteAllText(path, $$"""{ "version": 1, "models": [ {{modelJson}} ] }""");
        return path;
    }

    [Fact]
    public void AMinimalOperatorEntryLoadsWithDefaults()
    {
        var path = Write("""
            { "id": "arcface", "role": "embedder", "file": "byo/w600k_r50.onnx",
              "input": { "name": "input.1", "shape": [-1, 3, 112, 112], "layout": "NCHW" },
              "outputs": [ { "name": "683", "shape": [-1, 512] } ] }
            """);
        var entry = ModelManifest.Load(path).Models.Single();
        Assert.Equal(ModelRole.Embedder, entry.Role);
        Assert.Equal("RGB", entry.Input.ColorOrder);
        Assert.Equal([0f, 0f, 0f], entry.Input.Mean);
        Assert.Equal([1f, 1f, 1f], entry.Input.Scale);
        Assert.Null(entry.Source);
        Assert.Equal(Path.Combine(_dir, "byo", "w600k_r50.onnx"), entry.ResolvedPath);
    }

    [Theory]
    [InlineData("\"layout\": \"CHW\"", "input.layout must be NHWC or NCHW")]
    [InlineData("\"layout\": \"NCHW\", \"colorOrder\": \"rgb\"", "input.colorOrder must be RGB or BGR")]
    [InlineData("\"layout\": \"NHWC\"", "3 are needed")]
    [InlineData("\"layout\": \"NCHW\", \"scale\": [1, 0, 1]", "non-zero")]
    [InlineData("\"layout\": \"NCHW\", \"mean\": [127.5]", "one value per channel")]
    [InlineData("\"layout\": \"NCHW\", \"crop\": { \"scale\": 0 }", "input.crop needs a positive scale")]
    [InlineData("\"layout\": \"NCHW\", \"crop\": { \"scale\": 2.7, \"shape\": \"round\" }", "a shape of square or box")]
    public void BadInputDescriptionsAreRejectedWithTheReason(string inputFields, string reason)
    {
        var path = Write($$"""
            { "id": "x", "role": "detector", "file": "x.onnx",
              "input": { "name": "in", "shape": [-1, 3, 64, 64], {{inputFields}} } }
            """);
        var e = Assert.Throws<ModelManifestException>(() => ModelManifest.Load(path));
        Assert.Contains("model 'x'", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void DynamicSizesAreAllowedButEmptyOnesAreNot()
    {
        var entry = ModelManifest.Load(Write("""
            { "id": "scrfd", "role": "detector", "file": "det.onnx",
              "input": { "name": "input.1", "shape": [1, 3, -1, -1], "layout": "NCHW", "colorOrder": "BGR" } }
            """)).Models.Single();
        Assert.Equal([1, 3, -1, -1], entry.Input.Shape);
        var e = Assert.Throws<ModelManifestException>(() => ModelManifest.Load(Write("""
            { "id": "x", "role": "detector", "file": "x.onnx", "input": { "name": "in", "shape": [-1, 3, 0, 64], "layout": "NCHW" } }
            """)));
        Assert.Contains("positive, or -1", e.Message);
    }

    [Fact]
    public void APassiveModelDescribesItsCropAndItsLogits()
    {
        var entry = ModelManifest.Load(Write("""
            { "id": "fas", "role": "liveness", "file": "fas.onnx",
              "input": { "name": "input", "shape": [-1, 3, 128, 128], "layout": "NCHW", "colorOrder": "BGR", "crop": { "scale": 2.7, "shape": "box", "clamp": true } },
              "outputs": [ { "name": "output", "shape": [-1, 3], "activation": "softmax" } ] }
            """)).Models.Single();
        Assert.Equal(new ModelCrop { Scale = 2.7f, Shape = "box", Clamp = true }, entry.Input.Crop);
        Assert.Equal("softmax", entry.Outputs.Single().Activation);
        var e = Assert.Throws<ModelManifestException>(() => ModelManifest.Load(Write("""
            { "id": "x", "role": "liveness", "file": "x.onnx", "input": { "name": "in", "shape": [-1, 3, 8, 8], "layout": "NCHW" },
              "outputs": [ { "name": "o", "shape": [-1, 2], "activation": "sigmoid" } ] }
            """)));
        Assert.Contains("activation may only be softmax", e.Message);
    }

    [Fact]
    public void UnknownRolesAndMissingFieldsAreReported()
    {
        var e = Assert.Throws<ModelManifestException>(() => ModelManifest.Load(Write(
            """{ "id": "x", "role": "recogniser", "file": "x.onnx", "input": { "name": "in", "shape": [-1, 3, 8, 8], "layout": "NCHW" } }""")));
        Assert.Contains("is not valid", e.Message);
        e = Assert.Throws<ModelManifestException>(() => ModelManifest.Load(Write("""{ "id": "x", "role": "detector", "file": "x.onnx" }""")));
        Assert.Contains("input", e.Message);
    }
}

public sealed class ModelManifestSelectionTests
{
    private static ModelEntry Entry(string id, ModelRole role, bool isDefault) => new()
    {
        Id = id, Role = role, File = id + ".onnx", Default = isDefault,
        Input = new ModelInput { Name = "in", Shape = [-1, 3, 112, 112], Layout = "NCHW" },
    };

    private static readonly ModelManifest Manifest = new()
    {
        Models = [Entry("a", ModelRole.Embedder, true), Entry("b", ModelRole.Embedder, false), Entry("lm", ModelRole.Landmarks, true), Entry("d", ModelRole.Detector, true)],
    };

    [Fact]
    public void WithDefaultMakesOneModelItsRolesDefaultAndLeavesOtherRolesAlone()
    {
        var chosen = Manifest.WithDefault(ModelRole.Embedder, "b");
        Assert.Equal("b", chosen.ForRole(ModelRole.Embedder)!.Id);
        Assert.False(chosen.Models.Single(m => m.Id == "a").Default);
        Assert.True(chosen.Models.Single(m => m.Id == "lm").Default);
        Assert.Equal("a", Manifest.ForRole(ModelRole.Embedder)!.Id); // the original is unchanged
        Assert.DoesNotContain(Manifest.WithDefault(ModelRole.Landmarks, null).Models, m => m.Role == ModelRole.Landmarks && m.Default);
    }

    [Fact]
    public void WithDefaultNamesTheModelsOfTheRoleWhenTheIdIsUnknown()
    {
        var e = Assert.Throws<ModelManifestException>(() => Manifest.WithDefault(ModelRole.Embedder, "d"));
        Assert.Contains("no embedder 'd'", e.Message);
        Assert.Contains("a, b", e.Message);
    }

    [Fact]
    public void WithPassiveChoosesThePassiveModelsAndOnlyThem()
    {
        var manifest = new ModelManifest
        {
            Models = [Entry("spoof", ModelRole.Antispoof, true), Entry("live-a", ModelRole.Liveness, true), Entry("live-b", ModelRole.Liveness, false), Entry("e", ModelRole.Embedder, true)],
        };
        var b = manifest.WithPassive(["live-b"]);
        Assert.Equal(["live-b"], b.Models.Where(m => m.Default && ModelManifest.PassiveRoles.Contains(m.Role)).Select(m => m.Id));
        Assert.Null(b.DefaultFor(ModelRole.Antispoof));
        Assert.True(b.Models.Single(m => m.Id == "e").Default);
        Assert.Empty(manifest.WithPassive([]).Models.Where(m => m.Default && ModelManifest.PassiveRoles.Contains(m.Role)));
        Assert.Contains("no passive liveness model 'e'", Assert.Throws<ModelManifestException>(() => manifest.WithPassive(["e"])).Message);
        Assert.Contains("one passive model per role", Assert.Throws<ModelManifestException>(() => manifest.WithPassive(["live-a", "live-b"])).Message);
    }

    [Fact]
    public void AThresholdNeedsAFiniteValueAndItsMethod()
    {
        var dir = Directory.CreateTempSubdirectory("facematch-threshold-").FullName;
        try
        {
            var path = Path.Combine(dir, "manifest.json");
            var good = Entry("a", ModelRole.Embedder, true) with { Threshold = new ModelThreshold { Value = 0.5f, Method = "measured" } };
            new ModelManifest { Models = [good] }.Save(path);
            Assert.Equal(0.5f, ModelManifest.Load(path).Models.Single().Threshold!.Value);
            new ModelManifest { Models = [good with { Threshold = new ModelThreshold { Value = 0.5f, Method = " " } }] }.Save(path);
            Assert.Contains("threshold needs a finite value and its method", Assert.Throws<ModelManifestException>(() => ModelManifest.Load(path)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
