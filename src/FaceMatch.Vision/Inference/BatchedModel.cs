using System.Buffers;
using System.Runtime.InteropServices;
using FaceMatch.Models.Manifest;
using FaceMatch.Models.Runtime;
using FaceMatch.Vision.Batching;
using FaceMatch.Vision.Imaging;
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
    private readonly DynamicBatcher<ReadOnlyMemory<float>, float[][]> _batcher;
    private readonly RunOptions _runOptions = new();
    private readonly long[] _itemShape;
    private readonly int _itemLength;
    private readonly string _inputName;
    private readonly string[] _outputNames;
    private ImageTensorFormat? _inputFormat;

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
        _batcher = new DynamicBatcher<ReadOnlyMemory<float>, float[][]>(entry.Id, batching, Run);
    }

    public ModelEntry Entry { get; }
    public IReadOnlyList<long> ItemShape => _itemShape;
    public int ItemLength => _itemLength;
    public IReadOnlyList<string> OutputNames => _outputNames;

    /// <summary>The manifest's image input as the imaging layer writes it, worked out once (callers need it every frame).</summary>
    public ImageTensorFormat InputFormat => _inputFormat ??= Entry.Input.ToTensorFormat();
    public DynamicBatcher<ReadOnlyMemory<float>, float[][]> Batcher => _batcher;

    /// <summary>
    /// Runs one item; the result holds each output (in <see cref="OutputNames"/> order) for this item alone.
    /// The item's memory must stay unchanged until the returned task completes.
    /// </summary>
    public Task<float[][]> RunAsync(ReadOnlyMemory<float> item, CancellationToken cancellationToken = default)
    {
        if (item.Length != _itemLength)
            throw new ArgumentException($"model '{Entry.Id}' takes {_itemLength} values per item, got {item.Length}");
        return _batcher.SubmitAsync(item, cancellationToken);
    }

    /// <summary>
    /// Runs one item that <paramref name="write"/> puts straight into a pooled buffer of <see cref="ItemLength"/>
    /// floats: frames allocate no input tensors (a detector input is large enough to land on the large-object heap).
    /// </summary>
    public async Task<float[][]> RunAsync(Action<Span<float>> write, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<float>.Shared.Rent(_itemLength);
        try
        {
            write(buffer.AsSpan(0, _itemLength));
            return await RunAsync(buffer.AsMemory(0, _itemLength), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Safe: the batcher has finished with an item once its task completes, however it completes. Cleared first:
            // the buffer holds a face's pixels, which must not outlive the frame in a pool another caller reads.
            Array.Clear(buffer, 0, _itemLength);
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>Ends ONNX Runtime's profiling of this session and returns the profile's path (sessions made with a profile prefix).</summary>
    public string EndProfiling() => _session.EndProfiling();

    /// <summary>Runs a whole batch synchronously, bypassing the queue (benchmarks measure the bare model this way).</summary>
    public float[][][] RunBatch(IReadOnlyList<float[]> items)
    {
        var results = new float[items.Count][][];
        Run(items.Select(i => (ReadOnlyMemory<float>)i).ToArray(), results);
        return results;
    }

    private void Run(ReadOnlySpan<ReadOnlyMemory<float>> items, Span<float[][]> results)
    {
        var batch = items.Length;
        var shape = new long[_itemShape.Length + 1];
        shape[0] = batch;
        _itemShape.CopyTo(shape, 1);
        // A batch of one runs on the caller's buffer (ONNX Runtime only reads inputs); larger batches are
        // gathered into one pooled buffer.
        float[]? gathered = null;
        Memory<float> input;
        if (batch == 1)
        {
            input = MemoryMarshal.AsMemory(items[0]);
        }
        else
        {
            gathered = ArrayPool<float>.Shared.Rent(batch * _itemLength);
            for (var i = 0; i < batch; i++) items[i].Span.CopyTo(gathered.AsSpan(i * _itemLength, _itemLength));
            input = gathered.AsMemory(0, batch * _itemLength);
        }
        try
        {
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, shape);
            using var outputs = _session.Run(_runOptions, [_inputName], [value], _outputNames);
            for (var i = 0; i < batch; i++) results[i] = new float[_outputNames.Length][];
            for (var o = 0; o < _outputNames.Length; o++)
            {
                var data = outputs[o].GetTensorDataAsSpan<float>();
                var per = data.Length / batch;
                for (var i = 0; i < batch; i++) results[i][o] = data.Slice(i * per, per).ToArray();
            }
        }
        finally
        {
            if (gathered is not null) ArrayPool<float>.Shared.Return(gathered, clearArray: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _batcher.DisposeAsync();
        _session.Dispose();
        _runOptions.Dispose();
    }
}
