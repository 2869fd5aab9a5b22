using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Vision.Batching;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Vision.Inference;

/// <summary>
/// One ONNX model behind a <see cref="DynamicBatcher{TItem,TResult}"/>: callers submit one input
/// (the per-item tensor, without the batch dimension) and get that item's outputs back, while
/// concurrent callers share model runs. The model's first input dimension must be dynamic.
/// </summary>
public sealed class BatchedModel : IAsyncDisposable
{
    private readonly InferenceSession _session;
    private readonly DynamicBatcher<float[], float[][]> _batcher;
    private readonly long[] _itemShape;
    private readonly int _itemLength;
    private readonly string _inputName;
    private readonly string[] _outputNames;

    public BatchedModel(ModelEntry entry, OnnxSessionFactory sessions, BatcherOptions batching)
    {
        Entry = entry;
        _session = sessions.Create(entry.ResolvedPath);
        _inputName = _session.InputMetadata.ContainsKey(entry.Input.Name) ? entry.Input.Name : _session.InputMetadata.Keys.First();
        var dims = _session.InputMetadata[_inputName].Dimensions;
        // Dimensions after the batch come from the model when fixed, else from the manifest.
        _itemShape = dims.Skip(1).Select((d, i) => d > 0 ? (long)d : entry.Input.Shape[i + 1]).ToArray();
        if (_itemShape.Any(d => d <= 0))
            throw new ModelManifestException($"model '{entry.Id}': input '{_inputName}' needs fixed non-batch dimensions");
        _itemLength = (int)_itemShape.Aggregate(1L, (a, b) => a * b);
        _outputNames = _session.OutputMetadata.Keys.ToArray();
        _batcher = new DynamicBatcher<float[], float[][]>(entry.Id, batching, Run);
    }

    public ModelEntry Entry { get; }
    public IReadOnlyList<long> ItemShape => _itemShape;
    public int ItemLength => _itemLength;
    public IReadOnlyList<string> OutputNames => _outputNames;
    public DynamicBatcher<float[], float[][]> Batcher => _batcher;

    /// <summary>Runs one item; the result holds each output (in <see cref="OutputNames"/> order) for this item alone.</summary>
    public Task<float[][]> RunAsync(float[] item, CancellationToken cancellationToken = default)
    {
        if (item.Length != _itemLength)
            throw new ArgumentException($"model '{Entry.Id}' takes {_itemLength} values per item, got {item.Length}");
        return _batcher.SubmitAsync(item, cancellationToken);
    }

    /// <summary>Runs a whole batch synchronously, bypassing the queue (benchmarks measure the bare model this way).</summary>
    public float[][][] RunBatch(IReadOnlyList<float[]> items)
    {
        var results = new float[items.Count][][];
        Run(items.ToArray(), results);
        return results;
    }

    private void Run(ReadOnlySpan<float[]> items, Span<float[][]> results)
    {
        var batch = items.Length;
        var input = new float[batch * _itemLength];
        for (var i = 0; i < batch; i++) items[i].CopyTo(input, i * _itemLength);
        var shape = new long[_itemShape.Length + 1];
        shape[0] = batch;
        _itemShape.CopyTo(shape, 1);

        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var options = new RunOptions();
        using var outputs = _session.Run(options, [_inputName], [value], _outputNames);
        for (var i = 0; i < batch; i++) results[i] = new float[_outputNames.Length][];
        for (var o = 0; o < _outputNames.Length; o++)
        {
            var data = outputs[o].GetTensorDataAsSpan<float>();
            var per = data.Length / batch;
            for (var i = 0; i < batch; i++) results[i][o] = data.Slice(i * per, per).ToArray();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _batcher.DisposeAsync();
        _session.Dispose();
    }
}
