using FaceMatch.Models.Manifest;
using FaceMatch.Models.Conversion.Onnx;
using FaceMatch.Models.Runtime;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Inference;
using Google.Protobuf;
using Onnx;

namespace FaceMatch.Vision.Tests.Inference;

public sealed class BatchedModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-batched").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A model with a [batch, 2, 2, 3] image input (NHWC) and two outputs: x·2 and the per-item sum.</summary>
    private ModelEntry WriteModel()
    {
        var g = new OnnxGraphBuilder("two-outputs");
        var x = g.AddInput("input", TensorProto.Types.DataType.Float, [null, 2, 2, 3]);
        var two = g.AddInitializer("two", [2f], [1]);
        var doubled = g.AddNode("Mul", [x, two], "doubled");
        var axes = g.AddInitializer("axes", [1L, 2L, 3L], [3]);
        var sum = g.AddNode("ReduceSum", [x, axes], "sum", OnnxAttribute.Int("keepdims", 0));
        g.AddOutput(doubled, TensorProto.Types.DataType.Float, [null, 2, 2, 3]);
        g.AddOutput(sum, TensorProto.Types.DataType.Float, [null]);
        var path = Path.Combine(_dir, "m.onnx");
        File.WriteAllBytes(path, g.Build("test").ToByteArray());
        var json = """{"version":1,"models":[{"id":"m","role":"embedder","file":"m.onnx","input":{"name":"input","shape":[-1,2,2,3],"layout":"NHWC"}}]}""";
        File.WriteAllText(Path.Combine(_dir, "manifest.json"), json);
        return ModelManifest.Load(Path.Combine(_dir, "manifest.json")).Models[0];
    }

    [Fact]
    public async Task ConcurrentCallersEachGetTheirOwnOutputs()
    {
        await using var model = new BatchedModel(WriteModel(), new OnnxSessionFactory(ExecutionDevice.Cpu), new BatcherOptions { MaxBatch = 5, QueueCapacity = 100 });
        Assert.Equal([2L, 2L, 3L], model.ItemShape);
        var tasks = Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            model.RunAsync(Enumerable.Range(0, 12).Select(j => (float)(i * 100 + j)).ToArray()))).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        for (var i = 0; i < 40; i++)
        {
            var expected = Enumerable.Range(0, 12).Select(j => (float)(i * 100 + j)).ToArray();
            Assert.Equal(expected.Select(v => v * 2), results[i][0]);
            Assert.Equal([expected.Sum()], results[i][1]);
        }
        Assert.True(model.Batcher.BatchesRun <= 40);
    }

    [Fact]
    public async Task ItemsWrittenIntoPooledBuffersKeepTheirOwnContents()
    {
        // Pooled buffers are reused as soon as a call completes: a buffer handed back while its batch was still
        // queued or running would show up here as another caller's values.
        await using var model = new BatchedModel(WriteModel(), new OnnxSessionFactory(ExecutionDevice.Cpu), new BatcherOptions { MaxBatch = 4, QueueCapacity = 200 });
        var tasks = Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            model.RunAsync(item => { for (var j = 0; j < item.Length; j++) item[j] = i * 1000 + j; }))).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        for (var i = 0; i < 100; i++)
            Assert.Equal(Enumerable.Range(0, 12).Select(j => 2f * (i * 1000 + j)), results[i][0]);
    }

    [Fact]
    public async Task AnItemOfTheWrongSizeIsRefused()
    {
        await using var model = new BatchedModel(WriteModel(), new OnnxSessionFactory(ExecutionDevice.Cpu), new BatcherOptions());
        var e = Assert.Throws<ArgumentException>(() => { _ = model.RunAsync(new float[5]); });
        Assert.Contains("12 values", e.Message);
    }

    [Fact]
    public void CudaWithoutItsProviderFailsWithAClearMessage()
    {
        // No CUDA provider ships in the CPU build, so asking for it must say what is missing and how to get it.
        var factory = new OnnxSessionFactory(ExecutionDevice.Parse("cuda:0"));
        var e = Assert.Throws<InvalidOperationException>(() => factory.Create(WriteModel().ResolvedPath));
        Assert.Contains("no libonnxruntime_providers_cuda.so", e.Message);
        Assert.Contains("make gpu", e.Message);
    }

    [Theory]
    [InlineData(null, false, 0)]
    [InlineData("cpu", false, 0)]
    [InlineData("cuda", true, 0)]
    [InlineData("CUDA:3", true, 3)]
    public void DeviceSettingIsParsed(string? text, bool cuda, int id) =>
        Assert.Equal(new ExecutionDevice(cuda, id), ExecutionDevice.Parse(text));

    [Fact]
    public void AnUnknownDeviceIsRejected() =>
        Assert.Throws<ArgumentException>(() => ExecutionDevice.Parse("tpu"));
}
