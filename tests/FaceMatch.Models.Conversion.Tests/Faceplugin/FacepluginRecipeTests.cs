using FaceMatch.Models.Conversion;
using FaceMatch.Models.Conversion.Faceplugin;
using FaceMatch.Models.Manifest;
using FaceMatch.Tests;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Models.Conversion.Tests.Faceplugin;

/// <summary>The faceplugin models are copied, not converted: only the batch dimension may change, nothing the net computes.</summary>
public sealed class FacepluginRecipeTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("facematch-faceplugin-recipe-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    public static TheoryData<string> Models => new() { FacepluginModels.Rfb320.Id, FacepluginModels.MobileFaceNet.Id, FacepluginModels.Liveness.Id };

    private static FacepluginModel ModelFor(string id) => FacepluginModels.All.Single(m => m.Id == id);

    [Theory]
    [MemberData(nameof(Models))]
    public void BatchedRunsGiveWhatThePublishedFileGivesOneByOne(string id)
    {
        var model = ModelFor(id);
        var entry = new FacepluginRecipe(model).Convert(new ConversionContext(TestPaths.Deps, _out));
        var converted = Path.Combine(_out, entry.File);
        ModelConversionRun.Verify(entry, converted);
        Assert.Equal(FileHash.Sha256(converted), entry.Sha256);
        Assert.Equal((FacepluginRecipe.PackageName, FacepluginRecipe.PackageVersion, FacepluginRecipe.SourceFormat),
            (entry.Source!.Package, entry.Source.Version, entry.Source.Format));
        Assert.False(ModelConversionRun.IsOperatorEntry(entry));
        Assert.False(string.IsNullOrWhiteSpace(entry.Source.License));
        Assert.False(string.IsNullOrWhiteSpace(entry.Source.Upstream));

        var original = Path.Combine(FacepluginRecipe.PackageDir(TestPaths.Deps), model.PackagePath);
        var item = entry.Input.Shape.Skip(1).Aggregate(1, (a, b) => a * b);
        var random = new Random(7);
        var inputs = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, item).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();

        using var one = new InferenceSession(original);
        using var batched = new InferenceSession(converted);
        var single = inputs.Select(x => Run(one, entry, [x])).ToArray();
        var together = Run(batched, entry, inputs);
        for (var o = 0; o < entry.Outputs.Count; o++)
        {
            var per = single[0][o].Length;
            Assert.Equal(3 * per, together[o].Length);
            for (var b = 0; b < 3; b++)
                for (var i = 0; i < per; i++)
                    Assert.True(Math.Abs(single[b][o][i] - together[o][b * per + i]) <= 1e-4f * Math.Max(1f, Math.Abs(single[b][o][i])),
                        $"{id} output {entry.Outputs[o].Name} item {b} [{i}]: {single[b][o][i]} alone, {together[o][b * per + i]} batched");
        }
    }

    private static float[][] Run(InferenceSession session, ModelEntry entry, float[][] items)
    {
        var shape = entry.Input.Shape.Select(d => (long)d).ToArray();
        shape[0] = items.Length;
        using var input = OrtValue.CreateTensorValueFromMemory(items.SelectMany(x => x).ToArray(), shape);
        var names = entry.Outputs.Select(o => o.Name).ToArray();
        using var outputs = session.Run(new RunOptions(), [entry.Input.Name], [input], names);
        return outputs.Select(v => v.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }

    [Fact]
    public void ReshapeToBatchOneBecomesKeepTheBatch()
    {
        var proto = new FacepluginRecipe(FacepluginModels.MobileFaceNet).BuildModel(TestPaths.Deps);
        Assert.Equal("N", proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("N", proto.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
        var reshape = proto.Graph.Node.Single(n => n.OpType == "Reshape");
        var target = proto.Graph.Initializer.Single(i => i.Name == reshape.Input[1]);
        Assert.Equal([0L, -1L], Enumerable.Range(0, 2).Select(k => BitConverter.ToInt64(target.RawData.Span[(8 * k)..])).ToArray());
    }
}
